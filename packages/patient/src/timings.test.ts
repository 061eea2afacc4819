/**
 * Each drug's published timings (drug-timings.ts, sources in docs/patient-model.md), measured on
 * the full patient model (catheter path, exact chain solution, Hill effect, thresholds) across the
 * drug's whole half-life grid and random patients: fast-check properties, not hand-picked cases.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DRUG_IDS, MS_PER_HOUR, seededUniform, type DrugId } from '@thecal/pump-core';
import { PHARMACOLOGY } from './drugs.ts';
import { MAINTENANCE_PER_SCREENING_DOSE, PUBLISHED_TIMINGS, type HourRange } from './drug-timings.ts';
import { EFFECT_TABLES } from './effect-table.ts';
import { PERCEPTIBLE_EFFECT, THERAPEUTIC_EFFECT, effectOf } from './effect-timing.ts';
import { drawPatient, hillExponentOf, therapeuticLevelPg, type PatientParams } from './params.ts';
import { VirtualPatient } from './patient.ts';
import { measureAdjustment, measureBolus } from './timing-probe.ts';

const H = MS_PER_HOUR;
const PATH_NL = 300_000;

function patientOf(drugId: DrugId) {
  return fc
    .record({ seed: fc.integer({ min: 1, max: 0x7fff_ffff }), halfLife: fc.constantFrom(...EFFECT_TABLES[drugId].map((r) => r[0])) })
    .map(({ seed, halfLife }) => drawPatient(seededUniform(seed), { drugId, csfHalfLifeH: halfLife }));
}

function within(x: number, [lo, hi]: HourRange, what: string, p: PatientParams): void {
  assert.ok(x >= lo && x <= hi, `${p.drugId} ${what} ${x.toFixed(2)} h outside ${lo}-${hi} h (CSF half-life ${p.csfHalfLifeH} h)`);
}

for (const drugId of DRUG_IDS) {
  const pub = PUBLISHED_TIMINGS[drugId];
  describe(`${drugId}: published timings across the half-life range ${PHARMACOLOGY[drugId].csfHalfLifeH.join('-')} h`, () => {
    it(`a screening bolus: onset ${pub.bolusOnsetH.join('-')} h, peak ${pub.bolusPeakH.join('-')} h, effect lasting ${pub.bolusDurationH.join('-')} h`, () => {
      fc.assert(
        fc.property(patientOf(drugId), (params) => {
          const b = measureBolus(params);
          assert.ok(b !== null, `${drugId}: the screening bolus never became perceptible or never wore off`);
          within(b.onsetH, pub.bolusOnsetH, 'bolus onset', params);
          within(b.peakH, pub.bolusPeakH, 'bolus peak', params);
          within(b.durationH, pub.bolusDurationH, 'bolus duration', params);
        }),
        { numRuns: 12 },
      );
    });

    it(`a dose adjustment (+${pub.titrationStep * 100} %): effect seen at ${pub.infusionOnsetH.join('-')} h, maximum at ${pub.infusionMaximumH.join('-')} h`, () => {
      fc.assert(
        fc.property(patientOf(drugId), (params) => {
          const a = measureAdjustment(params);
          assert.ok(a !== null, `${drugId}: the dose adjustment never took its full effect`);
          within(a.onsetH, pub.infusionOnsetH, 'infusion onset', params);
          within(a.maximumH, pub.infusionMaximumH, 'infusion maximum', params);
        }),
        { numRuns: 8 },
      );
    });

    it(`dose calibration: responding to a screening bolus X, the patient is well controlled on ${MAINTENANCE_PER_SCREENING_DOSE} x X per day (label: 1-2 x)`, () => {
      fc.assert(
        fc.property(patientOf(drugId), fc.double({ min: 1.1, max: 2, noNaN: true }), (params, perScreening) => {
          assert.equal(params.maintenanceDailyPg, MAINTENANCE_PER_SCREENING_DOSE * params.screeningDosePg);
          const conc = 500;
          // Drug-free, then 10 days at perScreening x X per day (the catheter already holds the drug).
          const p = new VirtualPatient(params, { startMs: 0, catheter: { deadVolumeNl: PATH_NL, fillConcentrationMcgPerMl: conc } });
          const dailyPg = perScreening * params.screeningDosePg;
          p.receive(0, 240 * H, (dailyPg / conc) * 240 / 24, conc);
          const s = p.state();
          const overdoses = p.drainEvents().filter((e) => e.type === 'sign-began' && e.kind === 'overdose');
          assert.deepEqual(overdoses, [], `${drugId}: overdose signs on ${perScreening.toFixed(2)} x the screening dose per day`);
          // From 1 x X per day up the level is at least half the therapeutic level: the model's therapeutic
          // condition (1 x X is its edge, so the property starts just above it).
          assert.equal(s.condition, 'therapeutic', `${drugId}: ${s.condition} on ${perScreening.toFixed(2)} x X per day`);
          const expected = perScreening / MAINTENANCE_PER_SCREENING_DOSE;
          assert.ok(Math.abs(s.relativeExposure - expected) < 0.01 * expected, `exposure ${s.relativeExposure} vs ${expected}`);
          if (perScreening >= MAINTENANCE_PER_SCREENING_DOSE - 1e-9) {
            assert.ok(s.effect.fraction >= THERAPEUTIC_EFFECT - 1e-3, `${drugId}: effect ${s.effect.fraction} on the maintenance dose`);
          }
          // The steady effect on the maintenance dose is at least about what the screening bolus showed at its peak.
          const peakEffect = measureBolus(params)?.peakEffect ?? 0;
          const maintenanceEffect = effectOf(therapeuticLevelPg(params), params.perceptibleLevelPg, hillExponentOf(params));
          assert.ok(maintenanceEffect >= 0.9 * peakEffect && peakEffect > PERCEPTIBLE_EFFECT, `${drugId}: maintenance ${maintenanceEffect} vs screening peak ${peakEffect}`);
        }),
        { numRuns: 10 },
      );
    });
  });
}
