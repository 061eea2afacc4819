/**
 * Pump time. The core's inputs carry a monotonic time (`nowMs`, true UTC as the world knows it);
 * the pump's own UTC clock may be corrected by an explicit, logged event, and schedules run in
 * local time = pump UTC + an explicit offset. No time-zone database lives in the pump: a change of
 * zone or daylight saving is an explicit offset change, so a 23- or 25-hour local day is simply
 * the day on which the offset moved (see docs/pump-core.md, "Time").
 */
import { DAYS_PER_WEEK, MS_PER_DAY } from './units.ts';

export const MS_PER_WEEK = DAYS_PER_WEEK * MS_PER_DAY;
/** 1970-01-01 was a Thursday; the first Sunday was day 3. Weekdays are 0 = Sunday .. 6 = Saturday. */
const FIRST_SUNDAY_MS = 3 * MS_PER_DAY;

export function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}
export function mod(a: number, b: number): number {
  // Not \`a % b\`: on times beyond 32 bits that compiles to a floating-point remainder loop (x87
  // fprem), and the delivery loop asks for a week position at every rate step. For whole numbers
  // with |a| + b below 2^53 (pump times are below 2^43) the rounded quotient is off by at most
  // one and every product is exact, so one correction each way makes the result exact.
  let r = a - Math.floor(a / b) * b;
  if (r < 0) r += b;
  else if (r >= b) r -= b;
  return r;
}
/** Position within the local week, 0 = Sunday 00:00 local. */
export function weekPositionMs(localMs: number): number {
  return mod(localMs - FIRST_SUNDAY_MS, MS_PER_WEEK);
}
/** A local time whose week position is posMs (in the first week of 1970). */
export function localOfWeekPosition(posMs: number): number {
  return FIRST_SUNDAY_MS + posMs;
}
export function weekdayOf(localMs: number): number {
  return floorDiv(weekPositionMs(localMs), MS_PER_DAY);
}
export function localDayIndex(localMs: number): number {
  return floorDiv(localMs, MS_PER_DAY);
}
export function nextLocalMidnight(localMs: number): number {
  return (localDayIndex(localMs) + 1) * MS_PER_DAY;
}
/** ISO-8601 local date-time with offset, e.g. 2026-03-29T02:30:00.000+01:00, for logs and reports. */
export function formatLocal(utcMs: number, utcOffsetMs: number): string {
  const local = new Date(utcMs + utcOffsetMs).toISOString().slice(0, 23);
  const sign = utcOffsetMs < 0 ? '-' : '+';
  const abs = Math.abs(utcOffsetMs);
  const hh = String(Math.floor(abs / 3_600_000)).padStart(2, '0');
  const mm = String(Math.floor((abs % 3_600_000) / 60_000)).padStart(2, '0');
  return `${local}${sign}${hh}:${mm}`;
}

/** "YYYY-MM-DD" of a day index (days since 1970-01-01), by Howard Hinnant's civil-from-days algorithm: no Date object per day. */
export function isoDateOfDay(dayIndex: number): string {
  const z = dayIndex + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1_460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${y}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`;
}
