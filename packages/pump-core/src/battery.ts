/**
 * The battery's consumption model: a quiescent draw, a cost per stroke and a cost per second of
 * telemetry (constants in limits.ts). Energy is counted in whole microjoules; the quiescent draw
 * is integrated exactly by whole days plus the remainder so no rounding accumulates.
 */
import { BATTERY, LIMITS } from './limits.ts';
import { MS_PER_DAY } from './units.ts';

export function quiescentUj(elapsedMs: number): number {
  const days = Math.floor(elapsedMs / MS_PER_DAY);
  const rest = elapsedMs - days * MS_PER_DAY;
  return days * BATTERY.quiescentUjPerDay + Math.floor((rest * BATTERY.quiescentUjPerDay) / MS_PER_DAY);
}

const QUIESCENT_UJ_PER_MS = BATTERY.quiescentUjPerDay / MS_PER_DAY;

/**
 * Never less than quiescentUj(elapsedMs), with one multiplication instead of two divisions: the
 * exact figure rounds down twice, and the rounding error of the product is far below the 1 µJ
 * margin for any elapsed time a pump can see.
 */
export function quiescentUjAtMost(elapsedMs: number): number {
  return elapsedMs * QUIESCENT_UJ_PER_MS + 1;
}

/** Average draw per day at a given mean basal rate, in µJ/day. */
export function dailyDrawUj(meanRateNlPerDay: number): number {
  return BATTERY.quiescentUjPerDay + (meanRateNlPerDay / LIMITS.strokeNl) * BATTERY.strokeUj;
}

/** Time from a full battery to end of service at a constant mean rate (ERI + 90 days). */
export function lifeToEndOfServiceMs(meanRateNlPerDay: number): number {
  const toEriMs = ((BATTERY.capacityUj - BATTERY.eriReserveUj) / dailyDrawUj(meanRateNlPerDay)) * MS_PER_DAY;
  return Math.floor(toEriMs) + BATTERY.eriToEosMs;
}
