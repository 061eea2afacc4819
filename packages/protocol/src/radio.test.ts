import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pump } from '@thecal/pump-core';
import { fromHex, toHex } from './bytes.ts';
import { deterministicRandom, ephemeralKeyPair } from './crypto.ts';
import { decodeFrame, encodeFrame, type Frame } from './frame.ts';
import { REQUEST_TYPE_NAMES, type RequestType } from './messages.ts';
import { PERMISSIONS } from './roles.ts';
import { PumpClient } from './client.ts';
import { loopbackConnector } from './transport.ts';
import { makeRig, rawPair, RawSession, T0, type Rig } from './testkit.ts';
import type { Value } from './value-codec.ts';

const MINUTE = 60_000;

/** Everything about the pump that a frame could change, except the security log itself. */
function fingerprint(pump: Pump): string {
  const { log, ...status } = pump.status();
  void log;
  const events = pump.events.all().filter((r) => r.type !== 'security');
  return JSON.stringify({ status, events, therapy: pump.therapyLog.nextSequence });
}

function errorCode(reply: Uint8Array | null): string | null {
  if (reply === null) return null;
  const f: Frame = decodeFrame(reply);
  return f.type === 'error' ? f.code : `(${f.type})`;
}

/** A valid body for each request, so the role is the only thing that decides. */
const SAMPLE: { readonly [T in RequestType]: Value } = {
  'get-device-info': {},
  'get-status': {},
  'get-forecast': {},
  'read-log': { log: 'events', fromSeq: 1 },
  interrogate: {},
  'patient-status': {},
  'get-outcome': { commandId: 'r:0000000000000001' },
  'stage-program': { changes: { alarms: { lowReservoirNl: 3_000_000 } } },
  'review-staged': {},
  commit: { stagedId: 99, acknowledgedSoftLimits: [] },
  'abort-staged': {},
  'stage-refill': { refill: { withdrawnNl: 0, filledNl: 1_000_000, drugId: 'morphine', concentrationMcgPerMl: 25_000 } },
  'stage-bolus': { bolus: { kind: 'clinician', volumeNl: 10_000, durationMs: 10 * MINUTE } },
  'stage-alarm-settings': { alarms: { lowReservoirNl: 3_000_000 } },
  'stop-therapy': {},
  'resume-therapy': {},
  'clear-alarm': { code: 'reservoir-low' },
  'alarm-test': {},
  'set-clock': { pumpUtcMs: T0 + 1_000 },
  'set-utc-offset': { utcOffsetMs: 3_600_000 },
  'patient-bolus': {},
  'end-telemetry': {},
  'list-credentials': {},
  'revoke-credential': { credentialId: '0000000000000000' },
};

/** Kinds the pump's event log reports, with the suppressed counts added back. */
function loggedSecurityCount(pump: Pump, kind: string): number {
  let n = 0;
  for (const r of pump.events.all()) {
    if (r.type !== 'security' || r.data['kind'] !== kind) continue;
    const d = String(r.data['detail']);
    const only = /^(\d+) similar event\(s\) suppressed/.exec(d);
    if (only !== null) {
      n += Number(only[1]);
      continue;
    }
    n += 1;
    for (const m of d.matchAll(/\(\+(\d+) similar suppressed/g)) n += Number(m[1]);
  }
  return n;
}

describe('pairing needs the magnet', () => {
  it('refuses pairing without the signal of intent, and logs it', () => {
    const rig = makeRig('pair-1');
    rig.radio.closePairingWindow();
    assert.throws(() => rawPair(rig.send, 'clinician', 'Eve', deterministicRandom('eve')), /pairing-not-allowed/);
    assert.equal(rig.radio.security.count('pairing-refused'), 1);
    assert.ok(rig.pump.events.all().some((r) => r.type === 'security' && r.data['kind'] === 'pairing-refused'));
  });

  it('one magnet event pairs one device, and the window expires', () => {
    const rig = makeRig('pair-2');
    rig.radio.openPairingWindow(rig.at.linkMs, 30_000);
    rawPair(rig.send, 'patient', 'A', deterministicRandom('a'));
    assert.throws(() => rawPair(rig.send, 'patient', 'B', deterministicRandom('b')), /pairing-not-allowed/);
    rig.radio.openPairingWindow(rig.at.linkMs, 30_000);
    rig.at.linkMs += 30_000;
    assert.throws(() => rawPair(rig.send, 'patient', 'C', deterministicRandom('c')), /pairing-not-allowed/);
  });

  it('gives each pump its own random root key, never derived from the serial', () => {
    const a = makeRig('root-a');
    const b = makeRig('root-b');
    assert.equal(a.keys.serial, b.keys.serial);
    assert.notEqual(toHex(a.keys.rootKey), toHex(b.keys.rootKey));
  });
});

describe('handshake', () => {
  it('opens a mutually authenticated session in one round trip', () => {
    const rig = makeRig('hs-1');
    const s = new RawSession(rig.send, rig.clinician, rig.random);
    assert.equal(s.call('get-device-info').status, 'ok');
  });

  it('refuses a wrong key, an unknown and a revoked credential with the same answer, and logs each', () => {
    const rig = makeRig('hs-2');
    const wrong = { ...rig.clinician, key: '00'.repeat(32) };
    assert.throws(() => new RawSession(rig.send, wrong, rig.random), /auth-failed/);
    const unknown = { ...rig.clinician, credentialId: '0123456789abcdef' };
    assert.throws(() => new RawSession(rig.send, unknown, rig.random), /auth-failed/);
    const admin = new RawSession(rig.send, rig.clinician, rig.random);
    assert.equal(admin.call('revoke-credential', { credentialId: rig.patient.credentialId }).status, 'ok');
    assert.throws(() => new RawSession(rig.send, rig.patient, rig.random), /auth-failed/);
    assert.equal(rig.radio.security.count('auth-failed'), 1);
    assert.equal(rig.radio.security.count('unknown-credential'), 1);
    assert.equal(rig.radio.security.count('revoked-credential'), 1);
  });

  it('notices a replayed HELLO, and a client never accepts a pump that does not hold the credential', () => {
    const rig = makeRig('hs-3');
    const s = new RawSession(rig.send, rig.clinician, rig.random);
    assert.equal(errorCode(rig.send(s.helloFrame).reply), 'auth-failed');
    assert.equal(rig.radio.security.count('hello-replay'), 1);
    // A fake pump with another root key cannot produce the confirmation.
    const fake = makeRig('hs-3-fake');
    fake.keys.add({ id: rig.clinician.credentialId, role: 'clinician', name: 'x', pairedAtUtcMs: 0, revoked: false });
    assert.throws(() => new RawSession(fake.send, rig.clinician, rig.random), /auth-failed/);
  });

  it('locks HELLO out for a minute after repeated failures', () => {
    const rig = makeRig('hs-4');
    const wrong = { ...rig.clinician, key: '11'.repeat(32) };
    for (let i = 0; i < 20; i++) assert.throws(() => new RawSession(rig.send, wrong, rig.random), /auth-failed/);
    assert.throws(() => new RawSession(rig.send, rig.clinician, rig.random), /busy/);
    rig.at.linkMs += 61_000;
    assert.equal(new RawSession(rig.send, rig.clinician, rig.random).call('get-status').status, 'ok');
  });
});

describe('no downgrade', () => {
  it('refuses every frame of another version, saying which versions it speaks', () => {
    const rig = makeRig('ver');
    const s = new RawSession(rig.send, rig.clinician, rig.random);
    for (const v of [0, 2, 255]) {
      const f = s.frame('get-status');
      f[0] = v;
      const reply = rig.send(f).reply;
      const e = reply === null ? null : decodeFrame(reply);
      assert.deepEqual(e, { type: 'error', code: 'unsupported-version', minVersion: 1, maxVersion: 1 });
    }
    assert.equal(rig.radio.security.count('unsupported-version'), 3);
  });
});

describe('role matrix: every request with every role and with none', () => {
  for (const type of REQUEST_TYPE_NAMES) {
    for (const role of ['clinician', 'patient', 'none'] as const) {
      const allowed = role !== 'none' && PERMISSIONS[role].has(type);
      it(`${type} as ${role}: ${allowed ? 'allowed' : 'refused'}`, () => {
        const rig = makeRig(`matrix-${type}-${role}`);
        const before = fingerprint(rig.pump);
        if (role === 'none') {
          // No session: a DATA frame under made-up keys, and a HELLO with a credential the pump never issued.
          const s = new RawSession(rig.send, rig.clinician, rig.random);
          const forged = s.frame(type, SAMPLE[type]);
          forged.set([0xde, 0xad, 0xbe, 0xef], 2);
          assert.equal(errorCode(rig.send(forged).reply), 'unknown-session');
          const stranger = { ...rig.patient, credentialId: 'ffffffffffffffff', key: 'ab'.repeat(32) };
          assert.throws(() => new RawSession(rig.send, stranger, rig.random), /auth-failed/);
          assert.equal(fingerprint(rig.pump), before);
          return;
        }
        const s = new RawSession(rig.send, role === 'clinician' ? rig.clinician : rig.patient, rig.random);
        const res = s.call(type, SAMPLE[type]);
        if (allowed) {
          assert.ok(res.status === 'ok' || res.status === 'refused', `${type} as ${role}: ${res.status} ${JSON.stringify(res.body)}`);
        } else {
          assert.equal(res.status, 'denied');
          assert.equal(fingerprint(rig.pump), before, 'a denied request changed the pump');
          assert.equal(rig.radio.security.count('role-denied'), 1);
        }
      });
    }
  }

  it('a patient can never change a dose: every dose-changing request is denied', () => {
    const doseChanging: RequestType[] = ['stage-program', 'commit', 'stage-refill', 'stage-bolus', 'stop-therapy', 'resume-therapy', 'set-clock', 'set-utc-offset', 'stage-alarm-settings', 'abort-staged'];
    for (const t of doseChanging) assert.equal(PERMISSIONS.patient.has(t), false, t);
  });

  it('a patient may silence a non-critical alarm but not a critical one', () => {
    const rig = makeRig('pt-alarm');
    rig.pump.execute(T0 + 1, 'mri', { type: 'magnetic-field', durationMs: MINUTE, recoveryDelayMs: 0 });
    const s = new RawSession(rig.send, rig.patient, rig.random);
    const r = s.call('clear-alarm', { code: 'motor-stall' });
    assert.equal(r.status, 'denied');
  });
});

describe('replay, reorder, truncation and bit-flip campaigns', () => {
  function ready(seed: string): { rig: Rig; s: RawSession } {
    const rig = makeRig(seed);
    return { rig, s: new RawSession(rig.send, rig.patient, rig.random) };
  }

  it('rejects every replayed frame, changes nothing, and counts each in the security log', () => {
    const { rig, s } = ready('replay');
    const frames: Uint8Array[] = [];
    for (let i = 0; i < 30; i++) {
      const f = s.frame(i === 0 ? 'patient-bolus' : 'get-status');
      frames.push(f);
      assert.equal(rig.send(f).rejected, null);
    }
    const before = fingerprint(rig.pump);
    for (let round = 0; round < 5; round++) for (const f of frames) assert.equal(rig.send(f).rejected, 'replay');
    assert.equal(fingerprint(rig.pump), before);
    assert.equal(rig.pump.therapyLog.all().filter((r) => r.type === 'patient-bolus-started').length, 1);
    assert.equal(rig.radio.security.count('replay'), 150);
    rig.at.linkMs += 61_000;
    rig.radio.tick(rig.at);
    assert.equal(loggedSecurityCount(rig.pump, 'replay'), 150);
  });

  it('rejects frames that arrive after a later one (reordered)', () => {
    const { rig, s } = ready('reorder');
    const fs = [0, 1, 2, 3, 4].map(() => s.frame('get-status'));
    assert.equal(rig.send(fs[4] as Uint8Array).rejected, null);
    for (const f of fs.slice(0, 4)) assert.equal(rig.send(f).rejected, 'replay');
    assert.equal(rig.radio.security.count('replay'), 4);
  });

  it('rejects every truncation and every single-bit flip, without moving the session counter', () => {
    const { rig, s } = ready('mutate');
    const f = s.frame('patient-bolus');
    const before = fingerprint(rig.pump);
    let rejected = 0;
    for (let len = 0; len < f.length; len++) {
      assert.notEqual(rig.send(f.slice(0, len)).rejected, null, `prefix ${len}`);
      rejected++;
    }
    for (let bit = 0; bit < f.length * 8; bit++) {
      const g = f.slice();
      g[bit >> 3] = (g[bit >> 3] ?? 0) ^ (1 << (bit & 7));
      assert.notEqual(rig.send(g).rejected, null, `bit ${bit}`);
      rejected++;
    }
    assert.equal(fingerprint(rig.pump), before);
    const counted = ['bad-frame', 'decrypt-failed', 'unknown-session', 'unsupported-version', 'replay', 'unexpected-frame'].reduce((n, k) => n + rig.radio.security.count(k as never), 0);
    assert.equal(counted, rejected);
    // The genuine frame is still accepted: forgeries did not push the counter forward.
    assert.equal(s.openReply(rig.send(f).reply)?.status, 'ok');
  });

  it('rate-limits what a flood writes into the event log, but keeps the exact count', () => {
    const { rig, s } = ready('flood');
    const f = s.frame('get-status');
    rig.send(f);
    for (let i = 0; i < 1000; i++) rig.send(f);
    const written = rig.pump.events.all().filter((r) => r.type === 'security' && r.data['kind'] === 'replay').length;
    assert.ok(written <= 11, `${written} records written`);
    assert.equal(rig.radio.security.count('replay'), 1000);
    rig.at.linkMs += 61_000;
    rig.radio.tick(rig.at);
    assert.equal(loggedSecurityCount(rig.pump, 'replay'), 1000);
  });
});

describe('sessions', () => {
  it('time out when idle (in link time, whatever the pump clock does)', () => {
    const rig = makeRig('idle');
    const s = new RawSession(rig.send, rig.clinician, rig.random);
    assert.equal(s.call('get-status').status, 'ok');
    rig.at.linkMs += rig.radio.idleTimeoutMs;
    assert.equal(errorCode(rig.send(s.frame('get-status')).reply), 'unknown-session');
  });

  it('end after their maximum lifetime even when busy', () => {
    const rig = makeRig('life');
    const s = new RawSession(rig.send, rig.clinician, rig.random);
    assert.equal(s.call('get-status').status, 'ok');
    for (let t = 0; t < rig.radio.maxSessionMs; t += 60_000) {
      rig.at.linkMs += 60_000;
      if (t + 60_000 < rig.radio.maxSessionMs) assert.equal(s.call('get-status').status, 'ok');
    }
    assert.equal(errorCode(rig.send(s.frame('get-status')).reply), 'unknown-session');
  });

  it('end-telemetry drops the keys and charges the radio time to the battery', () => {
    const rig = makeRig('end');
    const s = new RawSession(rig.send, rig.patient, rig.random);
    s.call('get-status');
    rig.at.linkMs += 30_000;
    const uj = rig.pump.batteryRemainingUj();
    assert.equal(s.call('end-telemetry').status, 'ok');
    assert.ok(rig.pump.batteryRemainingUj() < uj);
    assert.equal(errorCode(rig.send(s.frame('get-status')).reply), 'unknown-session');
  });

  it('losing the link changes nothing: the pump keeps delivering its committed program', () => {
    const rig = makeRig('lost');
    const s = new RawSession(rig.send, rig.clinician, rig.random);
    const staged = s.call('stage-program', { changes: { prescription: { ...rigRx(), basal: { kind: 'continuous', rateNlPerDay: 600_000 } } } });
    assert.equal(staged.status, 'ok');
    // The link is lost here: no commit ever arrives. The session times out, time passes.
    rig.at.linkMs += 10 * MINUTE;
    rig.at.pumpMs += 24 * 60 * MINUTE;
    rig.radio.tick(rig.at);
    rig.pump.advanceTo(rig.at.pumpMs);
    const st = rig.pump.status();
    assert.equal(st.therapy.currentRateNlPerDay, 500_000);
    assert.equal(st.therapy.running, true);
  });
});

function rigRx() {
  return { drugId: 'morphine', concentrationMcgPerMl: 25_000, basal: { kind: 'continuous', rateNlPerDay: 500_000 }, maxRateNlPerDay: 1_000_000, maxDailyDosePg: 18_000_000_000, patientBolus: { volumeNl: 10_000, durationMs: 600_000, lockoutMs: 3_600_000, maxPer24h: 8 } } as const;
}

describe('device info', () => {
  it('a simulated pump says how fast its clock runs; a pump in real time sends exactly what it always did', () => {
    const real = makeRig('device-real');
    const sim = makeRig('device-sim', { clockRate: 60 });
    const info = (rig: Rig) => new RawSession(rig.send, rig.clinician, rig.random).call('get-device-info').body as Record<string, unknown>;
    assert.equal('simulatedClockRate' in info(real), false);
    assert.equal(info(sim)['simulatedClockRate'], 60);
  });
});

describe('the real outcome of a command whose answer was lost', () => {
  it('tells unknown, in progress, delivered, partially delivered and not delivered apart', () => {
    const rig = makeRig('outcome');
    const pt = new RawSession(rig.send, rig.patient, rig.random);
    const dr = new RawSession(rig.send, rig.clinician, rig.random);
    const outcome = (id: string) => (pt.call('get-outcome', { commandId: id }).body as { outcome: string }).outcome;
    assert.equal(outcome('r:00000000000000aa'), 'unknown');
    const bolus1 = pt.newCommandId();
    rig.send(pt.frame('patient-bolus', {}, bolus1)); // the answer is "lost"
    assert.equal(outcome(bolus1), 'in-progress');
    rig.at.pumpMs += 11 * MINUTE;
    assert.equal(outcome(bolus1), 'delivered');
    const refused = pt.newCommandId();
    rig.send(pt.frame('patient-bolus', {}, refused)); // lockout
    assert.equal(outcome(refused), 'not-delivered');
    rig.at.pumpMs += 61 * MINUTE;
    const bolus2 = pt.newCommandId();
    rig.send(pt.frame('patient-bolus', {}, bolus2));
    rig.at.pumpMs += 5 * MINUTE;
    assert.equal(dr.call('stop-therapy').status, 'ok');
    const o = pt.call('get-outcome', { commandId: bolus2 }).body as { outcome: string; deliveredNl: number; requestedNl: number };
    assert.equal(o.outcome, 'partially-delivered');
    assert.ok(o.deliveredNl > 0 && o.deliveredNl < o.requestedNl);
  });

  it('the client asks before it retries, and a retried bolus is given once', async () => {
    for (const lose of ['answer', 'request'] as const) {
      const rig = makeRig(`retry-${lose}`);
      let n = 0;
      const connect = loopbackConnector((f) => {
        n += 1;
        const r = lose === 'request' && n === 3 ? null : rig.send(f).reply;
        return lose === 'answer' && n === 3 ? null : r;
      });
      const client = new PumpClient({ connect, random: deterministicRandom(`c-${lose}`), timeoutMs: 50 });
      await client.connect(rig.patient);
      await client.status(); // frames 1 (hello) and 2
      const res = await client.request('patient-bolus'); // frame 3 lost one way or the other
      assert.equal(res.status, 'ok', JSON.stringify(res.body));
      assert.equal(client.stats.outcomeQueries, 1);
      assert.equal(rig.pump.therapyLog.all().filter((r) => r.type === 'patient-bolus-started').length, 1, lose);
      client.close();
    }
  });
});

describe('bad requests inside a valid session', () => {
  it('answers what is wrong and why, and changes nothing', () => {
    const rig = makeRig('bad-body');
    const s = new RawSession(rig.send, rig.clinician, rig.random);
    const before = fingerprint(rig.pump);
    const r = s.call('set-clock', { pumpUtcMs: -5 });
    assert.equal(r.status, 'bad-request');
    assert.match(String((r.body as { error: string }).error), /pumpUtcMs/);
    const r2 = s.call('stage-program', { changes: { refill: { withdrawnNl: 0, filledNl: 1, drugId: 'aspirin', concentrationMcgPerMl: 1 } } });
    assert.equal(r2.status, 'bad-request');
    assert.match(String((r2.body as { error: string }).error), /changes\.refill\.drugId/);
    assert.equal(fingerprint(rig.pump), before);
  });

  it('a pairing request with a low-order public key is refused cleanly', () => {
    const rig = makeRig('low-order');
    rig.radio.openPairingWindow(rig.at.linkMs);
    const f = encodeFrame({ type: 'pairRequest', role: 'clinician', publicKey: new Uint8Array(32), deviceName: 'x' });
    assert.equal(rig.send(f).rejected, 'bad-frame');
    assert.ok(ephemeralKeyPair(deterministicRandom('x')).publicKey.length === 32);
    assert.equal(fromHex('00').length, 1);
  });
});
