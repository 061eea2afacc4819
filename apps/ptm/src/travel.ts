/** Travel and hospital stays: does a refill fall due while the patient is away? */
export interface Absence {
  clientId: string;
  kind: 'travel' | 'hospital-stay';
  fromMs: number;
  untilMs: number;
  notes: string;
}

export type RefillCheck = { kind: 'unknown' } | { kind: 'during'; refillMs: number } | { kind: 'clear'; refillMs: number };

/** A refill due on any day from the first to the last day away (inclusive) needs moving. */
export function refillDuring(a: Pick<Absence, 'fromMs' | 'untilMs'>, nextRefillMs: number | null): RefillCheck {
  if (nextRefillMs === null) return { kind: 'unknown' };
  return nextRefillMs >= a.fromMs && nextRefillMs <= a.untilMs ? { kind: 'during', refillMs: nextRefillMs } : { kind: 'clear', refillMs: nextRefillMs };
}

/** The last day away is inclusive: the app stores the instant after it, so one day away is valid. */
export function validAbsence(fromMs: number | null, untilMs: number | null): fromMs is number {
  return fromMs !== null && untilMs !== null && untilMs > fromMs;
}
