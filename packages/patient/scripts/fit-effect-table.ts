/**
 * Offline fit of the effect-chain parameters, per drug and per CSF half-life (0.1 h steps), so
 * that the drug's published timings (src/drug-timings.ts, sources in docs/patient-model.md) and
 * the dose calibration hold together:
 *   - a screening bolus X: onset, peak and duration of the effect in the drug's ranges;
 *   - a continuous infusion of the drug's starting dose (x X per day) from a drug-free start:
 *     onset and maximum in the drug's ranges;
 *   - the maintenance dose (MAINTENANCE_PER_SCREENING_DOSE x X per day) holds the driving level at
 *     2.5-5 times the perceptible level, so the Hill curve through both stays reasonable.
 * Picks, per half-life, the grid point with the widest margin (relative to each range's width).
 *
 *   npx tsx packages/patient/scripts/fit-effect-table.ts > packages/patient/src/effect-table.ts
 *
 * Everything is closed form: the unit-bolus level is a sum of three exponentials and the
 * infusion's level is its running integral, so a grid point costs one pass over a 0.02 h grid.
 */
import { DRUG_IDS, type DrugId } from '@thecal/pump-core';
import { PHARMACOLOGY } from '../src/drugs.ts';
import { MAINTENANCE_PER_SCREENING_DOSE, PUBLISHED_TIMINGS, THERAPEUTIC_PER_PERCEPTIBLE, type HourRange } from '../src/drug-timings.ts';
import { ADJUSTMENT_MAXIMUM_FRACTION, ADJUSTMENT_ONSET_FRACTION, effectOf, hillExponentFor, levelForEffect } from '../src/effect-timing.ts';
import { chainRates, chainSegment } from '../src/chain.ts';

const STEP_H = 0.02;
/** FIT_DIAG=<half-life>: for that half-life only, the best margin reachable with each constraint dropped. */
const DIAG = process.env['FIT_DIAG'] !== undefined;
let diagBolus = 0;
const diagRatio = { lo: Infinity, hi: -Infinity };
const diagBest: { s: number; v: string }[] = [];
const UNTIL_H = 100;
const N = Math.round(UNTIL_H / STEP_H) + 1;

function margin(x: number, [lo, hi]: HourRange): number {
  return Math.min(x - lo, hi - x) / (hi - lo);
}

interface Shape {
  ke0: number;
  kc: number;
  w: number;
}

/** Unit-bolus level b and the running integral of b (the level under a unit-rate infusion). */
function curves(k: number, s: Shape, b: Float64Array, integral: Float64Array): void {
  const r = chainRates([k, s.ke0, s.kc]);
  const seg = chainSegment(r, [1, 0, 0], 0);
  // level = sum_j a_j exp(-r_j t): weights (1 - w) on the effect site, w on the cord.
  const a = [0, 1, 2].map((j) => (1 - s.w) * (seg.coef[1]?.[j] ?? 0) + s.w * (seg.coef[2]?.[j] ?? 0));
  for (let i = 0; i < N; i++) {
    const t = i * STEP_H;
    let v = 0;
    let integ = 0;
    for (let j = 0; j < 3; j++) {
      const e = Math.exp(-(r[j] as number) * t);
      v += (a[j] as number) * e;
      integ += ((a[j] as number) * (1 - e)) / (r[j] as number);
    }
    b[i] = v;
    integral[i] = integ;
  }
}

/** First index at or after `from` where `f(i)` holds, for f monotone false -> true on [from, to]. */
function firstTrue(from: number, to: number, f: (i: number) => boolean): number {
  let lo = from;
  let hi = to + 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (f(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

interface Fit {
  score: number;
  shape: Shape;
  fraction: number;
  t: { onsetH: number; peakH: number; durationH: number; infOnsetH: number; infMaxH: number; ratio: number };
}

function fitOne(drugId: DrugId, halfLifeH: number): Fit | null {
  diagBolus = 0;
  diagRatio.lo = Infinity;
  diagRatio.hi = -Infinity;
  diagBest.length = 0;
  const pub = PUBLISHED_TIMINGS[drugId];
  const k = Math.LN2 / halfLifeH;
  const b = new Float64Array(N);
  const integ = new Float64Array(N);
  let best: Fit | null = null;
  for (let ke0 = 0.02; ke0 <= 4; ke0 *= 1.1) {
    for (let w = 0; w <= 0.951; w += 0.05) {
      for (const cordHalfLifeH of w === 0 ? [6] : [2, 3, 4, 6, 9, 12, 16, 22, 30]) {
        const shape: Shape = { ke0, kc: Math.LN2 / cordHalfLifeH, w };
        curves(k, shape, b, integ);
        // Local extrema split the curve into monotone pieces (a fast and a slow hump can make two).
        const turns: number[] = [0];
        for (let i = 1; i < N - 1; i++) {
          const d0 = (b[i] as number) - (b[i - 1] as number);
          const d1 = (b[i + 1] as number) - (b[i] as number);
          if ((d0 > 0 && d1 <= 0) || (d0 < 0 && d1 >= 0)) turns.push(i);
        }
        turns.push(N - 1);
        let peakI = 0;
        for (const i of turns) if ((b[i] as number) > (b[peakI] as number)) peakI = i;
        const peak = b[peakI] as number;
        const peakH = peakI * STEP_H;
        if (margin(peakH, pub.bolusPeakH) <= 0) continue;
        for (let f = 0.2; f <= 0.901; f += 0.025) {
          const P = f * peak;
          // The set where b >= P must be one interval: count up- and down-crossings piece by piece.
          let ups = 0;
          let downs = 0;
          let onI = -1;
          let offI = -1;
          for (let s = 0; s + 1 < turns.length; s++) {
            const i0 = turns[s] as number;
            const i1 = turns[s + 1] as number;
            const rising = (b[i1] as number) > (b[i0] as number);
            if (rising && (b[i0] as number) < P && (b[i1] as number) >= P) {
              ups++;
              onI = firstTrue(i0, i1, (i) => (b[i] as number) >= P);
            } else if (!rising && (b[i0] as number) >= P && (b[i1] as number) < P) {
              downs++;
              offI = firstTrue(i0, i1, (i) => (b[i] as number) < P);
            }
          }
          if (ups !== 1 || downs !== 1) continue;
          const onsetH = onI * STEP_H;
          const durationH = (offI - onI) * STEP_H;
          const m1 = Math.min(margin(onsetH, pub.bolusOnsetH), margin(peakH, pub.bolusPeakH), margin(durationH, pub.bolusDurationH));
          if (m1 <= 0 || (best !== null && m1 <= best.score)) continue;
          if (DIAG) diagBolus++;
          // Dose calibration: the maintenance level per unit screening dose, against the perceptible level.
          const therapeutic = MAINTENANCE_PER_SCREENING_DOSE / 24 / k;
          const ratio = therapeutic / P;
          const mRatio = margin(ratio, THERAPEUTIC_PER_PERCEPTIBLE);
          if (DIAG) { diagRatio.lo = Math.min(diagRatio.lo, ratio); diagRatio.hi = Math.max(diagRatio.hi, ratio); }
          if (mRatio <= 0 && !DIAG) continue;
          // A dose adjustment from steady state on the maintenance dose: level = T (1 + step x k x running integral of b).
          const hill = hillExponentFor(ratio);
          const step = pub.titrationStep;
          const e0 = effectOf(therapeutic, P, hill);
          const e1 = effectOf(therapeutic * (1 + step), P, hill);
          const fractionAt = (x: number) => (levelForEffect(e0 + x * (e1 - e0), P, hill) / therapeutic - 1) / step;
          const onThr = fractionAt(ADJUSTMENT_ONSET_FRACTION) / k;
          const maxThr = fractionAt(ADJUSTMENT_MAXIMUM_FRACTION) / k;
          const onInf = firstTrue(0, N - 1, (i) => (integ[i] as number) >= onThr);
          const maxInf = firstTrue(0, N - 1, (i) => (integ[i] as number) >= maxThr);
          if (onInf >= N || maxInf >= N) continue;
          const infOnsetH = onInf * STEP_H;
          const infMaxH = maxInf * STEP_H;
          const score = Math.min(m1, mRatio, margin(infOnsetH, pub.infusionOnsetH), margin(infMaxH, pub.infusionMaximumH));
          if (DIAG) {
            const ms = [m1, mRatio, margin(infOnsetH, pub.infusionOnsetH), margin(infMaxH, pub.infusionMaximumH)];
            for (let x = 0; x < 4; x++) {
              const others = Math.min(...ms.filter((_, y) => y !== x));
              if (others > (diagBest[x]?.s ?? -Infinity)) diagBest[x] = { s: others, v: JSON.stringify({ ke0, w, cordHalfLifeH, f, onsetH, peakH, durationH, infOnsetH, infMaxH, ratio }) };
            }
          }
          if (score > 0 && (best === null || score > best.score)) {
            best = { score, shape, fraction: f, t: { onsetH, peakH, durationH, infOnsetH, infMaxH, ratio } };
          }
        }
      }
    }
  }
  return best;
}

const only = process.argv[2];
const blocks: string[] = [];
let failed = false;
for (const drugId of DRUG_IDS) {
  if (only !== undefined && only !== drugId) continue;
  const [lo, hi] = PHARMACOLOGY[drugId].csfHalfLifeH;
  const rows: string[] = [];
  for (let tenth = Math.round(lo * 10); tenth <= Math.round(hi * 10); tenth++) {
    const halfLifeH = tenth / 10;
    if (DIAG && process.env['FIT_DIAG'] !== String(halfLifeH)) continue;
    const fit = fitOne(drugId, halfLifeH);
    if (DIAG) process.stderr.write(`bolus ok ${diagBolus}, ratio ${diagRatio.lo}-${diagRatio.hi}\n` + diagBest.map((d, x) => `without ${['bolus', 'ratio', 'infOnset', 'infMax'][x]}: ${d.s.toFixed(3)} ${d.v}`).join('\n') + '\n');
    if (fit === null) {
      failed = true;
      process.stderr.write(`${drugId} ${halfLifeH} h: no fit\n`);
      rows.push(`    // ${halfLifeH} h: no parameters fit every published timing`);
      continue;
    }
    const { shape: s, t } = fit;
    process.stderr.write(`${drugId} ${halfLifeH} h: margin ${fit.score.toFixed(3)} ${JSON.stringify(t)}\n`);
    rows.push(
      `    [${halfLifeH}, ${s.ke0.toPrecision(6)}, ${s.kc.toPrecision(6)}, ${s.w.toFixed(2)}, ${fit.fraction.toFixed(3)}], // margin ${fit.score.toFixed(2)}: bolus ${t.onsetH.toFixed(2)}/${t.peakH.toFixed(2)}/${t.durationH.toFixed(2)} h, infusion ${t.infOnsetH.toFixed(2)}/${t.infMaxH.toFixed(1)} h, therapeutic/perceptible ${t.ratio.toFixed(2)}`,
    );
  }
  blocks.push(`  ${drugId}: [\n${rows.join('\n')}\n  ],`);
}
process.stdout.write(`/**
 * Generated by packages/patient/scripts/fit-effect-table.ts: do not edit by hand.
 * Per drug, per CSF half-life (h, 0.1 h steps): effect-site rate ke0 (/h), cord rate (/h), cord
 * weight, and the perceptible fraction (the perceptible driving level as a fraction of the
 * screening bolus's peak). Each row's comment: its bolus onset/peak/duration, infusion
 * onset/maximum and therapeutic/perceptible ratio. See docs/patient-model.md.
 */
import type { DrugId } from '@thecal/pump-core';

export type EffectRow = readonly [halfLifeH: number, effectRatePerH: number, cordRatePerH: number, cordWeight: number, perceptibleFraction: number];

export const EFFECT_TABLES: Readonly<Record<DrugId, readonly EffectRow[]>> = {
${blocks.join('\n')}
};
`);
if (failed) process.exitCode = 1;
