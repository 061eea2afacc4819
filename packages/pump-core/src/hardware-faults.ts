/**
 * Hardware faults: inputs from the physical world, not from a programmer. A training instructor or
 * the fault-table campaign injects them; on a real pump they would be a worn gear train or a cell
 * with a leakage current. They are not radio commands (no credential can cause them), so they are
 * a separate input of the core, `Pump.injectHardwareFault(atMs, fault)`.
 *
 *   motor-stall    the rotor stops without a magnetic field; it may recover after a delay
 *                  (intermittent) or never (recoveryDelayMs null: the pump must be replaced).
 *   battery-drain  a leakage current: extra energy drawn per day from now on, on top of the
 *                  consumption model. ERI comes early; if the cell runs flat before the 90 days
 *                  after ERI are over, the pump reaches end of service there and then.
 */
import { LIMITS } from './limits.ts';
import { MS_PER_DAY } from './units.ts';

export type HardwareFault =
  | { kind: 'motor-stall'; recoveryDelayMs: number | null }
  | { kind: 'battery-drain'; extraUjPerDay: number };

/** The largest leakage accepted: enough to flatten a new battery in well under a day. */
export const MAX_EXTRA_DRAIN_UJ_PER_DAY = 1_000_000_000_000;

/** Why a fault description is not acceptable, or null when it is. */
export function hardwareFaultProblem(f: HardwareFault): string | null {
  switch (f.kind) {
    case 'motor-stall':
      if (f.recoveryDelayMs === null) return null;
      if (!Number.isSafeInteger(f.recoveryDelayMs) || f.recoveryDelayMs < 0 || f.recoveryDelayMs > LIMITS.maxStallRecoveryDelayMs) {
        return `motor-stall recoveryDelayMs must be null (no recovery) or a whole number of ms from 0 to ${LIMITS.maxStallRecoveryDelayMs}, got ${String(f.recoveryDelayMs)}`;
      }
      return null;
    case 'battery-drain':
      if (!Number.isSafeInteger(f.extraUjPerDay) || f.extraUjPerDay < 0 || f.extraUjPerDay > MAX_EXTRA_DRAIN_UJ_PER_DAY) {
        return `battery-drain extraUjPerDay must be a whole number of µJ/day from 0 to ${MAX_EXTRA_DRAIN_UJ_PER_DAY}, got ${String(f.extraUjPerDay)}`;
      }
      return null;
    default: {
      const never: never = f;
      return `unknown hardware fault ${JSON.stringify(never)}`;
    }
  }
}

/**
 * Energy drawn by a constant leakage over `elapsedMs`, in whole µJ: whole days exactly plus the
 * remainder rounded down, the same way as the quiescent draw, so nothing accumulates.
 */
export function leakageUj(ujPerDay: number, elapsedMs: number): number {
  if (ujPerDay === 0 || elapsedMs <= 0) return 0;
  const days = Math.floor(elapsedMs / MS_PER_DAY);
  const rest = elapsedMs - days * MS_PER_DAY;
  return days * ujPerDay + Math.floor((rest * ujPerDay) / MS_PER_DAY);
}

/** The leakage the pump carries: a rate since a time plus what earlier rates already drew. */
export interface LeakageState {
  ujPerDay: number;
  sinceMs: number;
  foldedUj: number;
}

export const NO_LEAKAGE: LeakageState = { ujPerDay: 0, sinceMs: 0, foldedUj: 0 };

export function leakageDrawnUj(s: LeakageState, nowMs: number): number {
  return s.foldedUj + leakageUj(s.ujPerDay, nowMs - s.sinceMs);
}

/** A new leakage rate from `nowMs`: what the old rate drew so far is kept. */
export function changeLeakage(s: LeakageState, nowMs: number, ujPerDay: number): LeakageState {
  return { ujPerDay, sinceMs: nowMs, foldedUj: leakageDrawnUj(s, nowMs) };
}
