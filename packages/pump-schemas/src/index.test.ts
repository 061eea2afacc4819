import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Pump, type ChangeSet, type Prescription } from '@thecal/pump-core';
import { PumpForecastSchema, PumpStatusSchema } from './index.ts';

const T0 = Date.UTC(2026, 0, 5);
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

let n = 0;
function program(pump: Pump, atMs: number, changes: ChangeSet): void {
  const staged = pump.execute(atMs, `s-${++n}`, { type: 'stage', changes });
  assert.ok(staged.ok, staged.ok ? '' : staged.message);
  const soft = (staged.detail['softLimits'] as { code: string }[] | undefined) ?? [];
  const committed = pump.execute(atMs, `c-${++n}`, { type: 'commit', stagedId: staged.detail['stagedId'] as number, acknowledgedSoftLimits: soft.map((s) => s.code) });
  assert.ok(committed.ok, committed.ok ? '' : committed.message);
}

const flexRx: Prescription = {
  drugId: 'morphine',
  concentrationMcgPerMl: 10_000,
  basal: {
    kind: 'flex',
    dayPrograms: [
      { name: 'weekday', steps: [{ startMinute: 0, rateNlPerDay: 400_000 }, { startMinute: 480, rateNlPerDay: 600_000 }] },
      { name: 'weekend', steps: [{ startMinute: 0, rateNlPerDay: 500_000 }] },
    ],
    week: [1, 0, 0, 0, 0, 0, 1],
  },
  maxRateNlPerDay: 2_000_000,
  maxDailyDosePg: 20_000_000_000,
  patientBolus: { volumeNl: 20_000, durationMs: 10 * MIN, lockoutMs: HOUR, maxPer24h: 4 },
};

function runningPump(): Pump {
  const pump = Pump.manufacture({ serial: 'SCHEMA-1', model: 'thecal-40', atMs: T0, utcOffsetMs: -5 * HOUR });
  program(pump, T0, { refill: { withdrawnNl: 0, filledNl: 20_000_000, drugId: 'morphine', concentrationMcgPerMl: 10_000 }, prescription: flexRx, device: { patientId: 'P-1', implantDateMs: T0, catheter: { model: 'C-1', lengthMm: 600, volumeNl: 150_000 } } });
  return pump;
}

function expectValid(pump: Pump, what: string): void {
  const status = PumpStatusSchema.safeParse(pump.status());
  assert.ok(status.success, `${what}: ${status.success ? '' : JSON.stringify(status.error.issues.slice(0, 3))}`);
  const forecast = PumpForecastSchema.safeParse(pump.forecast());
  assert.ok(forecast.success, `${what}: forecast ${forecast.success ? '' : JSON.stringify(forecast.error.issues.slice(0, 3))}`);
}

describe('pump schemas', () => {
  it('accept the status and forecast of a pump in each of its states', () => {
    expectValid(Pump.manufacture({ serial: 'NEW-1', model: 'thecal-20', atMs: T0 }), 'a new pump, no drug, no program');
    const pump = runningPump();
    expectValid(pump, 'running flex');
    assert.ok(pump.execute(T0 + HOUR, 'pb-1', { type: 'patient-bolus' }).ok);
    expectValid(pump, 'a patient bolus running');
    const staged = pump.execute(T0 + 2 * HOUR, 'st-1', { type: 'stage', changes: { bolus: { kind: 'clinician', volumeNl: 50_000, durationMs: HOUR } } });
    assert.ok(staged.ok);
    expectValid(pump, 'a program staged');
    pump.execute(T0 + 2 * HOUR, 'cm-1', { type: 'commit', stagedId: staged.detail['stagedId'] as number, acknowledgedSoftLimits: [] });
    expectValid(pump, 'a clinician bolus running');
    assert.deepEqual(pump.injectHardwareFault(T0 + 3 * HOUR, { kind: 'motor-stall', recoveryDelayMs: null }), { ok: true });
    pump.advanceTo(T0 + 4 * HOUR);
    expectValid(pump, 'motor stalled, alarming');
    pump.advanceTo(T0 + 60 * DAY);
    expectValid(pump, 'weeks later');
    const drained = runningPump();
    drained.advanceTo(T0 + 60 * DAY);
    assert.ok(drained.status().alarms.some((a) => a.code === 'reservoir-empty'));
    expectValid(drained, 'reservoir empty');
    drained.advanceTo(T0 + 9 * 365 * DAY);
    expectValid(drained, 'past end of service, battery flat');
  });

  it('accept whatever a random run of commands leaves behind', () => {
    const command = fc.oneof(
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 3 * DAY }) }),
      fc.record({ kind: fc.constant('bolus' as const) }),
      fc.record({ kind: fc.constant('refill' as const), ml: fc.integer({ min: 1, max: 40 }) }),
      fc.record({ kind: fc.constant('stop' as const) }),
      fc.record({ kind: fc.constant('clock' as const), offsetHours: fc.integer({ min: -12, max: 14 }) }),
    );
    fc.assert(
      fc.property(fc.array(command, { maxLength: 25 }), (commands) => {
        const pump = runningPump();
        let t = T0;
        for (const [i, c] of commands.entries()) {
          t += c.kind === 'advance' ? c.ms : MIN;
          pump.advanceTo(t);
          const id = `r-${i}`;
          if (c.kind === 'bolus') pump.execute(t, id, { type: 'patient-bolus' });
          if (c.kind === 'refill') {
            const staged = pump.execute(t, id, { type: 'stage', changes: { refill: { withdrawnNl: pump.status().reservoir.volumeNl, filledNl: c.ml * 1_000_000, drugId: 'morphine', concentrationMcgPerMl: 10_000 } } });
            if (staged.ok) pump.execute(t, `${id}-c`, { type: 'commit', stagedId: staged.detail['stagedId'] as number, acknowledgedSoftLimits: [] });
          }
          if (c.kind === 'stop') pump.execute(t, id, { type: 'stop-therapy' });
          if (c.kind === 'clock') pump.execute(t, id, { type: 'set-utc-offset', utcOffsetMs: c.offsetHours * HOUR });
          expectValid(pump, `after ${i + 1} commands`);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('reject a status that is not what a pump sends, naming the field', () => {
    const good = runningPump().status();
    const cases: [string, unknown, string][] = [
      ['a volume as text', { ...good, reservoir: { ...good.reservoir, volumeNl: '12' } }, 'reservoir.volumeNl'],
      ['a fractional stroke count', { ...good, delivered: { ...good.delivered, strokes: 1.5 } }, 'delivered.strokes'],
      ['an unknown alarm', { ...good, alarms: [{ code: 'bogus', critical: true, raisedAtMs: T0, acknowledged: false }] }, 'alarms.0.code'],
      ['an unknown suspension', { ...good, therapy: { ...good.therapy, suspendedBy: 'napping' } }, 'therapy.suspendedBy'],
      ['no log counters', { ...good, log: undefined }, 'log'],
    ];
    for (const [what, bad, path] of cases) {
      const r = PumpStatusSchema.safeParse(bad);
      assert.equal(r.success, false, what);
      assert.ok(!r.success && r.error.issues.some((i) => i.path.join('.') === path), `${what}: issues ${r.success ? '' : JSON.stringify(r.error.issues.map((i) => i.path.join('.')))}`);
    }
  });
});
