/**
 * What an interrogation shows as a problem (the programmer's Summary and the fault table's
 * programmer column): rules checked as properties over generated interrogations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ALARM_CODES, ALARM_KINDS, PUMP_MODELS, type AlarmCode, type PumpModelId } from '@thecal/pump-core';
import { CLOCK_TOLERANCE_MS, interrogationFindings, residualCheck, type InterrogationView } from './index.ts';

const T = Date.UTC(2026, 3, 1);
const MODELS = Object.keys(PUMP_MODELS) as PumpModelId[];
type Ev = InterrogationView['events'][number];

/** Records of normal work: never a problem by themselves. */
const ROUTINE = ['program-staged', 'program-committed', 'bolus-started', 'bolus-ended', 'interrogation', 'alarm-test', 'therapy-resumed', 'motor-stall-recovery', 'daily-total'];

const view = (o: Partial<InterrogationView['status']> & { events?: Ev[]; programmerUtcMs?: number } = {}): InterrogationView => ({
  status: { model: o.model ?? 'thecal-40', pumpUtcMs: o.pumpUtcMs ?? T, alarms: o.alarms ?? [] },
  events: o.events ?? [],
  programmerUtcMs: o.programmerUtcMs ?? T,
});

test('a quiet interrogation shows nothing: no alarm, only routine records, a refill within the threshold, the clock within tolerance', () => {
  const events: Ev[] = ROUTINE.map((type, i) => ({ seq: i + 1, utcMs: T - 1000 + i, type, data: {} }));
  events.push({ seq: 50, utcMs: T, type: 'refill', data: { expectedNl: 3_000_000, withdrawnNl: 4_500_000, filledNl: 40_000_000 } });
  events.push({ seq: 51, utcMs: T, type: 'self-test', data: { result: 'ok' } });
  assert.deepEqual(interrogationFindings(view({ events, pumpUtcMs: T + CLOCK_TOLERANCE_MS, programmerUtcMs: T })), []);
});

test('a simulated pump that says it runs faster than real time (no programmer clock to compare): its clock is never a finding', () => {
  const v = { ...view({ pumpUtcMs: T + 365 * 86_400_000 }), programmerUtcMs: null };
  assert.deepEqual(interrogationFindings(v), []);
});

test('property: the clock is a finding exactly when it is more than the tolerance off, and the finding says which way', () => {
  fc.assert(
    fc.property(fc.integer({ min: -3 * CLOCK_TOLERANCE_MS, max: 3 * CLOCK_TOLERANCE_MS }), (offMs) => {
      const f = interrogationFindings(view({ pumpUtcMs: T + offMs })).filter((x) => x.kind === 'clock');
      assert.equal(f.length, Math.abs(offMs) > CLOCK_TOLERANCE_MS ? 1 : 0);
      if (f[0] !== undefined) assert.match(f[0].message, offMs > 0 ? /ahead of/ : /behind/);
    }),
  );
});

test('property: a refill record is a finding exactly when the refill form\'s residual check flags it, with its sequence number', () => {
  fc.assert(
    fc.property(fc.constantFrom(...MODELS), fc.integer({ min: 0, max: 40_000_000 }), fc.integer({ min: 0, max: 40_000_000 }), fc.integer({ min: 1, max: 10_000 }), (model, expectedNl, withdrawnNl, seq) => {
      const f = interrogationFindings(view({ model, events: [{ seq, utcMs: T, type: 'refill', data: { expectedNl, withdrawnNl } }] }));
      const flagged = residualCheck(model, expectedNl, withdrawnNl).flagged;
      assert.equal(f.length, flagged ? 1 : 0);
      if (f[0] !== undefined) {
        assert.equal(f[0].kind, 'refill-discrepancy');
        assert.equal(f[0].seq, seq);
        assert.equal(/pocket fill/.test(f[0].message), withdrawnNl < expectedNl);
      }
    }),
  );
});

test('property: every active alarm is one finding; critical findings come first; a past critical alarm is listed only when no longer active', () => {
  const alarm = fc.record({ code: fc.constantFrom(...ALARM_CODES), raisedAtMs: fc.integer({ min: T - 1e9, max: T }) });
  fc.assert(
    fc.property(fc.uniqueArray(alarm, { selector: (a) => a.code, maxLength: ALARM_CODES.length }), fc.array(fc.constantFrom(...ALARM_CODES), { maxLength: 6 }), (active, pastCodes) => {
      const alarms = active.map((a) => ({ ...a, critical: ALARM_KINDS[a.code] === 'critical' }));
      const events: Ev[] = pastCodes.map((code, i) => ({ seq: i + 1, utcMs: T - 10_000 + i, type: 'alarm-raised', data: { code, critical: ALARM_KINDS[code] === 'critical' } }));
      const f = interrogationFindings(view({ alarms, events }));
      assert.deepEqual(f.filter((x) => x.kind === 'alarm').map((x) => x.code).sort(), alarms.map((a) => a.code).sort());
      const activeCodes = new Set<AlarmCode>(alarms.map((a) => a.code));
      const past = new Set(pastCodes.filter((c) => ALARM_KINDS[c] === 'critical' && !activeCodes.has(c)));
      assert.deepEqual(new Set(f.filter((x) => x.kind === 'log-fault').map((x) => x.code)), past);
      const firstNonCritical = f.findIndex((x) => !x.critical);
      if (firstNonCritical >= 0) assert.ok(f.slice(firstNonCritical).every((x) => !x.critical));
    }),
  );
});

test('log faults: a stall re-detected many times is one finding with its count and newest record; a failed self-test and a restart are critical', () => {
  const events: Ev[] = [
    { seq: 10, utcMs: T - 3000, type: 'motor-stall', data: {} },
    { seq: 11, utcMs: T - 2000, type: 'motor-stall', data: {} },
    { seq: 12, utcMs: T - 1000, type: 'motor-stall-recovery', data: {} },
    { seq: 13, utcMs: T - 900, type: 'power-restored', data: {} },
    { seq: 14, utcMs: T - 800, type: 'self-test', data: { result: 'degraded' } },
    { seq: 15, utcMs: T - 700, type: 'eri', data: {} },
  ];
  const f = interrogationFindings(view({ events }));
  const stall = f.find((x) => x.code === 'motor-stall');
  assert.deepEqual({ count: stall?.count, seq: stall?.seq, at: stall?.atPumpUtcMs }, { count: 2, seq: 11, at: T - 2000 });
  assert.deepEqual(
    f.map((x) => [x.code, x.critical]),
    [
      ['motor-stall', true],
      ['power-restored', true],
      ['self-test', true],
      ['eri', false],
    ],
  );
});
