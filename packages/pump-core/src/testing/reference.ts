/**
 * An independent, deliberately naive reference for what the pump should have been commanded to
 * deliver: it walks local time step by step with BigInt arithmetic and shares no code with the
 * core's week tables or credit accumulator. Tests compare the core against it.
 */
import type { BasalProgram } from '../program.ts';

const DAY = 86_400_000n;
const MINUTE = 60_000n;

function floorDivBig(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** Rate (nL/day) and the local time the rate next changes (exclusive), for a local instant. */
function rateAndNextChange(basal: BasalProgram, local: bigint): { rate: bigint; next: bigint } {
  const dayIndex = floorDivBig(local, DAY);
  const dayStart = dayIndex * DAY;
  if (basal.kind === 'continuous') return { rate: BigInt(basal.rateNlPerDay), next: dayStart + DAY };
  // 1970-01-01 was a Thursday (weekday 4 with Sunday = 0).
  const weekday = Number((((dayIndex + 4n) % 7n) + 7n) % 7n);
  const program = basal.dayPrograms[basal.week[weekday] ?? 0];
  if (program === undefined) throw new Error('bad week');
  const within = local - dayStart;
  let rate = 0n;
  let next = dayStart + DAY;
  for (const step of program.steps) {
    const start = BigInt(step.startMinute) * MINUTE;
    if (start <= within) rate = BigInt(step.rateNlPerDay);
    else {
      next = dayStart + start;
      break;
    }
  }
  return { rate, next };
}

/** Integral of the basal over monotonic [fromMs, toMs) at a fixed UTC offset, in nL·ms/day. */
export function basalCredit(basal: BasalProgram, fromMs: number, toMs: number, offsetMs: number): bigint {
  let t = BigInt(fromMs) + BigInt(offsetMs);
  const end = BigInt(toMs) + BigInt(offsetMs);
  let acc = 0n;
  while (t < end) {
    const { rate, next } = rateAndNextChange(basal, t);
    const stop = next < end ? next : end;
    acc += rate * (stop - t);
    t = stop;
  }
  return acc;
}

/** A piece of monotonic time during which the basal program and the UTC offset were constant. */
export interface Piece {
  fromMs: number;
  toMs: number;
  basal: BasalProgram | null;
  offsetMs: number;
}

export interface GrantedBolus {
  startMs: number;
  volumeNl: number;
  durationMs: number;
}

/** Commanded credit of a bolus up to `atMs`: its exact volume, spread at ceil(V·day/duration) per day. */
export function bolusCredit(b: GrantedBolus, atMs: number): bigint {
  if (atMs <= b.startMs) return 0n;
  const rate = (BigInt(b.volumeNl) * DAY + BigInt(b.durationMs) - 1n) / BigInt(b.durationMs);
  const full = BigInt(b.volumeNl) * DAY;
  const c = rate * BigInt(atMs - b.startMs);
  return c < full ? c : full;
}

export function commandedNl(pieces: readonly Piece[], boluses: readonly GrantedBolus[], atMs: number): number {
  let acc = 0n;
  for (const p of pieces) {
    if (p.basal === null || p.fromMs >= atMs) continue;
    acc += basalCredit(p.basal, p.fromMs, Math.min(p.toMs, atMs), p.offsetMs);
  }
  for (const b of boluses) acc += bolusCredit(b, atMs);
  return Number(acc) / Number(DAY);
}
