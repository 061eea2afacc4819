import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Pump, type LogRecord } from '@thecal/pump-core';
import { fromHex, toHex } from './bytes.ts';
import { DICTIONARY_V1 } from './dictionary.ts';
import { ProtocolError } from './errors.ts';
import { decodeFrame, encodeFrame, type Frame } from './frame.ts';
import { decodeLogRecords, encodeLogRecords } from './log-codec.ts';
import { ForecastSchema, REQUEST_TYPE_NAMES, RESPONSE_STATUS, StatusSchema, checkBody, decodeRequest, decodeResponse, encodeRequest, encodeResponse, refusalOf, type Response, type ResponseStatus } from './messages.ts';
import { decodeValue, encodeValue, toValue, type Value } from './value-codec.ts';

const bytesArb = (n?: number) => (n === undefined ? fc.uint8Array({ maxLength: 40 }) : fc.uint8Array({ minLength: n, maxLength: n }));
const commandIdArb = bytesArb(8).map((b) => `r:${toHex(b)}`);
const stringArb = fc.oneof(fc.string(), fc.constantFrom(...DICTIONARY_V1), commandIdArb);
const valueArb: fc.Arbitrary<Value> = fc.letrec<{ v: Value }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.maxSafeInteger(),
    fc.double(),
    stringArb,
    bytesArb(),
    fc.array(tie('v'), { maxLength: 5 }),
    fc.dictionary(fc.oneof(stringArb, fc.constantFrom('seq', 'ok', 'status')).filter((k) => k !== '__proto__'), tie('v'), { maxKeys: 5, noNullPrototype: true }),
  ),
})).v;

describe('value encoding (TVE)', () => {
  it('round-trips every value', () => {
    fc.assert(fc.property(valueArb, (v) => assert.deepStrictEqual(decodeValue(encodeValue(v)), v)), { numRuns: 2000 });
  });

  it('matches the hand-written examples of docs/protocol.md', () => {
    const cases: [Value, string][] = [
      [null, '00'],
      [true, '02'],
      [300, '03ac02'],
      [-1, '0400'],
      ['ok', '0706'],
      ['hé', '060368c3a9'],
      [{ ok: true }, '0a010702'],
      [[1, 'x'], '0902030106017'.padEnd(14, '8')],
      ['r:0011223344556677', '0c0011223344556677'],
    ];
    for (const [v, hex] of cases) {
      assert.equal(toHex(encodeValue(v)), hex, JSON.stringify(v));
      assert.deepStrictEqual(decodeValue(fromHex(hex)), v);
    }
  });

  it('refuses hostile input with a precise error', () => {
    const bad: [string, string][] = [
      ['', 'truncated'],
      ['ff', 'bad-tag'],
      ['0380808080808080808001', 'bad-varint'],
      ['0380', 'truncated'],
      ['0300', 'trailing-bytes'.replace('trailing-bytes', 'trailing-bytes')],
      ['09ffffffff0f', 'too-many-items'],
      ['07ff01', 'unknown-dictionary-entry'],
      ['0602c328', 'bad-utf8'],
      ['0b', 'bad-tag'],
      ['0a02070207 02', 'bad-field'],
      ['0901'.repeat(40) + '00', 'too-deep'],
    ];
    for (const [hex, code] of bad) {
      const b = fromHex(hex);
      if (hex === '0300') {
        assert.deepStrictEqual(decodeValue(b), 0);
        continue;
      }
      assert.throws(() => decodeValue(b), (e: unknown) => e instanceof ProtocolError && e.code === code, `${hex} should be ${code}`);
    }
  });
});

describe('messages: every request and response round-trips', () => {
  for (const type of REQUEST_TYPE_NAMES) {
    it(type, () => {
      fc.assert(
        fc.property(commandIdArb, valueArb, fc.constantFrom(...(Object.keys(RESPONSE_STATUS) as ResponseStatus[])), (commandId, body, status) => {
          assert.deepStrictEqual(decodeRequest(encodeRequest({ type, commandId, body })), { type, commandId, body });
          assert.deepStrictEqual(decodeResponse(encodeResponse({ type, commandId, status, body })), { type, commandId, status, body });
        }),
        { numRuns: 150 },
      );
    });
  }
});

describe('frames round-trip', () => {
  const frameArb: fc.Arbitrary<Frame> = fc.oneof(
    fc.record({ type: fc.constant('pairRequest' as const), role: fc.constantFrom('clinician' as const, 'patient' as const), publicKey: bytesArb(32), deviceName: fc.string({ maxLength: 10 }).filter((s) => !/[\u0000-\u001f\u007f]/.test(s)) }),
    fc.record({ type: fc.constant('pairResponse' as const), publicKey: bytesArb(32), sealed: fc.uint8Array({ minLength: 58, maxLength: 100 }) }),
    fc.record({ type: fc.constant('hello' as const), credentialId: bytesArb(8), publicKey: bytesArb(32), mac: bytesArb(16) }),
    fc.record({ type: fc.constant('helloReply' as const), sessionId: fc.nat({ max: 2 ** 32 - 1 }), publicKey: bytesArb(32), idleTimeoutS: fc.nat({ max: 65535 }), maxSessionS: fc.nat({ max: 65535 }), confirm: bytesArb(16) }),
    fc.record({ type: fc.constant('data' as const), sessionId: fc.nat({ max: 2 ** 32 - 1 }), counter: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), sealed: fc.uint8Array({ minLength: 16, maxLength: 200 }) }),
    fc.record({ type: fc.constant('error' as const), code: fc.constantFrom('bad-frame' as const, 'unsupported-version' as const, 'auth-failed' as const, 'busy' as const), minVersion: fc.nat({ max: 255 }), maxVersion: fc.nat({ max: 255 }) }),
  );
  it('every frame type', () => {
    fc.assert(fc.property(frameArb, (f) => assert.deepStrictEqual(decodeFrame(encodeFrame(f)), { ...f })), { numRuns: 2000 });
  });
});

describe('log pages', () => {
  const recordsArb = fc
    .array(
      fc.record({
        gap: fc.nat({ max: 3 }),
        dt: fc.integer({ min: -5_000_000, max: 50_000_000 }),
        utcOffsetMs: fc.constantFrom(0, 3_600_000, -18_000_000),
        type: fc.constantFrom('daily-total', 'patient-bolus-started', 'security', 'custom-type'),
        data: fc.dictionary(fc.constantFrom('commandId', 'volumeNl', 'why', 'deliveredNl', 'other'), fc.oneof(fc.integer(), fc.constant(null), fc.boolean(), stringArb), { maxKeys: 4, noNullPrototype: true }),
      }),
      { maxLength: 60 },
    )
    .map((xs) => {
      let seq = 1;
      let t = 1_767_225_600_000;
      return xs.map((x): LogRecord => {
        seq += 1 + x.gap;
        t += x.dt;
        return { seq, utcMs: t, utcOffsetMs: x.utcOffsetMs, type: x.type, data: x.data };
      });
    });

  it('round-trip losslessly, and a small budget gives a prefix', () => {
    fc.assert(
      fc.property(recordsArb, fc.integer({ min: 20, max: 400 }), (records, budget) => {
        const all = encodeLogRecords(records, 1_000_000);
        assert.equal(all.count, records.length);
        assert.deepStrictEqual(decodeLogRecords(all.bytes), records);
        const some = encodeLogRecords(records, budget);
        assert.ok(some.bytes.length <= budget);
        assert.deepStrictEqual(decodeLogRecords(some.bytes), records.slice(0, some.count));
      }),
      { numRuns: 500 },
    );
  });
});

describe('answer bodies are checked, never trusted', () => {
  const pump = Pump.manufacture({ serial: 'BODY-1', model: 'thecal-40', atMs: Date.UTC(2026, 0, 5) });
  const overTheAir = (x: unknown): Value => decodeValue(encodeValue(toValue(x)));

  it('a real status and forecast pass after crossing the wire', () => {
    const status = checkBody(StatusSchema, overTheAir(pump.status()), 'the status');
    assert.equal(status.serial, 'BODY-1');
    assert.deepEqual(checkBody(ForecastSchema, overTheAir(pump.forecast()), 'the forecast'), pump.forecast());
  });

  it('a body of the wrong shape is a bad-field error that names the fields and why', () => {
    const bad = { ...pump.status(), reservoir: { ...pump.status().reservoir, volumeNl: -1.5 }, alarms: 'none' };
    assert.throws(
      () => checkBody(StatusSchema, overTheAir(bad), 'the status'),
      (e: unknown) => e instanceof ProtocolError && e.code === 'bad-field' && /^the status from the pump is not what a pump sends: /.test(e.message) && e.message.includes('reservoir.volumeNl') && e.message.includes('alarms'),
    );
    assert.throws(() => checkBody(ForecastSchema, overTheAir(null), 'the forecast'), /the forecast from the pump is not what a pump sends: \(the whole body\)/);
  });

  it('a refusal keeps what the pump said: reason, message and the issues it found', () => {
    const answer = (status: Response['status'], body: unknown): Response => ({ type: 'commit', commandId: 'r:00', status, body: body as Value });
    const issue = { code: 'rate-above-max', severity: 'hard', path: 'prescription.basal.rateNlPerDay', message: 'over the maximum' };
    assert.deepEqual(refusalOf(answer('refused', overTheAir({ ok: false, atMs: 1, reason: 'invalid-program', message: 'the program is refused', issues: [issue] }))), {
      status: 'refused',
      reason: 'invalid-program',
      message: 'the program is refused',
      issues: [issue],
    });
    assert.deepEqual(refusalOf(answer('denied', { error: 'not-allowed', message: 'a patient cannot commit' })), { status: 'denied', reason: 'denied', message: 'a patient cannot commit', issues: [] });
    // A refusal whose body is malformed is still said as a refusal, with what was wrong, never read half-way.
    const r = refusalOf(answer('refused', { reason: 7, issues: [{ code: 'x' }] }));
    assert.equal(r.reason, 'refused');
    assert.deepEqual(r.issues, []);
    assert.match(r.message, /not what a pump sends: .*reason/);
  });
});
