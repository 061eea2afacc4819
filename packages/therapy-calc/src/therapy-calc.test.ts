import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BATTERY, MS_PER_DAY, MS_PER_HOUR, NL_PER_ML, PG_PER_MCG, PG_PER_MG } from '@thecal/pump-core';
import {
  bridgeDurationMs,
  bridgeNeeded,
  bridgeVolumeNl,
  catheterVolumeNl,
  dailyDosePg,
  dayVolumeNl,
  daySegments,
  doseChangePercent,
  eriFromReplaceByMs,
  fillCheck,
  formatConcentration,
  formatDose,
  formatDrugDose,
  meanDailyVolumeNl,
  parseMinute,
  prescriptionAtConcentration,
  formatMinute,
  pgToUnit,
  primingDurationMs,
  rateForDailyDosePg,
  reachesVolumeAtMs,
  refillDates,
  replaceByMs,
  residualCheck,
  settingsDiff,
  unitToPg,
  volumeForAmountNl,
  weekDailyVolumesNl,
} from './index.ts';

const T0 = Date.UTC(2026, 0, 5);

test('daily dose: DOMAIN example 25 mcg/mL x 0.048 mL/day = 1.2 mcg/day', () => {
  // 48 000 nL/day x 25 pg/nL = 1 200 000 pg/day = 1.2 mcg/day
  assert.equal(dailyDosePg(48_000, 25), 1_200_000);
  assert.equal(formatDrugDose(1_200_000, 'baclofen', true), '1.2 mcg/day');
});

test('daily dose of morphine reads in mg: 10 mg/mL x 0.5 mL/day = 5 mg/day', () => {
  // 500 000 nL/day x 10 000 pg/nL = 5 000 000 000 pg = 5 mg
  const pg = dailyDosePg(500_000, 10_000);
  assert.equal(pg, 5 * PG_PER_MG);
  assert.equal(formatDrugDose(pg, 'morphine', true), '5 mg/day');
  assert.equal(formatConcentration(10_000, 'morphine'), '10 mg/mL');
  assert.equal(formatConcentration(500, 'baclofen'), '500 mcg/mL');
});

test('rate for a dose: 400 mcg/day of baclofen 500 mcg/mL = 0.8 mL/day', () => {
  // 400 000 000 pg / 500 pg/nL = 800 000 nL/day
  assert.equal(rateForDailyDosePg(400 * PG_PER_MCG, 500), 800_000);
  // 100 mcg at 2000 mcg/mL: 100 000 000 / 2000 = 50 000 nL; 1 mcg at 2000: 500 nL... 1 pg: 0.0005 nL -> 0
  assert.equal(volumeForAmountNl(100 * PG_PER_MCG, 2000), 50_000);
  assert.equal(rateForDailyDosePg(1, 2000), 0);
});

test('units: mcg and mg are never mixed', () => {
  assert.equal(unitToPg(1, 'mg'), 1_000_000_000);
  assert.equal(unitToPg(1, 'mcg'), 1_000_000);
  assert.equal(pgToUnit(2_500_000_000, 'mg'), 2.5);
  assert.equal(formatDose(2_500_000_000, 'mcg'), '2500 mcg');
  assert.throws(() => unitToPg(-1, 'mg'), /finite number >= 0 mg/);
  assert.throws(() => unitToPg(Number.NaN, 'mcg'), /finite/);
  assert.throws(() => dailyDosePg(1.5, 25), /whole number/);
  assert.throws(() => dailyDosePg(100, 0), /concentrationMcgPerMl must be a whole number > 0/);
});

test('round trip dose -> rate -> dose loses at most half a nL/day of drug (C/2 pg)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 30 * PG_PER_MG }), fc.constantFrom(25, 50, 100, 500, 1000, 2000, 10_000, 25_000), (dosePg, c) => {
      const back = dailyDosePg(rateForDailyDosePg(dosePg, c), c);
      assert.ok(Math.abs(back - dosePg) <= c / 2, `${dosePg} -> ${back} at ${c}`);
    }),
  );
  // rate -> dose -> rate is exact
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 48 * NL_PER_ML }), fc.integer({ min: 1, max: 25_000 }), (r, c) => {
      assert.equal(rateForDailyDosePg(dailyDosePg(r, c), c), r);
    }),
  );
});

test('unit conversions round trip: a value typed in mg reads back in mg, 1000x the mcg figure', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 100_000 }), (milli) => {
      const mg = milli / 1000;
      const pg = unitToPg(mg, 'mg');
      assert.equal(pgToUnit(pg, 'mg'), mg);
      assert.equal(pgToUnit(pg, 'mcg'), milli);
    }),
  );
});

test('flex day: 0.5 mL/day 00:00-08:00, 1.1 mL/day 08:00-20:00, 0.5 mL/day 20:00-24:00', () => {
  // (500 000 x 480 + 1 100 000 x 720 + 500 000 x 240) / 1440
  // = (240 000 000 + 792 000 000 + 120 000 000) / 1440 = 1 152 000 000 / 1440 = 800 000 nL
  const steps = [
    { startMinute: 0, rateNlPerDay: 500_000 },
    { startMinute: 480, rateNlPerDay: 1_100_000 },
    { startMinute: 1200, rateNlPerDay: 500_000 },
  ];
  assert.equal(dayVolumeNl(steps), 800_000);
  assert.deepEqual(daySegments(steps).map((s) => s.endMinute), [480, 1200, 1440]);
  // A week with that day on Mon-Fri and a continuous 0.6 mL/day day at the weekend:
  // mean = (5 x 800 000 + 2 x 600 000) / 7 = 5 200 000 / 7 = 742 857.14 -> 742 857
  const basal = { kind: 'flex' as const, dayPrograms: [{ name: 'weekday', steps }, { name: 'weekend', steps: [{ startMinute: 0, rateNlPerDay: 600_000 }] }], week: [1, 0, 0, 0, 0, 0, 1] };
  assert.deepEqual(weekDailyVolumesNl(basal), [600_000, 800_000, 800_000, 800_000, 800_000, 800_000, 600_000]);
  assert.equal(meanDailyVolumeNl(basal), 742_857);
});

test('flex day: malformed steps are refused with the reason', () => {
  assert.throws(() => dayVolumeNl([]), /at least one step/);
  assert.throws(() => dayVolumeNl([{ startMinute: 10, rateNlPerDay: 1 }]), /00:00/);
  assert.throws(() => dayVolumeNl([{ startMinute: 0, rateNlPerDay: 1 }, { startMinute: 0, rateNlPerDay: 2 }]), /must start after/);
  const many = Array.from({ length: 14 }, (_, i) => ({ startMinute: i * 60, rateNlPerDay: 100_000 }));
  assert.throws(() => dayVolumeNl(many), /at most 13 steps/);
  assert.equal(parseMinute('08:30'), 510);
  assert.equal(formatMinute(510), '08:30');
  assert.throws(() => parseMinute('24:00'), /HH:MM/);
});

test('a flex day of one rate delivers that rate', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 24 * NL_PER_ML }), fc.uniqueArray(fc.integer({ min: 1, max: 1439 }), { maxLength: 12 }), (r, starts) => {
      const steps = [0, ...starts.sort((a, b) => a - b)].map((startMinute) => ({ startMinute, rateNlPerDay: r }));
      assert.equal(dayVolumeNl(steps), r);
    }),
  );
});

test('residual check, 40 mL pump: expected 5 mL, withdrew 2.5 mL -> flagged, pocket warning', () => {
  // 2 500 000 - 5 000 000 = -2 500 000 nL; |.| > 2 000 000 (40 mL threshold)
  const r = residualCheck('thecal-40', 5 * NL_PER_ML, 2_500_000);
  assert.equal(r.differenceNl, -2_500_000);
  assert.equal(r.flagged, true);
  assert.equal(r.possiblePocketOrAccessPort, true);
  // 20 mL pump: threshold 1 mL; 1.5 mL more than expected is flagged but is not a pocket warning
  const s = residualCheck('thecal-20', 3 * NL_PER_ML, 4_500_000);
  assert.equal(s.flagged, true);
  assert.equal(s.possiblePocketOrAccessPort, false);
  // exactly at the threshold is not flagged
  assert.equal(residualCheck('thecal-20', 3 * NL_PER_ML, 2 * NL_PER_ML).flagged, false);
});

test('fill check refuses empty and overfull fills', () => {
  assert.deepEqual(fillCheck('thecal-20', 20 * NL_PER_ML), { ok: true, problem: null });
  assert.match(fillCheck('thecal-20', 20 * NL_PER_ML + 1).problem ?? '', /more than the reservoir holds \(20 mL\)/);
  assert.equal(fillCheck('thecal-40', 0).ok, false);
});

test('bridge: catheter 0.18 mL + internal 0.2 mL = 0.38 mL, at 0.76 mL/day takes 12 h', () => {
  // 180 000 + 200 000 = 380 000 nL; 380 000 / 760 000 nL/day = 0.5 day = 43 200 000 ms
  assert.equal(bridgeVolumeNl(180_000), 380_000);
  assert.equal(bridgeDurationMs(380_000, 760_000), 12 * MS_PER_HOUR);
  assert.equal(bridgeNeeded({ drugId: 'baclofen', concentrationMcgPerMl: 500 }, { drugId: 'baclofen', concentrationMcgPerMl: 2000 }), true);
  assert.equal(bridgeNeeded({ drugId: 'baclofen', concentrationMcgPerMl: 500 }, { drugId: 'baclofen', concentrationMcgPerMl: 500 }), false);
  assert.equal(bridgeNeeded({ drugId: null, concentrationMcgPerMl: 0 }, { drugId: 'baclofen', concentrationMcgPerMl: 500 }), false);
});

test('priming: TC-8709 cut to 800 mm holds 800 x 225 = 180 000 nL; at 48 mL/day that takes 5.4 min', () => {
  // 180 000 nL / 48 000 000 nL/day x 86 400 000 ms = 324 000 ms = 5.4 min
  assert.equal(catheterVolumeNl('TC-8709', 800), 180_000);
  assert.equal(primingDurationMs(180_000), 324_000);
  assert.throws(() => catheterVolumeNl('TC-9999', 800), /unknown catheter model/);
  assert.throws(() => catheterVolumeNl('TC-8709', 10), /50 to 2000 mm/);
});

test('refill dates: 20 mL of baclofen at 1 mL/day, low alarm 2 mL', () => {
  // low: (20 - 2) mL / 1 mL/day = 18 days; empty: 20 days; 3.0 mL rule: 17 days; stability 180 days
  const d = refillDates({ nowMs: T0, volumeNl: 20 * NL_PER_ML, lowAlarmNl: 2 * NL_PER_ML, basalDailyNl: NL_PER_ML, patientBolus: null, drugId: 'baclofen', filledAtMs: T0 });
  assert.equal(d.lowReservoirAtMs, T0 + 18 * MS_PER_DAY);
  assert.equal(d.emptyAtMs, T0 + 20 * MS_PER_DAY);
  assert.equal(d.nextRefillByMs, T0 + 17 * MS_PER_DAY);
  assert.equal(d.limitedBy, 'reservoir');
});

test('refill dates: patient boluses count (Prometra rule) and stability caps morphine at 90 days', () => {
  // 40 mL morphine, basal 0.2 mL/day + 4 boluses x 0.05 mL = 0.4 mL/day worst case
  // 3.0 mL rule: (40 - 3) / 0.4 = 92.5 days > 90 days stability -> stability
  const pb = { volumeNl: 50_000, durationMs: 600_000, lockoutMs: 3 * MS_PER_HOUR, maxPer24h: 4 };
  const d = refillDates({ nowMs: T0, volumeNl: 40 * NL_PER_ML, lowAlarmNl: 2 * NL_PER_ML, basalDailyNl: 200_000, patientBolus: pb, drugId: 'morphine', filledAtMs: T0 });
  assert.equal(d.nextRefillByMs, T0 + 90 * MS_PER_DAY);
  assert.equal(d.limitedBy, 'stability');
  // low alarm ignores boluses: (40 - 2) / 0.2 = 190 days
  assert.equal(d.lowReservoirAtMs, T0 + 190 * MS_PER_DAY);
  assert.equal(reachesVolumeAtMs(T0, 1_000, 2_000, 5), T0);
  assert.equal(reachesVolumeAtMs(T0, 5_000, 2_000, 0), null);
});

test('replace-by is ERI + 90 days, and back', () => {
  const eri = Date.UTC(2031, 5, 1);
  assert.equal(BATTERY.eriToEosMs, 90 * MS_PER_DAY);
  assert.equal(replaceByMs(eri), Date.UTC(2031, 7, 30));
  fc.assert(fc.property(fc.integer({ min: 0, max: 4e12 }), (e) => assert.equal(eriFromReplaceByMs(replaceByMs(e)), e)));
});

test('dose change percent: 400 -> 480 mcg/day is +20 %', () => {
  assert.equal(doseChangePercent(400 * PG_PER_MCG, 480 * PG_PER_MCG), 20);
  assert.equal(doseChangePercent(0, 5), null);
});

test('settings diff marks every difference and keeps unchanged rows', () => {
  const rows = settingsDiff({ a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [1, 3] }, d: 'x' });
  assert.deepEqual(
    rows.map((r) => [r.path, r.changed]),
    [['a', false], ['b.c[0]', false], ['b.c[1]', true], ['d', true]],
  );
});

test('a concentration change keeps every dose: 0.8 mL/day of 500 mcg/mL becomes 0.2 mL/day of 2000 mcg/mL', () => {
  // 800 000 nL x 500 pg/nL = 4e8 pg = 400 mcg/day; 4e8 / 2000 = 200 000 nL/day
  const rx = { drugId: 'baclofen' as const, concentrationMcgPerMl: 500, basal: { kind: 'continuous' as const, rateNlPerDay: 800_000 }, maxRateNlPerDay: 24 * NL_PER_ML, maxDailyDosePg: 700 * PG_PER_MCG, patientBolus: null };
  const next = prescriptionAtConcentration(rx, 2000);
  assert.deepEqual(next.basal, { kind: 'continuous', rateNlPerDay: 200_000 });
  assert.equal(next.maxDailyDosePg, rx.maxDailyDosePg);
  // morphine 10 -> 25 mg/mL: bolus 0.05 mL (0.5 mg) -> 0.02 mL (0.5 mg)
  const m = prescriptionAtConcentration({ ...rx, drugId: 'morphine', concentrationMcgPerMl: 10_000, patientBolus: { volumeNl: 50_000, durationMs: 600_000, lockoutMs: 3_600_000, maxPer24h: 4 } }, 25_000);
  assert.equal(m.patientBolus?.volumeNl, 20_000);
});

test('property: every flex step keeps its dose within half a nL of the new concentration', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 48_000, max: 24 * NL_PER_ML }), { minLength: 1, maxLength: 13 }),
      fc.constantFrom(50, 500, 1000, 2000),
      fc.constantFrom(50, 500, 1000, 2000),
      (rates, from, to) => {
        const steps = rates.map((r, i) => ({ startMinute: i * 60, rateNlPerDay: r }));
        const rx = { drugId: 'baclofen' as const, concentrationMcgPerMl: from, basal: { kind: 'flex' as const, dayPrograms: [{ name: 'd', steps }], week: [0, 0, 0, 0, 0, 0, 0] }, maxRateNlPerDay: 48 * NL_PER_ML, maxDailyDosePg: 1, patientBolus: null };
        const next = prescriptionAtConcentration(rx, to);
        assert.equal(next.basal.kind, 'flex');
        if (next.basal.kind !== 'flex') return;
        next.basal.dayPrograms[0]?.steps.forEach((s, i) => {
          assert.equal(s.startMinute, steps[i]?.startMinute);
          assert.ok(Math.abs(s.rateNlPerDay * to - (steps[i]?.rateNlPerDay ?? 0) * from) <= to / 2);
        });
      },
    ),
  );
});
