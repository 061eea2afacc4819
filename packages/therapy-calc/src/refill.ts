/**
 * Refill arithmetic for the programmer's guided refill: the residual discrepancy check, the fill
 * volume check and the bridge bolus. The pump makes the same checks and its answer is the one
 * that counts; these figures are what the clinician sees while filling in the form.
 */
import { LIMITS, PUMP_MODELS, type PumpModelId } from '@thecal/pump-core';
import { assertNonNegInt, assertPositiveInt } from './doses.ts';

export interface ResidualCheck {
  expectedNl: number;
  withdrawnNl: number;
  /** withdrawn - expected: negative means less came out than the pump counted. */
  differenceNl: number;
  thresholdNl: number;
  /** |difference| above the model's threshold (1 mL for 20 mL pumps, 2 mL for 40 mL). */
  flagged: boolean;
  /**
   * Much less withdrawn than expected may mean the needle is not in the reservoir (pocket) or the
   * drug went elsewhere (catheter access port): the clinician must stop and check.
   */
  possiblePocketOrAccessPort: boolean;
}

export function residualCheck(model: PumpModelId, expectedNl: number, withdrawnNl: number): ResidualCheck {
  assertNonNegInt(expectedNl, 'expectedNl');
  assertNonNegInt(withdrawnNl, 'withdrawnNl');
  const thresholdNl = PUMP_MODELS[model].refillDiscrepancyNl;
  const differenceNl = withdrawnNl - expectedNl;
  const flagged = Math.abs(differenceNl) > thresholdNl;
  return { expectedNl, withdrawnNl, differenceNl, thresholdNl, flagged, possiblePocketOrAccessPort: flagged && differenceNl < 0 };
}

export interface FillCheck {
  ok: boolean;
  /** Why not, in words a clinician can act on. */
  problem: string | null;
}

/** A fill must be a positive whole nL and fit the reservoir. */
export function fillCheck(model: PumpModelId, filledNl: number): FillCheck {
  if (!Number.isSafeInteger(filledNl) || filledNl <= 0) return { ok: false, problem: 'the fill volume must be more than 0 mL' };
  const cap = PUMP_MODELS[model].reservoirCapacityNl;
  if (filledNl > cap) return { ok: false, problem: `the fill volume ${filledNl / 1_000_000} mL is more than the reservoir holds (${cap / 1_000_000} mL)` };
  return { ok: true, problem: null };
}

/** Old drug to push out after a concentration change: catheter volume + the pump's internal volume, nL. */
export function bridgeVolumeNl(catheterVolumeNl: number): number {
  assertNonNegInt(catheterVolumeNl, 'catheterVolumeNl');
  return catheterVolumeNl + LIMITS.pumpInternalVolumeNl;
}

/** How long the bridge runs at the old program's mean rate, ms (rounded up to the whole ms). */
export function bridgeDurationMs(bridgeNl: number, oldRateNlPerDay: number): number {
  assertNonNegInt(bridgeNl, 'bridgeNl');
  assertPositiveInt(oldRateNlPerDay, 'oldRateNlPerDay');
  return Math.ceil((bridgeNl * 86_400_000) / oldRateNlPerDay);
}

/** A bridge bolus is offered when the drug stays but its concentration changes (or the drug changes). */
export function bridgeNeeded(old: { drugId: string | null; concentrationMcgPerMl: number }, next: { drugId: string; concentrationMcgPerMl: number }): boolean {
  return old.drugId !== null && old.concentrationMcgPerMl > 0 && (old.drugId !== next.drugId || old.concentrationMcgPerMl !== next.concentrationMcgPerMl);
}
