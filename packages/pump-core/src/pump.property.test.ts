/**
 * Property-based tests of the pump's safety rules: random programs, random times, random requests;
 * every claim checked against an independent reference or directly against the pump's own record.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Pump } from './pump.ts';
import { BATTERY, LIMITS } from './limits.ts';
import { buildWeekTable, maxBasal24hNl, type BasalProgram, type PatientBolusSettings } from './program.ts';
import { MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE, NL_PER_ML, PG_PER_MG } from './units.ts';
import { T0, morphineRx, nextId, program, runningPump, tryProgram } from './testing/fixtures.ts';
import { commandedNl, type GrantedBolus, type Piece } from './testing/reference.ts';

const RUNS = Number(process.env['THECAL_PROPERTY_RUNS'] ?? 60);

const rateArb = fc.integer({ min: LIMITS.minRateNlPerDay, max: 1_000_000 });
const dayProgramArb = fc
  .uniqueArray(fc.integer({ min: 1, max: 1439 }), { maxLength: LIMITS.maxFlexSteps - 1 })
  .chain((starts) =>
    fc.array(rateArb, { minLength: starts.length + 1, maxLength: starts.length + 1 }).map((rates) => ({
      name: 'day',
      steps: [0, ...starts.sort((a, b) => a - b)].map((startMinute, i) => ({ startMinute, rateNlPerDay: rates[i] ?? LIMITS.minRateNlPerDay })),
    })),
  );
const basalArb: fc.Arbitrary<BasalProgram> = fc.oneof(
  rateArb.map((rateNlPerDay) => ({ kind: 'continuous' as const, rateNlPerDay })),
  fc.array(dayProgramArb, { minLength: 1, maxLength: 3 }).chain((dayPrograms) =>
    fc.array(fc.integer({ min: 0, max: dayPrograms.length - 1 }), { minLength: 7, maxLength: 7 }).map((week) => ({ kind: 'flex' as const, dayPrograms, week })),
  ),
);
const bolusArb: fc.Arbitrary<PatientBolusSettings> = fc.record({
  volumeNl: fc.integer({ min: 1_000, max: 50_000 }),
  durationMs: fc.integer({ min: 2, max: 60 }).map((m) => m * MS_PER_MINUTE),
  lockoutMs: fc.integer({ min: 60, max: 240 }).map((m) => m * MS_PER_MINUTE),
  maxPer24h: fc.integer({ min: 1, max: 8 }),
});
const offsetArb = fc.integer({ min: -12 * 4, max: 14 * 4 }).map((q) => q * 15 * MS_PER_MINUTE);

/** Timed inputs: patient bolus requests, offset changes, and checkpoints to compare at. */
type Step = { dtMs: number; action: 'check' | 'bolus' | 'offset'; offsetMs: number };
const stepsArb = fc.array(
  fc.record({
    dtMs: fc.integer({ min: 1, max: 30 * MS_PER_HOUR }),
    action: fc.constantFrom<'check' | 'bolus' | 'offset'>('check', 'check', 'bolus', 'bolus', 'offset'),
    offsetMs: offsetArb,
  }),
  { minLength: 1, maxLength: 40 },
);

/**
 * Samples of (time, delivered pg): every pair up to 24 h apart bounds a window that lies inside
 * some 24 h window, so none may hold more than the limit.
 */
function assertWindowsWithin(samples: readonly [number, number][], limitPg: number): void {
  let j = 0;
  for (let i = 0; i < samples.length; i++) {
    const [ti, pi] = samples[i] ?? [0, 0];
    while ((samples[j]?.[0] ?? 0) < ti - MS_PER_DAY) j++;
    const [, pj] = samples[j] ?? [0, 0];
    assert.ok(pi - pj <= limitPg, `${(pi - pj) / PG_PER_MG} mg in 24 h up to +${ti - T0} ms, limit ${limitPg / PG_PER_MG} mg`);
  }
}

describe('property: delivery tracks the programmed profile within one stroke', () => {
  it('across rate steps, midnight, weekdays, offset changes and patient boluses', () => {
    fc.assert(
      fc.property(basalArb, bolusArb, offsetArb, stepsArb, (basal, bolus, offset0, steps) => {
        const rx = morphineRx(basal, bolus, { maxDailyDosePg: 30 * PG_PER_MG, maxRateNlPerDay: 2 * NL_PER_ML });
        const pump = runningPump(rx, { filledNl: 40 * NL_PER_ML, utcOffsetMs: offset0, ack: ['daily-dose-above-soft-limit', 'daily-dose-below-soft-minimum', 'bolus-above-soft-limit'] });
        const pieces: Piece[] = [{ fromMs: T0, toMs: Number.MAX_SAFE_INTEGER, basal, offsetMs: offset0 }];
        const boluses: GrantedBolus[] = [];
        let t = T0;
        const check = () => {
          const delivered = pump.status().delivered.totalNl;
          const expected = commandedNl(pieces, boluses, t);
          assert.ok(Math.abs(delivered - expected) <= LIMITS.strokeNl, `at +${t - T0} ms delivered ${delivered} nL, programmed ${expected} nL`);
          assert.equal(delivered % LIMITS.strokeNl, 0);
        };
        for (const s of steps) {
          t += s.dtMs;
          pump.advanceTo(t);
          check();
          if (s.action === 'bolus') {
            const r = pump.execute(t, nextId(), { type: 'patient-bolus' });
            if (r.ok) boluses.push({ startMs: t, volumeNl: bolus.volumeNl, durationMs: bolus.durationMs });
          } else if (s.action === 'offset') {
            assert.ok(pump.execute(t, nextId(), { type: 'set-utc-offset', utcOffsetMs: s.offsetMs }).ok);
            const last = pieces[pieces.length - 1];
            if (last !== undefined) last.toMs = t;
            pieces.push({ fromMs: t, toMs: Number.MAX_SAFE_INTEGER, basal, offsetMs: s.offsetMs });
          }
        }
        t += 2 * MS_PER_HOUR;
        pump.advanceTo(t);
        check();
        assert.equal(pump.status().therapy.running, true);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('property: patient boluses', () => {
  it('no bolus inside the lockout, never more than the allowed count overlapping any 24 h, every denial has a reason', () => {
    // Gaps are either anywhere up to 6 h or within two minutes of the lockout, where off-by-one errors live.
    const gapArb = fc.oneof(fc.integer({ min: 1, max: 6 * MS_PER_HOUR }).map((abs) => ({ abs, rel: 0 })), fc.oneof(fc.integer({ min: -120_000, max: 120_000 }), fc.constantFrom(-1, 0, 1)).map((rel) => ({ abs: 0, rel })));
    fc.assert(
      fc.property(bolusArb, fc.array(gapArb, { minLength: 1, maxLength: 60 }), (bolus, gapSpecs) => {
        const gaps = gapSpecs.map((g) => (g.abs > 0 ? g.abs : Math.max(1, bolus.lockoutMs + g.rel)));
        const pump = runningPump(morphineRx({ kind: 'continuous', rateNlPerDay: 200_000 }, bolus, { maxDailyDosePg: 30 * PG_PER_MG, maxRateNlPerDay: 2 * NL_PER_ML }), { ack: ['bolus-above-soft-limit', 'daily-dose-above-soft-limit'] });
        const starts: number[] = [];
        let t = T0;
        for (const g of gaps) {
          t += g;
          const r = pump.execute(t, nextId(), { type: 'patient-bolus' });
          if (r.ok) {
            const last = starts[starts.length - 1];
            if (last !== undefined) assert.ok(t - last >= bolus.lockoutMs, `bolus ${t - last} ms after the previous one, lockout ${bolus.lockoutMs}`);
            starts.push(t);
            // Boluses that overlap the 24 h before this one ended, plus this one, stay within the count.
            const overlapping = starts.filter((s) => s + bolus.durationMs > t - MS_PER_DAY);
            assert.ok(overlapping.length <= bolus.maxPer24h, `${overlapping.length} boluses overlap 24 h, allowed ${bolus.maxPer24h}`);
          } else {
            assert.ok(['lockout', 'count-24h-reached', 'max-daily-dose'].includes(r.reason), r.reason);
            const last = starts[starts.length - 1];
            if (r.reason === 'lockout') assert.ok(last !== undefined && t - last < bolus.lockoutMs);
            if (r.reason === 'count-24h-reached') assert.ok(starts.filter((s) => s + bolus.durationMs > t - MS_PER_DAY).length >= bolus.maxPer24h);
          }
        }
        const denied = pump.therapyLog.all().filter((x) => x.type === 'patient-bolus-denied');
        assert.equal(denied.length, gaps.length - starts.length);
        assert.ok(denied.every((d) => typeof d.data['reason'] === 'string'));
      }),
      { numRuns: RUNS * 2 },
    );
  });
});

describe('property: the maximum daily dose is never exceeded', () => {
  it('in any 24 h window, with basal, flex, patient, clinician boluses and program changes', () => {
    const actionArb = fc.oneof(
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 20 * MS_PER_HOUR }) }),
      fc.record({ kind: fc.constant('patient' as const) }),
      fc.record({ kind: fc.constant('clinician' as const), volumeNl: fc.integer({ min: 1_000, max: 290_000 }), minutes: fc.integer({ min: 1, max: 240 }) }),
      fc.record({ kind: fc.constant('reprogram' as const), basal: basalArb, bolus: fc.option(bolusArb, { nil: null }) }),
    );
    fc.assert(
      fc.property(basalArb, fc.option(bolusArb, { nil: null }), fc.array(actionArb, { minLength: 1, maxLength: 30 }), (basal, bolus, actions) => {
        const maxPg = 20 * PG_PER_MG;
        const rx = morphineRx(basal, bolus, { maxDailyDosePg: maxPg, maxRateNlPerDay: 2 * NL_PER_ML });
        const ack = ['daily-dose-above-soft-limit', 'daily-dose-below-soft-minimum', 'bolus-above-soft-limit', 'increase-above-soft-limit'];
        const pump = Pump.manufacture({ serial: 'P', model: 'thecal-40', atMs: T0 });
        const first = tryProgram(pump, T0, { refill: { withdrawnNl: 0, filledNl: 40 * NL_PER_ML, drugId: 'morphine', concentrationMcgPerMl: 10_000 }, prescription: rx }, ack);
        fc.pre(first.ok); // programs the static rule refuses are tested elsewhere
        const samples: [number, number][] = [];
        const sample = () => samples.push([pump.nowMs, pump.status().delivered.totalPg]);
        const advance = (to: number) => {
          while (pump.nowMs < to) {
            pump.advanceTo(Math.min(to, pump.nowMs + 15 * MS_PER_MINUTE));
            sample();
          }
        };
        sample();
        for (const a of actions) {
          if (a.kind === 'advance') advance(pump.nowMs + a.ms);
          else if (a.kind === 'patient') pump.execute(pump.nowMs, nextId(), { type: 'patient-bolus' });
          else if (a.kind === 'clinician') tryProgram(pump, pump.nowMs, { bolus: { kind: 'clinician', volumeNl: a.volumeNl, durationMs: a.minutes * MS_PER_MINUTE } }, ack);
          else tryProgram(pump, pump.nowMs, { prescription: morphineRx(a.basal, a.bolus, { maxDailyDosePg: maxPg, maxRateNlPerDay: 2 * NL_PER_ML }) }, ack);
          sample();
        }
        advance(pump.nowMs + 2 * MS_PER_DAY);
        assertWindowsWithin(samples, maxPg + LIMITS.strokeNl * 10_000);
        assert.notEqual(pump.status().therapy.suspendedBy, 'safe-state');
      }),
      { numRuns: Math.max(10, Math.floor(RUNS / 2)) },
    );
  });
});

describe('property: clock and time-zone changes never push a 24 h window over the maximum', () => {
  it('with the maximum at the program\'s own 24 h peak, forward and backward clock steps and offset changes at random times', () => {
    // `npm run verify` found this: a forward clock step of minutes, judged safe because the
    // projection was exact only at the window ends it checked, let two strokes more than the
    // maximum through a few hours later (the invariant caught it and stopped the pump).
    const actionArb = fc.oneof(
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 10 * MS_PER_HOUR }) }),
      fc.record({ kind: fc.constant('clock' as const), stepMs: fc.integer({ min: -6 * MS_PER_HOUR, max: 6 * MS_PER_HOUR }) }),
      fc.record({ kind: fc.constant('offset' as const), offsetMs: offsetArb }),
    );
    fc.assert(
      fc.property(basalArb, fc.array(actionArb, { minLength: 1, maxLength: 25 }), (basal, actions) => {
        const conc = 10_000;
        const maxPg = maxBasal24hNl(buildWeekTable(basal)) * conc;
        const rx = morphineRx(basal, null, { maxDailyDosePg: maxPg, maxRateNlPerDay: 2 * NL_PER_ML });
        const ack = ['daily-dose-above-soft-limit', 'daily-dose-below-soft-minimum'];
        const pump = Pump.manufacture({ serial: 'P', model: 'thecal-40', atMs: T0 });
        const first = tryProgram(pump, T0, { refill: { withdrawnNl: 0, filledNl: 40 * NL_PER_ML, drugId: 'morphine', concentrationMcgPerMl: conc }, prescription: rx }, ack);
        fc.pre(first.ok);
        // A day first, so that every later window is full.
        pump.advanceTo(T0 + MS_PER_DAY);
        const samples: [number, number][] = [[pump.nowMs, pump.status().delivered.totalPg]];
        const advance = (to: number) => {
          while (pump.nowMs < to) {
            pump.advanceTo(Math.min(to, pump.nowMs + 10 * MS_PER_MINUTE));
            samples.push([pump.nowMs, pump.status().delivered.totalPg]);
          }
        };
        for (const a of actions) {
          if (a.kind === 'advance') advance(pump.nowMs + a.ms);
          else if (a.kind === 'clock') assert.ok(pump.execute(pump.nowMs, nextId(), { type: 'set-clock', pumpUtcMs: pump.status().pumpUtcMs + a.stepMs }).ok);
          else assert.ok(pump.execute(pump.nowMs, nextId(), { type: 'set-utc-offset', utcOffsetMs: a.offsetMs }).ok);
        }
        advance(pump.nowMs + 2 * MS_PER_DAY);
        assertWindowsWithin(samples, maxPg + LIMITS.strokeNl * conc);
        const violations = pump.events.all().filter((e) => e.type === 'invariant-violation');
        assert.deepEqual(violations.map((e) => e.data['reason']), []);
      }),
      {
        numRuns: RUNS * 4,
        // A case fast-check found against the old projection (a one-minute forward step), always run.
        examples: [
          [
            { kind: 'flex', dayPrograms: [{ name: 'day', steps: [{ startMinute: 0, rateNlPerDay: 48_000 }, { startMinute: 1, rateNlPerDay: 115_517 }, { startMinute: 272, rateNlPerDay: 48_000 }] }], week: [0, 0, 0, 0, 0, 0, 0] },
            [{ kind: 'clock', stepMs: 59_550 }, { kind: 'offset', offsetMs: 0 }],
          ],
        ],
      },
    );
  });
});

describe('property: the dose guard does not depend on how time is advanced', () => {
  it('the same clock steps, advanced in one stride or in random small ones, deliver the same strokes and log the same clamps', () => {
    const cmdArb = fc.record({ afterMs: fc.integer({ min: 1, max: 8 * MS_PER_HOUR }), stepMs: fc.integer({ min: -6 * MS_PER_HOUR, max: 6 * MS_PER_HOUR }) });
    fc.assert(
      fc.property(basalArb, fc.array(cmdArb, { minLength: 1, maxLength: 8 }), fc.array(fc.integer({ min: MS_PER_MINUTE, max: 40 * MS_PER_MINUTE }), { minLength: 1, maxLength: 20 }), (basal, cmds, strides) => {
        const conc = 10_000;
        const rx = morphineRx(basal, null, { maxDailyDosePg: maxBasal24hNl(buildWeekTable(basal)) * conc, maxRateNlPerDay: 2 * NL_PER_ML });
        const ack = ['daily-dose-above-soft-limit', 'daily-dose-below-soft-minimum'];
        const make = () => {
          const p = Pump.manufacture({ serial: 'P', model: 'thecal-40', atMs: T0 });
          return { p, ok: tryProgram(p, T0, { refill: { withdrawnNl: 0, filledNl: 40 * NL_PER_ML, drugId: 'morphine', concentrationMcgPerMl: conc }, prescription: rx }, ack).ok };
        };
        const a = make();
        const b = make();
        fc.pre(a.ok && b.ok);
        let t = T0 + MS_PER_DAY;
        let k = 0;
        const fine = (to: number) => {
          while (b.p.nowMs < to) b.p.advanceTo(Math.min(to, b.p.nowMs + (strides[k++ % strides.length] ?? MS_PER_MINUTE)));
        };
        for (const c of [...cmds, { afterMs: 30 * MS_PER_HOUR, stepMs: 0 }]) {
          a.p.advanceTo(t);
          fine(t);
          assert.equal(b.p.status().delivered.totalNl, a.p.status().delivered.totalNl, `delivered at +${t - T0} ms`);
          const target = { type: 'set-clock' as const, pumpUtcMs: a.p.status().pumpUtcMs + c.stepMs };
          assert.ok(a.p.execute(t, nextId(), target).ok);
          assert.ok(b.p.execute(t, nextId(), target).ok);
          t += c.afterMs;
        }
        const guardLog = (p: Pump) => p.events.all().filter((e) => e.type === 'dose-limit-clamp' || e.type === 'dose-limit-released').map((e) => [e.type, e.utcMs]);
        assert.deepEqual(guardLog(b.p), guardLog(a.p));
      }),
      // A case the per-segment guard failed (it re-decided at every advanceTo), always run.
      { numRuns: RUNS * 2, examples: [[{ kind: 'continuous', rateNlPerDay: 48_001 }, [{ afterMs: 480_001, stepMs: 0 }, { afterMs: 1, stepMs: 0 }], [60_000]]] },
    );
  });
});

describe('property: reservoir', () => {
  it('delivery never exceeds what was filled, the reservoir is never negative, and low always precedes empty', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 500_000, max: 2_900_000 }),
        fc.integer({ min: 0, max: 8 * NL_PER_ML }),
        fc.integer({ min: LIMITS.minLowReservoirNl, max: 4 * NL_PER_ML }),
        fc.array(fc.integer({ min: MS_PER_HOUR, max: 5 * MS_PER_DAY }), { minLength: 1, maxLength: 6 }),
        (rate, fillNl, lowNl, refillGaps) => {
          const rx = morphineRx({ kind: 'continuous', rateNlPerDay: rate }, null, { concentrationMcgPerMl: 10_000, maxDailyDosePg: 30 * PG_PER_MG });
          const pump = Pump.manufacture({ serial: 'R', model: 'thecal-20', atMs: T0 });
          const ack = ['daily-dose-above-soft-limit'];
          program(pump, T0, { refill: { withdrawnNl: 0, filledNl: Math.max(1, fillNl), drugId: 'morphine', concentrationMcgPerMl: 10_000 }, prescription: rx, alarms: { lowReservoirNl: lowNl } }, ack);
          let filledTotal = Math.max(1, fillNl);
          for (const gap of refillGaps) {
            pump.advanceTo(pump.nowMs + gap);
            const s = pump.status();
            assert.ok(s.reservoir.volumeNl >= 0);
            assert.ok(s.delivered.totalNl <= filledTotal);
            program(pump, pump.nowMs, { refill: { withdrawnNl: s.reservoir.volumeNl, filledNl: Math.max(1, fillNl), drugId: 'morphine', concentrationMcgPerMl: 10_000 } });
            filledTotal += Math.max(1, fillNl) - s.reservoir.volumeNl;
          }
          pump.advanceTo(pump.nowMs + 10 * MS_PER_DAY);
          assert.ok(pump.status().delivered.totalNl <= filledTotal);
          // Between two refills, an empty alarm comes only after a low alarm (unless filled below the low volume).
          let sawLow = Math.max(1, fillNl) <= lowNl;
          for (const e of pump.events.all()) {
            if (e.type === 'refill') sawLow = (e.data['filledNl'] as number) <= lowNl;
            if (e.type === 'alarm-raised' && e.data['code'] === 'reservoir-low') sawLow = true;
            if (e.type === 'alarm-raised' && e.data['code'] === 'reservoir-empty') assert.ok(sawLow, 'empty alarm without a low alarm before it');
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('property: battery', () => {
  it('ERI always precedes end of service by exactly 90 days, and life at any rate is at most 84 months', () => {
    fc.assert(
      fc.property(fc.integer({ min: LIMITS.minRateNlPerDay, max: 400_000 }), (rate) => {
        const rx = morphineRx({ kind: 'continuous', rateNlPerDay: rate }, null, { concentrationMcgPerMl: 25_000, maxDailyDosePg: 30 * PG_PER_MG });
        const pump = runningPump(rx, { filledNl: 40 * NL_PER_ML, ack: ['daily-dose-below-soft-minimum', 'daily-dose-above-soft-limit'] });
        const refillEveryMs = Math.floor((30 * NL_PER_ML * MS_PER_DAY) / rate);
        for (let t = T0 + refillEveryMs; pump.status().therapy.suspendedBy !== 'end-of-service'; t += refillEveryMs) {
          pump.advanceTo(t);
          if (pump.status().therapy.suspendedBy === 'end-of-service') break;
          program(pump, t, { refill: { withdrawnNl: pump.status().reservoir.volumeNl, filledNl: 40 * NL_PER_ML, drugId: 'morphine', concentrationMcgPerMl: 25_000 } });
        }
        const b = pump.status().battery;
        assert.ok(b.eriAtMs !== null && b.endOfServiceAtMs !== null);
        assert.equal((b.endOfServiceAtMs ?? 0) - (b.eriAtMs ?? 0), BATTERY.eriToEosMs);
        assert.ok((b.endOfServiceAtMs ?? 0) - T0 <= BATTERY.maxLifeMs);
        const codes = pump.events.all().filter((e) => e.type === 'alarm-raised').map((e) => e.data['code']);
        assert.ok(codes.indexOf('eri') >= 0 && codes.indexOf('eri') < codes.indexOf('end-of-service'));
      }),
      { numRuns: 4 },
    );
  });
});
