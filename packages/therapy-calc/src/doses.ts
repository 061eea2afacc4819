/**
 * Doses from rates and concentrations, and back. Integer units: rates in nL/day, concentrations in
 * mcg/mL, amounts in pg. 1 nL at C mcg/mL holds exactly C pg, so a dose from a rate is exact; a
 * rate from a dose is rounded to the nearest whole nL/day (at most 0.5 nL/day, i.e. at most
 * C / 2 pg/day of dose, documented in docs/therapy-calc.md).
 */
import { DRUG_LIBRARY, PG_PER_MCG, PG_PER_MG, type DrugId } from '@thecal/pump-core';

export type DoseUnit = 'mcg' | 'mg';

/** Daily dose of a constant rate, pg/day (exact). */
export function dailyDosePg(rateNlPerDay: number, concentrationMcgPerMl: number): number {
  assertNonNegInt(rateNlPerDay, 'rateNlPerDay');
  assertPositiveInt(concentrationMcgPerMl, 'concentrationMcgPerMl');
  return rateNlPerDay * concentrationMcgPerMl;
}

/** The rate that gives a daily dose, rounded to the nearest nL/day. */
export function rateForDailyDosePg(dosePgPerDay: number, concentrationMcgPerMl: number): number {
  assertNonNegInt(dosePgPerDay, 'dosePgPerDay');
  assertPositiveInt(concentrationMcgPerMl, 'concentrationMcgPerMl');
  return Math.round(dosePgPerDay / concentrationMcgPerMl);
}

/** Volume holding an amount of drug, rounded to the nearest nL. */
export function volumeForAmountNl(amountPg: number, concentrationMcgPerMl: number): number {
  assertNonNegInt(amountPg, 'amountPg');
  assertPositiveInt(concentrationMcgPerMl, 'concentrationMcgPerMl');
  return Math.round(amountPg / concentrationMcgPerMl);
}

/** The unit a drug's doses are read in (the drug library decides: morphine in mg, baclofen in mcg). */
export function doseUnitOf(drugId: DrugId): DoseUnit {
  return DRUG_LIBRARY[drugId].displayUnit;
}

const PG_PER: Readonly<Record<DoseUnit, number>> = { mcg: PG_PER_MCG, mg: PG_PER_MG };

/** An amount in a unit, as a number (e.g. 1 200 000 pg in mcg = 1.2). */
export function pgToUnit(pg: number, unit: DoseUnit): number {
  return pg / PG_PER[unit];
}

/** An amount typed by a clinician in a unit, to whole pg. Refuses what is not a finite, non-negative number. */
export function unitToPg(value: number, unit: DoseUnit): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`a dose must be a finite number >= 0 ${unit}, got ${value}`);
  return Math.round(value * PG_PER[unit]);
}

/** A dose for people: the amount with its unit, never without one ("1.2 mcg", "0.75 mg"). */
export function formatDose(pg: number, unit: DoseUnit, perDay = false): string {
  const v = pgToUnit(pg, unit);
  const text = Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  return `${text} ${unit}${perDay ? '/day' : ''}`;
}

/** A dose in the drug's own display unit. */
export function formatDrugDose(pg: number, drugId: DrugId, perDay = false): string {
  return formatDose(pg, doseUnitOf(drugId), perDay);
}

/** A concentration in the drug's unit per mL (morphine 10 000 mcg/mL reads "10 mg/mL"). */
export function formatConcentration(concentrationMcgPerMl: number, drugId: DrugId): string {
  return `${formatDose(concentrationMcgPerMl * PG_PER_MCG, doseUnitOf(drugId))}/mL`;
}

/** A volume in mL with up to 4 decimals (nL resolution is not useful to read). */
export function formatVolumeMl(volumeNl: number): string {
  return `${Number((volumeNl / 1_000_000).toFixed(4))} mL`;
}

export function formatRateMlPerDay(rateNlPerDay: number): string {
  return `${Number((rateNlPerDay / 1_000_000).toFixed(4))} mL/day`;
}

/** Percent change of a daily dose (e.g. for titration limits), one decimal; null from zero. */
export function doseChangePercent(oldPg: number, newPg: number): number | null {
  if (oldPg === 0) return null;
  return Math.round(((newPg - oldPg) / oldPg) * 1000) / 10;
}

export function assertNonNegInt(x: number, name: string): void {
  if (!Number.isSafeInteger(x) || x < 0) throw new RangeError(`${name} must be a whole number >= 0, got ${x}`);
}
export function assertPositiveInt(x: number, name: string): void {
  if (!Number.isSafeInteger(x) || x <= 0) throw new RangeError(`${name} must be a whole number > 0, got ${x}`);
}
