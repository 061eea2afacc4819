/**
 * Integer units used everywhere in the core. Every quantity carries its unit in its name:
 * volumes in nanolitres (`Nl`), time in milliseconds (`Ms`), drug amounts in picograms (`Pg`),
 * concentrations in micrograms per millilitre (`McgPerMl`), rates in nanolitres per day.
 *
 * Why picograms: 1 nL of a drug at C mcg/mL holds exactly C pg, so every amount the pump
 * computes from a whole number of nanolitres is itself a whole number.
 */
export const NL_PER_UL = 1_000;
export const NL_PER_ML = 1_000_000;
export const PG_PER_MCG = 1_000_000;
export const PG_PER_MG = 1_000_000_000;

export const MS_PER_SECOND = 1_000;
export const MS_PER_MINUTE = 60_000;
export const MS_PER_HOUR = 3_600_000;
export const MS_PER_DAY = 86_400_000;
export const DAYS_PER_WEEK = 7;
/** Mean Gregorian month, used only to express battery life in months. */
export const MS_PER_MONTH = Math.round((365.2425 / 12) * MS_PER_DAY);

export function mlToNl(ml: number): number {
  return Math.round(ml * NL_PER_ML);
}
export function nlToMl(nl: number): number {
  return nl / NL_PER_ML;
}
export function mcgToPg(mcg: number): number {
  return Math.round(mcg * PG_PER_MCG);
}
export function pgToMcg(pg: number): number {
  return pg / PG_PER_MCG;
}
/** Drug amount held in a volume: exact, because C mcg/mL = C pg/nL. */
export function amountPg(volumeNl: number, concentrationMcgPerMl: number): number {
  return volumeNl * concentrationMcgPerMl;
}
