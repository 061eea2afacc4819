/**
 * Measures every drug's timings on the full patient model over its whole half-life grid (four
 * drawn patients per half-life) and prints min-max per timing next to the published range: the
 * figures in docs/patient-model.md.
 *
 *   npx tsx packages/patient/scripts/measure-timings.ts
 */
import { DRUG_IDS, seededUniform } from '@thecal/pump-core';
import { PUBLISHED_TIMINGS } from '../src/drug-timings.ts';
import { EFFECT_TABLES } from '../src/effect-table.ts';
import { drawPatient } from '../src/params.ts';
import { measureAdjustment, measureBolus, measureWithdrawal } from '../src/timing-probe.ts';

for (const drugId of DRUG_IDS) {
  const pub = PUBLISHED_TIMINGS[drugId];
  const seen: Record<string, [number, number]> = {};
  const add = (k: string, v: number) => {
    const [lo, hi] = seen[k] ?? [Infinity, -Infinity];
    seen[k] = [Math.min(lo, v), Math.max(hi, v)];
  };
  for (const [halfLifeH] of EFFECT_TABLES[drugId]) {
    for (const seed of [1, 2, 3, 4]) {
      const p = drawPatient(seededUniform(seed * 1009 + Math.round(halfLifeH * 10)), { drugId, csfHalfLifeH: halfLifeH });
      const b = measureBolus(p);
      const a = measureAdjustment(p);
      if (b === null || a === null) throw new Error(`${drugId} ${halfLifeH} h: a timing was never reached`);
      add('bolusOnsetH', b.onsetH);
      add('bolusPeakH', b.peakH);
      add('bolusDurationH', b.durationH);
      add('infusionOnsetH', a.onsetH);
      add('infusionMaximumH', a.maximumH);
      const w = measureWithdrawal(p);
      if (w.firstSignH !== null) add('withdrawalFirstSignH', w.firstSignH);
    }
  }
  const row = Object.entries(seen).map(([k, [lo, hi]]) => `${k} ${lo.toFixed(2)}-${hi.toFixed(2)}${k in pub ? ` (published ${pub[k as 'bolusOnsetH'].join('-')})` : ''}`);
  process.stdout.write(`${drugId}: ${row.join('; ')}\n`);
}
