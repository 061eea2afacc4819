/**
 * One virtual patient's parameters, drawn from a seeded generator (the caller's: this package
 * draws nothing by itself), and checked when given by hand.
 */
import { DRUG_IDS, isDrugId, type DrugId } from '@thecal/pump-core';
import { PHARMACOLOGY, type OverdoseSign, type WithdrawalSign } from './drugs.ts';
import { MAINTENANCE_PER_SCREENING_DOSE } from './drug-timings.ts';
import { EFFECT_TABLES } from './effect-table.ts';
import { THERAPEUTIC_EFFECT, bolusCurve, bolusTimings, hillExponentFor, type EffectShape } from './effect-timing.ts';

export { THERAPEUTIC_EFFECT };

export interface PatientParams {
  id: string;
  drugId: DrugId;
  /** CSF elimination half-life, h, in 0.1 h steps (the effect fit is tabulated per step). */
  csfHalfLifeH: number;
  /** Effect-site rate ke0 (/h), cord rate (/h), cord weight (0..1): fitted, from the table. */
  effectRatePerH: number;
  cordRatePerH: number;
  cordWeight: number;
  /** Driving level at which an effect is first perceptible, pg (intrathecal-equivalent amount). */
  perceptibleLevelPg: number;
  /** Test bolus that makes this patient respond (its peak is perceptible / fraction). */
  screeningDosePg: number;
  /**
   * Daily dose that keeps this patient at the therapeutic level at steady state: twice the
   * screening dose when drawn (MAINTENANCE_PER_SCREENING_DOSE, docs/patient-model.md).
   */
  maintenanceDailyPg: number;
  baselineScore: number;
  bestScore: number;
  tissueAbsorptionHalfLifeH: number;
  systemicHalfLifeH: number;
  systemicPotency: number;
  adaptationHalfLifeH: number;
  /** Overdose signs appear at these multiples of the therapeutic level (drug's defaults x sensitivity). */
  overdoseAtExposure: Partial<Record<OverdoseSign, number>>;
  /** Withdrawal signs appear this many hours after deprivation starts. */
  withdrawalDelayH: Partial<Record<WithdrawalSign, number>>;
}

export function effectShapeOf(p: Pick<PatientParams, 'csfHalfLifeH' | 'effectRatePerH' | 'cordRatePerH' | 'cordWeight'>): EffectShape {
  return { csfHalfLifeH: p.csfHalfLifeH, effectRatePerH: p.effectRatePerH, cordRatePerH: p.cordRatePerH, cordWeight: p.cordWeight };
}

/** Fitted effect parameters of a drug for a half-life (must be on the drug's 0.1 h grid). */
export function effectFit(csfHalfLifeH: number, drugId: DrugId = 'baclofen'): { effectRatePerH: number; cordRatePerH: number; cordWeight: number; perceptibleFraction: number } {
  const table = EFFECT_TABLES[drugId];
  const row = table.find((r) => Math.abs(r[0] - csfHalfLifeH) < 1e-9);
  if (row === undefined) {
    const lo = table[0]?.[0];
    const hi = table.at(-1)?.[0];
    throw new RangeError(`CSF half-life ${csfHalfLifeH} h is not on the fitted ${drugId} grid (${lo} to ${hi} h in 0.1 h steps)`);
  }
  return { effectRatePerH: row[1], cordRatePerH: row[2], cordWeight: row[3], perceptibleFraction: row[4] };
}

function between(rand: () => number, [lo, hi]: readonly [number, number]): number {
  return lo + (hi - lo) * rand();
}

export interface DrawOptions {
  id?: string;
  drugId?: DrugId;
  csfHalfLifeH?: number;
  screeningDosePg?: number;
}

/**
 * Draws one patient. `rand` is a seeded uniform generator on [0, 1) (e.g. pump-core's
 * `seededUniform(seed)`); the same generator state gives the same patient.
 */
export function drawPatient(rand: () => number, opts: DrawOptions = {}): PatientParams {
  const drugId = opts.drugId ?? (DRUG_IDS[Math.floor(rand() * 3)] as DrugId);
  const ph = PHARMACOLOGY[drugId];
  const [tLo, tHi] = ph.csfHalfLifeH;
  const csfHalfLifeH = opts.csfHalfLifeH ?? Math.round((tLo + (tHi - tLo) * rand()) * 10) / 10;
  const fit = effectFit(csfHalfLifeH, drugId);
  const screeningDosePg = opts.screeningDosePg ?? Math.round(between(rand, ph.screeningDosePg));
  const shape: EffectShape = { csfHalfLifeH, effectRatePerH: fit.effectRatePerH, cordRatePerH: fit.cordRatePerH, cordWeight: fit.cordWeight };
  const peak = bolusTimings(bolusCurve(shape, 48, 0.02), fit.perceptibleFraction).peakLevel;
  const perceptibleLevelPg = fit.perceptibleFraction * peak * screeningDosePg;
  const sensitivity = between(rand, [0.75, 1.25]);
  const overdoseAtExposure: Partial<Record<OverdoseSign, number>> = {};
  for (const o of ph.overdose) overdoseAtExposure[o.sign] = o.atExposure * sensitivity;
  const withdrawalDelayH: Partial<Record<WithdrawalSign, number>> = {};
  for (const w of ph.withdrawal) withdrawalDelayH[w.sign] = between(rand, w.delayH);
  const p: PatientParams = {
    id: opts.id ?? `VP-${Math.floor(rand() * 1e9).toString(36).toUpperCase()}`,
    drugId,
    csfHalfLifeH,
    effectRatePerH: fit.effectRatePerH,
    cordRatePerH: fit.cordRatePerH,
    cordWeight: fit.cordWeight,
    perceptibleLevelPg,
    screeningDosePg,
    maintenanceDailyPg: MAINTENANCE_PER_SCREENING_DOSE * screeningDosePg,
    baselineScore: Math.round(between(rand, ph.baselineScore) * 10) / 10,
    bestScore: Math.round(between(rand, ph.bestScore) * 10) / 10,
    tissueAbsorptionHalfLifeH: between(rand, ph.tissueAbsorptionHalfLifeH),
    systemicHalfLifeH: between(rand, ph.systemicHalfLifeH),
    systemicPotency: ph.systemicPotency,
    adaptationHalfLifeH: between(rand, ph.adaptationHalfLifeH),
    overdoseAtExposure,
    withdrawalDelayH,
  };
  return p;
}

/** Driving level that gives the therapeutic effect: the steady level on the maintenance dose. */
export function therapeuticLevelPg(p: Pick<PatientParams, 'maintenanceDailyPg' | 'csfHalfLifeH'>): number {
  return p.maintenanceDailyPg / 24 / (Math.LN2 / p.csfHalfLifeH);
}

/** Exponent of the patient's Hill curve (effect 0.25 at the perceptible level, 0.6 at the therapeutic one). */
export function hillExponentOf(p: Pick<PatientParams, 'maintenanceDailyPg' | 'csfHalfLifeH' | 'perceptibleLevelPg'>): number {
  return hillExponentFor(therapeuticLevelPg(p) / p.perceptibleLevelPg);
}

/** Checks hand-made parameters; throws a RangeError naming the field and why. */
export function validatePatientParams(p: PatientParams): void {
  const need = (ok: boolean, field: string, why: string) => {
    if (!ok) throw new RangeError(`patient ${p.id}: ${field} ${why}`);
  };
  need(isDrugId(p.drugId), 'drugId', `must be one of ${DRUG_IDS.join(', ')}`);
  const pos = (x: number) => Number.isFinite(x) && x > 0;
  need(pos(p.csfHalfLifeH), 'csfHalfLifeH', 'must be a positive number of hours');
  need(pos(p.effectRatePerH), 'effectRatePerH', 'must be positive');
  need(pos(p.cordRatePerH), 'cordRatePerH', 'must be positive');
  need(p.cordWeight >= 0 && p.cordWeight < 1, 'cordWeight', 'must be from 0 to below 1');
  need(pos(p.perceptibleLevelPg), 'perceptibleLevelPg', 'must be positive');
  need(pos(p.screeningDosePg), 'screeningDosePg', 'must be positive');
  need(pos(p.maintenanceDailyPg), 'maintenanceDailyPg', 'must be positive');
  need(therapeuticLevelPg(p) > 1.1 * p.perceptibleLevelPg, 'maintenanceDailyPg', 'must hold the level above 1.1 x the perceptible level (the Hill curve joins the two)');
  need(pos(p.tissueAbsorptionHalfLifeH) && pos(p.systemicHalfLifeH) && pos(p.adaptationHalfLifeH), 'half-lives', 'must be positive');
  need(p.systemicPotency >= 0 && p.systemicPotency <= 1, 'systemicPotency', 'must be from 0 to 1');
  const max = PHARMACOLOGY[p.drugId].scale === 'modified-ashworth' ? 4 : 10;
  need(p.bestScore >= 0 && p.bestScore <= p.baselineScore && p.baselineScore <= max, 'scores', `need 0 <= best <= baseline <= ${max}`);
  for (const [s, v] of Object.entries(p.overdoseAtExposure)) need(v > 1, `overdoseAtExposure.${s}`, 'must be above 1 (the therapeutic level)');
  for (const [s, v] of Object.entries(p.withdrawalDelayH)) need(v >= 0 && Number.isFinite(v), `withdrawalDelayH.${s}`, 'must be >= 0 h');
}
