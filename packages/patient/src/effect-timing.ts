/**
 * The published timings as functions of the effect parameters, for a unit dose (everything in the
 * effect chain is linear, so timings do not depend on the size of the dose, only thresholds do).
 * Used by the offline fit (scripts/fit-effect-table.ts) and by the tests, which measure the same
 * things on the full patient model instead.
 *
 * Effect chain: CSF amount A (rate k) -> effect site Ce (ke0) -> cord Cs (kcord);
 * driving level Ceff = (1 - w) Ce + w Cs (w: weight of the slow cord component).
 */
import { chainRates, chainSegment, chainValue, type ChainRates } from './chain.ts';

export interface EffectShape {
  csfHalfLifeH: number;
  effectRatePerH: number;
  cordRatePerH: number;
  cordWeight: number;
}

/** Response fraction at which an effect is first perceptible (Hill curve), and the Hill exponent. */
export const PERCEPTIBLE_EFFECT = 0.25;
export const HILL = 2;

export function shapeRates(s: EffectShape): ChainRates {
  return chainRates([Math.LN2 / s.csfHalfLifeH, s.effectRatePerH, s.cordRatePerH]);
}


/** Driving level after a unit bolus into the CSF of a drug-free patient, sampled every `stepH`. */
export function bolusCurve(s: EffectShape, untilH = 30, stepH = 0.02): Float64Array {
  const r = shapeRates(s);
  const n = Math.round(untilH / stepH) + 1;
  const out = new Float64Array(n);
  const seg = chainSegment(r, [1, 0, 0], 0);
  for (let i = 0; i < n; i++) out[i] = (1 - s.cordWeight) * chainValue(r, seg, 1, i * stepH) + s.cordWeight * chainValue(r, seg, 2, i * stepH);
  return out;
}

export interface BolusTimings {
  onsetH: number;
  peakH: number;
  durationH: number;
  peakLevel: number;
}

/** Onset, peak and duration of a bolus whose peak driving level is `1 / fraction` times the perceptible level. */
export function bolusTimings(curve: Float64Array, fraction: number, stepH = 0.02): BolusTimings {
  let peakI = 0;
  for (let i = 1; i < curve.length; i++) if ((curve[i] ?? 0) > (curve[peakI] ?? 0)) peakI = i;
  const peak = curve[peakI] ?? 0;
  const thr = fraction * peak;
  // The curve rises to its peak and falls after it (a sum of decaying exponentials from a bolus): bisect each side.
  let lo = 0;
  let hi = peakI;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((curve[mid] ?? 0) >= thr) hi = mid;
    else lo = mid + 1;
  }
  const on = lo;
  lo = peakI;
  hi = curve.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((curve[mid] ?? 0) < thr) hi = mid;
    else lo = mid + 1;
  }
  const off = lo;
  return { onsetH: on * stepH, peakH: peakI * stepH, durationH: (off - on) * stepH, peakLevel: peak };
}

/** The effect at the therapeutic level (0..1 of the drug's maximum): what a maintenance dose aims for. */
export const THERAPEUTIC_EFFECT = 0.6;

/**
 * Hill exponent of the curve through E = PERCEPTIBLE_EFFECT at the perceptible level and
 * E = THERAPEUTIC_EFFECT at `therapeuticPerPerceptible` times it.
 */
export function hillExponentFor(therapeuticPerPerceptible: number): number {
  const odds = (e: number) => e / (1 - e);
  return Math.log(odds(THERAPEUTIC_EFFECT) / odds(PERCEPTIBLE_EFFECT)) / Math.log(therapeuticPerPerceptible);
}

/** Effect (0..1) of a driving level, given the level at which the effect is first perceptible. */
export function effectOf(level: number, perceptibleLevel: number, hill = HILL): number {
  // E = L^h / (EC50^h + L^h) with E(perceptible) = PERCEPTIBLE_EFFECT.
  const ec50 = perceptibleLevel * Math.pow((1 - PERCEPTIBLE_EFFECT) / PERCEPTIBLE_EFFECT, 1 / hill);
  if (level <= 0) return 0;
  const a = Math.pow(level / ec50, hill);
  return a / (1 + a);
}

/** The level at which the effect is `e` (0 < e < 1). */
export function levelForEffect(e: number, perceptibleLevel: number, hill = HILL): number {
  const ec50 = perceptibleLevel * Math.pow((1 - PERCEPTIBLE_EFFECT) / PERCEPTIBLE_EFFECT, 1 / hill);
  return ec50 * Math.pow(e / (1 - e), 1 / hill);
}

/** Fractions of a dose adjustment's effect change that define its onset and its maximum. */
export const ADJUSTMENT_ONSET_FRACTION = 0.5;
export const ADJUSTMENT_MAXIMUM_FRACTION = 0.95;

export interface InfusionTimings {
  onsetH: number;
  maximumH: number;
}

/**
 * A drug-free patient starts a continuous infusion of `ratePerH` (unit-dose units): the time the
 * effect first becomes perceptible, and the time it comes within 5 % of its final value.
 */
export function infusionTimings(s: EffectShape, ratePerH: number, perceptibleLevel: number, untilH = 120, stepH = 0.05, hill = HILL): InfusionTimings {
  const r = shapeRates(s);
  const k = Math.LN2 / s.csfHalfLifeH;
  const finalE = effectOf(ratePerH / k, perceptibleLevel, hill);
  let onset = Number.POSITIVE_INFINITY;
  let maximum = Number.POSITIVE_INFINITY;
  const seg = chainSegment(r, [0, 0, 0], ratePerH);
  for (let t = 0; t <= untilH; t += stepH) {
    const level = (1 - s.cordWeight) * chainValue(r, seg, 1, t) + s.cordWeight * chainValue(r, seg, 2, t);
    if (onset === Number.POSITIVE_INFINITY && level >= perceptibleLevel) onset = t;
    if (effectOf(level, perceptibleLevel, hill) >= 0.95 * finalE) {
      maximum = t;
      break;
    }
  }
  return { onsetH: onset, maximumH: maximum };
}
