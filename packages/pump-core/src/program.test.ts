import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildWeekTable, creditBetween, maxBasal24hNl, nextChangeAfter, rateAt, stepAfter, stepEndPosition, stepIndexAt, validatePrescription, type BasalProgram } from './program.ts';
import { weekPositionMs } from './local-time.ts';
import { LIMITS } from './limits.ts';
import { MS_PER_DAY, MS_PER_MINUTE, NL_PER_ML, PG_PER_MG } from './units.ts';
import { basalCredit } from './testing/reference.ts';
import { morphineRx } from './testing/fixtures.ts';

const WEEK = 7 * MS_PER_DAY;
const rateArb = fc.integer({ min: LIMITS.minRateNlPerDay, max: 2_000_000 });
const flexArb: fc.Arbitrary<BasalProgram> = fc
  .array(
    fc.uniqueArray(fc.integer({ min: 1, max: 1439 }), { maxLength: 12 }).chain((starts) =>
      fc.array(rateArb, { minLength: starts.length + 1, maxLength: starts.length + 1 }).map((rates) => ({
        name: 'd',
        steps: [0, ...starts.sort((a, b) => a - b)].map((startMinute, i) => ({ startMinute, rateNlPerDay: rates[i] ?? 48_000 })),
      })),
    ),
    { minLength: 1, maxLength: 7 },
  )
  .chain((dayPrograms) => fc.array(fc.nat({ max: dayPrograms.length - 1 }), { minLength: 7, maxLength: 7 }).map((week) => ({ kind: 'flex' as const, dayPrograms, week })));
const localArb = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2040, 0, 1) });

describe('week tables agree with the naive reference', () => {
  it('volume over any interval', () => {
    fc.assert(
      fc.property(flexArb, localArb, fc.integer({ min: 0, max: 3 * WEEK }), (basal, from, span) => {
        const table = buildWeekTable(basal);
        const ours = creditBetween(table, from, from + span);
        const ref = Number(basalCredit(basal, from, from + span, 0));
        assert.ok(Math.abs(ours - ref) <= Math.max(1, ref * 1e-12), `${ours} vs ${ref}`);
      }),
      { numRuns: 300 },
    );
  });

  it('the rate at an instant, and the next change is where the rate really changes', () => {
    fc.assert(
      fc.property(flexArb, localArb, (basal, t) => {
        const table = buildWeekTable(basal);
        const next = nextChangeAfter(table, t);
        assert.ok(next > t);
        const r = rateAt(table, t);
        assert.equal(Number(basalCredit(basal, t, t + 1, 0)), r);
        if (!Number.isFinite(next)) return; // a constant program never changes
        // Constant up to the change (checked at its last millisecond)...
        assert.equal(Number(basalCredit(basal, next - 1, next, 0)), r);
        // ...and it really changes there.
        assert.notEqual(rateAt(table, next), r);
      }),
      { numRuns: 300 },
    );
  });

  it('walking from step to step (stepAfter, stepEndPosition) meets every change a fresh lookup finds', () => {
    fc.assert(
      fc.property(flexArb, localArb, (basal, t) => {
        const table = buildWeekTable(basal);
        if (table.constant) return;
        let pos = weekPositionMs(t);
        let i = stepIndexAt(table, pos);
        let weekStart = t - pos;
        // Three weeks of steps, each checked against the reference and against a fresh lookup.
        for (let k = 0; k < 3 * table.startsMs.length; k++) {
          const end = weekStart + stepEndPosition(table, i);
          assert.equal(end, nextChangeAfter(table, Math.max(t, weekStart + (table.startsMs[i] ?? 0))));
          assert.equal(rateAt(table, end - 1), table.ratesNlPerDay[i]);
          assert.equal(Number(basalCredit(basal, end, end + 1, 0)), rateAt(table, end));
          const next = stepAfter(table, i);
          weekStart = end - (table.startsMs[next] ?? 0);
          i = next;
          assert.equal(table.ratesNlPerDay[i], rateAt(table, end));
          pos = weekPositionMs(end);
          assert.equal(weekStart, end - pos);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the largest 24 h basal volume matches a brute-force scan over minute-aligned windows', () => {
    fc.assert(
      fc.property(flexArb, (basal) => {
        const table = buildWeekTable(basal);
        const ours = maxBasal24hNl(table);
        let best = 0;
        const sunday = Date.UTC(1970, 0, 4);
        for (let start = sunday; start < sunday + WEEK; start += 30 * MS_PER_MINUTE) {
          best = Math.max(best, Number(basalCredit(basal, start, start + MS_PER_DAY, 0)) / MS_PER_DAY);
        }
        // Steps start on whole minutes but the scan is every 30 min: ours is the true maximum, so at least the scan's.
        assert.ok(ours >= Math.floor(best), `${ours} < ${best}`);
        assert.ok(ours <= Math.ceil(best) + (2_000_000 * 30) / 1440 + 1, `${ours} far above ${best}`);
      }),
      { numRuns: 60 },
    );
  });
});

describe('prescription validation', () => {
  const flex = (steps: { startMinute: number; rateNlPerDay: number }[]): BasalProgram => ({ kind: 'flex', dayPrograms: [{ name: 'd', steps }], week: [0, 0, 0, 0, 0, 0, 0] });
  const codes = (basal: BasalProgram) => validatePrescription(morphineRx(basal), { current: null }).map((i) => i.code);

  it('rejects malformed flex programs, each with its own reason', () => {
    assert.ok(codes(flex([{ startMinute: 10, rateNlPerDay: 100_000 }])).includes('flex-first-step-not-midnight'));
    assert.ok(codes(flex([{ startMinute: 0, rateNlPerDay: 100_000 }, { startMinute: 0, rateNlPerDay: 100_000 }])).includes('flex-steps-not-increasing'));
    assert.ok(codes(flex(Array.from({ length: 14 }, (_, i) => ({ startMinute: i * 60, rateNlPerDay: 100_000 })))).includes('flex-step-count'));
    assert.ok(codes(flex([{ startMinute: 0, rateNlPerDay: 100_000.5 }])).includes('rate-not-integer'));
    assert.ok(codes({ kind: 'flex', dayPrograms: [{ name: 'd', steps: [{ startMinute: 0, rateNlPerDay: 100_000 }] }], week: [0, 0, 0, 0, 0, 0, 3] }).includes('flex-week'));
  });

  it('accepts 13 steps and the exact minimum rate', () => {
    const steps = Array.from({ length: 13 }, (_, i) => ({ startMinute: i * 100, rateNlPerDay: LIMITS.minRateNlPerDay + i * 1_000 }));
    assert.deepEqual(validatePrescription(morphineRx(flex(steps)), { current: null }).filter((i) => i.severity === 'hard'), []);
  });

  it('baclofen refuses patient boluses; ziconotide caps the daily dose', () => {
    const bac = validatePrescription(
      { drugId: 'baclofen', concentrationMcgPerMl: 500, basal: { kind: 'continuous', rateNlPerDay: 1_000_000 }, maxRateNlPerDay: 24 * NL_PER_ML, maxDailyDosePg: 800 * 1_000_000, patientBolus: { volumeNl: 10_000, durationMs: 10 * MS_PER_MINUTE, lockoutMs: 60 * MS_PER_MINUTE, maxPer24h: 2 } },
      { current: null },
    );
    assert.ok(bac.some((i) => i.code === 'patient-bolus-not-allowed'));
    const zic = validatePrescription(
      { drugId: 'ziconotide', concentrationMcgPerMl: 100, basal: { kind: 'continuous', rateNlPerDay: 250_000 }, maxRateNlPerDay: 24 * NL_PER_ML, maxDailyDosePg: 21_600_000, patientBolus: null },
      { current: null },
    );
    // 100 mcg/mL x 0.25 mL/day = 25 mcg/day: above the 21.6 mcg/day hard limit.
    assert.ok(zic.some((i) => i.code === 'program-exceeds-max-daily-dose' || i.code === 'daily-dose-above-hard-limit'));
  });

  it('every issue names a path and explains itself', () => {
    const issues = validatePrescription(morphineRx({ kind: 'continuous', rateNlPerDay: 1 }, null, { maxDailyDosePg: 99 * PG_PER_MG }), { current: null });
    assert.ok(issues.length >= 2);
    for (const i of issues) {
      assert.ok(i.path.length > 0 && i.message.length > 20, JSON.stringify(i));
    }
  });
});
