/**
 * Dates the programmer proposes before anything is committed: when the reservoir reaches the
 * low-reservoir volume, when it would be empty, the next refill (the Prometra rule: the day the
 * reservoir reaches 3.0 mL if every allowed patient bolus is used every day, capped by the drug's
 * stability), and the battery's replace-by date (ERI + 90 days). Pure: the caller passes "now".
 * After a commit the pump's own forecast is shown instead.
 */
import { BATTERY, DRUG_LIBRARY, MS_PER_DAY, NL_PER_ML, type DrugId, type PatientBolusSettings } from '@thecal/pump-core';
import { assertNonNegInt } from './doses.ts';

/** Reservoir volume the next-refill rule aims to keep (Prometra: 3.0 mL). */
export const REFILL_RESERVE_NL = 3 * NL_PER_ML;

/** When a reservoir of `volumeNl` falls to `targetNl` at a mean daily volume; null if never. Floor to the ms. */
export function reachesVolumeAtMs(nowMs: number, volumeNl: number, targetNl: number, dailyNl: number): number | null {
  assertNonNegInt(volumeNl, 'volumeNl');
  assertNonNegInt(targetNl, 'targetNl');
  assertNonNegInt(dailyNl, 'dailyNl');
  if (volumeNl <= targetNl) return nowMs;
  if (dailyNl === 0) return null;
  return nowMs + Math.floor(((volumeNl - targetNl) * MS_PER_DAY) / dailyNl);
}

/** Daily volume assuming every allowed patient bolus is used, nL/day. */
export function worstCaseDailyNl(basalDailyNl: number, patientBolus: PatientBolusSettings | null): number {
  return basalDailyNl + (patientBolus === null ? 0 : patientBolus.volumeNl * patientBolus.maxPer24h);
}

export interface RefillDates {
  lowReservoirAtMs: number | null;
  emptyAtMs: number | null;
  /** The earlier of the 3.0 mL rule and the drug's stability limit. */
  nextRefillByMs: number | null;
  stabilityLimitMs: number;
  /** Which rule set the next-refill date. */
  limitedBy: 'reservoir' | 'stability';
}

export function refillDates(o: { nowMs: number; volumeNl: number; lowAlarmNl: number; basalDailyNl: number; patientBolus: PatientBolusSettings | null; drugId: DrugId; filledAtMs: number }): RefillDates {
  const stabilityLimitMs = o.filledAtMs + DRUG_LIBRARY[o.drugId].stabilityDays * MS_PER_DAY;
  const byReservoir = reachesVolumeAtMs(o.nowMs, o.volumeNl, REFILL_RESERVE_NL, worstCaseDailyNl(o.basalDailyNl, o.patientBolus));
  const reservoirFirst = byReservoir !== null && byReservoir <= stabilityLimitMs;
  return {
    lowReservoirAtMs: reachesVolumeAtMs(o.nowMs, o.volumeNl, o.lowAlarmNl, o.basalDailyNl),
    emptyAtMs: reachesVolumeAtMs(o.nowMs, o.volumeNl, 0, o.basalDailyNl),
    nextRefillByMs: reservoirFirst ? byReservoir : stabilityLimitMs,
    stabilityLimitMs,
    limitedBy: reservoirFirst ? 'reservoir' : 'stability',
  };
}

/** The battery's replace-by date: end of service, exactly 90 days after ERI (the 2012 recall showed it wrong). */
export function replaceByMs(eriAtMs: number): number {
  return eriAtMs + BATTERY.eriToEosMs;
}

/** ERI from a replace-by date (the inverse of replaceByMs). */
export function eriFromReplaceByMs(replaceBy: number): number {
  return replaceBy - BATTERY.eriToEosMs;
}

/** When the drug in the reservoir stops being usable: refill time + the drug's stability days. */
export function stabilityLimitMs(filledAtMs: number, drugId: DrugId): number {
  return filledAtMs + DRUG_LIBRARY[drugId].stabilityDays * MS_PER_DAY;
}

/** Whole days from one instant to another, rounded down (negative when past). */
export function daysBetween(fromMs: number, toMs: number): number {
  return Math.floor((toMs - fromMs) / MS_PER_DAY);
}
