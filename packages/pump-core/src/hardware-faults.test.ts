/**
 * Hardware faults (hardware-faults.ts): a stalled rotor delivers nothing and is noticed within one
 * stroke period; a leaking battery brings ERI forward, never backward, and a cell that runs flat
 * early ends service in silence instead of tripping the safe state.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Pump } from './pump.ts';
import { LIMITS } from './limits.ts';
import { leakageUj, changeLeakage, leakageDrawnUj, NO_LEAKAGE, type HardwareFault } from './hardware-faults.ts';
import { MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE, NL_PER_ML, PG_PER_MG } from './units.ts';
import { T0, morphineRx, runningPump } from './testing/fixtures.ts';

const RUNS = Number(process.env['THECAL_PROPERTY_RUNS'] ?? 60);
const rateArb = fc.integer({ min: LIMITS.minRateNlPerDay, max: 2 * NL_PER_ML });

function pumpAt(rateNlPerDay: number): Pump {
  return runningPump(morphineRx({ kind: 'continuous', rateNlPerDay }, null, { maxDailyDosePg: 30 * PG_PER_MG }), {
    filledNl: 40 * NL_PER_ML,
    ack: ['daily-dose-above-soft-limit', 'daily-dose-below-soft-minimum'],
  });
}
const strokePeriodMs = (rate: number) => Math.ceil((LIMITS.strokeNl * MS_PER_DAY) / rate);
const stallEvents = (p: Pump) => p.events.all().filter((e) => e.type === 'motor-stall');

describe('hardware fault: motor stall', () => {
  it('property: nothing is delivered while stalled, the pump notices within one stroke period, and it resumes exactly at recovery', () => {
    fc.assert(
      fc.property(
        rateArb,
        fc.integer({ min: 0, max: 3 * MS_PER_DAY }),
        fc.option(fc.integer({ min: 0, max: LIMITS.maxStallRecoveryDelayMs }), { nil: null }),
        (rate, injectAfterMs, recoveryDelayMs) => {
          const pump = pumpAt(rate);
          const at = T0 + injectAfterMs;
          assert.deepEqual(pump.injectHardwareFault(at, { kind: 'motor-stall', recoveryDelayMs }), { ok: true });
          const strokes = pump.status().delivered.strokes;
          const detectBy = at + strokePeriodMs(rate);
          const recoverAt = recoveryDelayMs === null ? Number.POSITIVE_INFINITY : at + recoveryDelayMs;
          // Just before recovery (or two days on, for a rotor that never recovers): not a stroke more.
          const probe = Math.min(recoverAt - 1, at + 2 * MS_PER_DAY);
          if (probe > at) {
            pump.advanceTo(probe);
            assert.equal(pump.status().delivered.strokes, strokes);
            assert.equal(pump.status().therapy.suspendedBy, 'motor-stall');
          }
          if (recoverAt > detectBy) {
            pump.advanceTo(Math.max(pump.nowMs, detectBy));
            const raised = pump.events.all().find((e) => e.type === 'alarm-raised' && e.data['code'] === 'motor-stall');
            assert.ok(raised !== undefined, 'the stall was noticed');
            assert.ok(raised.utcMs <= detectBy && raised.utcMs >= at);
            assert.equal(stallEvents(pump).at(-1)?.data['cause'], 'hardware');
          }
          if (recoveryDelayMs !== null) {
            pump.advanceTo(Math.max(pump.nowMs, recoverAt + 2 * strokePeriodMs(rate)));
            assert.equal(pump.status().therapy.running, true);
            assert.ok(pump.status().delivered.strokes > strokes);
            assert.ok(!pump.status().alarms.some((a) => a.code === 'motor-stall'));
            const rec = pump.events.all().find((e) => e.type === 'motor-stall-recovery');
            assert.equal(rec?.utcMs, recoverAt);
          } else {
            assert.ok(pump.status().alarms.some((a) => a.code === 'motor-stall'));
          }
          assert.notEqual(pump.status().therapy.suspendedBy, 'safe-state');
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('a second stall never shortens a rotor that will not recover, and a magnetic field does not heal it', () => {
    const pump = pumpAt(500_000);
    assert.ok(pump.injectHardwareFault(T0 + MS_PER_HOUR, { kind: 'motor-stall', recoveryDelayMs: null }).ok);
    assert.ok(pump.injectHardwareFault(T0 + 2 * MS_PER_HOUR, { kind: 'motor-stall', recoveryDelayMs: MS_PER_HOUR }).ok);
    assert.ok(pump.execute(T0 + 3 * MS_PER_HOUR, 'mri', { type: 'magnetic-field', durationMs: MS_PER_HOUR, recoveryDelayMs: 2 * MS_PER_HOUR }).ok);
    pump.advanceTo(T0 + 30 * MS_PER_DAY);
    assert.equal(pump.status().therapy.suspendedBy, 'motor-stall');
  });

  it('refuses a malformed fault with the reason and changes nothing', () => {
    const pump = pumpAt(500_000);
    const before = JSON.stringify(pump.snapshot());
    const bad: HardwareFault[] = [
      { kind: 'motor-stall', recoveryDelayMs: -1 },
      { kind: 'motor-stall', recoveryDelayMs: 1.5 },
      { kind: 'motor-stall', recoveryDelayMs: LIMITS.maxStallRecoveryDelayMs + 1 },
      { kind: 'battery-drain', extraUjPerDay: -5 },
      { kind: 'battery-drain', extraUjPerDay: Number.NaN },
    ];
    for (const f of bad) {
      const r = pump.injectHardwareFault(T0, f);
      assert.equal(r.ok, false);
      assert.match((r as { message: string }).message, /must be/);
    }
    assert.equal(pump.injectHardwareFault(T0 - 1, { kind: 'battery-drain', extraUjPerDay: 1 }).ok, false);
    assert.equal(JSON.stringify(pump.snapshot()), before);
  });
});

describe('hardware fault: battery leakage', () => {
  it('leakage is integrated exactly: split intervals draw the same as one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 0, max: 400 * MS_PER_DAY }), fc.integer({ min: 0, max: 400 * MS_PER_DAY }), (rate, a, b) => {
        const one = leakageUj(rate, a + b);
        const split = leakageDrawnUj(changeLeakage({ ujPerDay: rate, sinceMs: 0, foldedUj: 0 }, a, rate), a + b);
        // Whole days are exact; each split can lose at most 1 µJ of a partial day to rounding down.
        assert.ok(Math.abs(one - split) <= 1);
        assert.equal(leakageDrawnUj(NO_LEAKAGE, a), 0);
      }),
      { numRuns: RUNS * 5 },
    );
  });

  it('property: ERI comes no later than on a healthy pump, energy never rises, and a flat cell ends service without the safe state', () => {
    fc.assert(
      fc.property(
        rateArb,
        fc.integer({ min: 0, max: 60 * MS_PER_DAY }),
        fc.integer({ min: 1_000_000, max: 2_000_000_000 }),
        (rate, injectAfterMs, extraUjPerDay) => {
          const healthy = pumpAt(rate);
          const leaking = pumpAt(rate);
          const at = T0 + injectAfterMs;
          assert.ok(leaking.injectHardwareFault(at, { kind: 'battery-drain', extraUjPerDay }).ok);
          healthy.advanceTo(at);
          let last = leaking.batteryRemainingUj();
          let t = at;
          // Step through the leaking pump's life a month at a time until it is silent.
          while (t < at + 9 * 365 * MS_PER_DAY && leaking.status().therapy.suspendedBy !== 'end-of-service') {
            t += 30 * MS_PER_DAY;
            leaking.advanceTo(t);
            const now = leaking.batteryRemainingUj();
            assert.ok(now <= last, 'stored energy never rises');
            last = now;
          }
          assert.equal(leaking.status().therapy.suspendedBy, 'end-of-service');
          assert.ok(!leaking.events.all().some((e) => e.type === 'invariant-violation'), 'no safe state');
          const eriLeaking = leaking.status().battery.eriAtMs;
          assert.ok(eriLeaking !== null);
          healthy.advanceTo(Math.max(t, eriLeaking) + MS_PER_DAY);
          const eriHealthy = healthy.status().battery.eriAtMs;
          assert.ok(eriHealthy === null || eriLeaking <= eriHealthy + MS_PER_DAY, `ERI ${eriLeaking} later than healthy ${eriHealthy}`);
          // After the cell is flat nothing more is delivered and nothing sounds.
          leaking.advanceTo(leaking.nowMs + 200 * MS_PER_DAY);
          const strokes = leaking.status().delivered.strokes;
          leaking.advanceTo(leaking.nowMs + 30 * MS_PER_DAY);
          assert.equal(leaking.status().delivered.strokes, strokes);
          assert.deepEqual(leaking.status().alarms, []);
        },
      ),
      { numRuns: Math.max(8, Math.floor(RUNS / 6)) },
    );
  });

  it('a leak fast enough to empty the cell within the ERI reserve ends service early, at the moment energy runs out', () => {
    const pump = pumpAt(500_000);
    // A new battery in about 40 days.
    const extra = Math.floor(pump.batteryRemainingUj() / 40);
    assert.ok(pump.injectHardwareFault(T0, { kind: 'battery-drain', extraUjPerDay: extra }).ok);
    pump.advanceTo(T0 + 60 * MS_PER_DAY);
    const eos = pump.events.all().find((e) => e.type === 'end-of-service');
    assert.ok(eos !== undefined);
    assert.ok(eos.utcMs > T0 + 35 * MS_PER_DAY && eos.utcMs < T0 + 42 * MS_PER_DAY, `end of service at day ${(eos.utcMs - T0) / MS_PER_DAY}`);
    assert.ok(pump.events.all().some((e) => e.type === 'eri'));
    assert.ok(!pump.events.all().some((e) => e.type === 'invariant-violation'));
  });

  it('survives a snapshot round trip (the leak is in the saved state)', () => {
    const pump = pumpAt(500_000);
    assert.ok(pump.injectHardwareFault(T0 + MS_PER_MINUTE, { kind: 'battery-drain', extraUjPerDay: 50_000_000 }).ok);
    pump.advanceTo(T0 + 10 * MS_PER_DAY);
    const copy = Pump.fromSnapshot(JSON.parse(JSON.stringify(pump.snapshot())));
    pump.advanceTo(T0 + 20 * MS_PER_DAY);
    copy.advanceTo(T0 + 20 * MS_PER_DAY);
    assert.equal(copy.batteryRemainingUj(), pump.batteryRemainingUj());
  });
});
