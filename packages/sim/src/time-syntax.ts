/**
 * The time syntax of scenario files, all parsed exactly to whole milliseconds:
 * - instants: ISO-8601 date-times with an explicit zone, "2026-03-29T01:00:00Z" or "…+02:00";
 * - durations: ISO-8601 durations in weeks, days, hours, minutes and seconds ("P2DT3H", "PT90M",
 *   "PT0.5S"); years and months are refused because their length varies;
 * - times relative to the scenario start: a duration ("P2DT3H" = two days three hours after start);
 * - UTC offsets: "+01:00", "-05:30", "Z";
 * - local times of day: "08:30".
 */
import { LIMITS, MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE, MS_PER_SECOND } from '@thecal/pump-core';
import { parseDecimal, scaleToWhole } from './decimal.ts';

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };
const fail = (message: string): { ok: false; message: string } => ({ ok: false, message });

const DATE_TIME_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})$/;

/** An ISO-8601 date-time with its zone, to UTC epoch ms. */
export function parseInstant(text: string): Parsed<number> {
  const m = DATE_TIME_RE.exec(text);
  if (m === null) return fail(`"${text}" is not an ISO-8601 date-time with a zone, such as "2026-03-02T08:00:00Z" or "2026-03-02T09:00:00+01:00"`);
  const [, y = '', mo = '', d = '', h = '', mi = '', s = '0', frac = '', zone = 'Z'] = m;
  if (frac.length > 3 && !/^0+$/.test(frac.slice(3))) return fail(`"${text}" has a fraction of a millisecond; times are whole milliseconds`);
  const ms = Number(frac.slice(0, 3).padEnd(3, '0'));
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return fail(`"${text}" is not a valid date-time`);
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  if (new Date(local).getUTCDate() !== day) return fail(`"${text}": there is no ${y}-${mo}-${d}`);
  const offset = parseUtcOffset(zone);
  if (!offset.ok) return offset;
  return { ok: true, value: local - offset.value };
}

const DURATION_RE = /^(-)?P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** An ISO-8601 duration in W/D/H/M/S, to whole ms. */
export function parseDuration(text: string, opts: { allowNegative?: boolean } = {}): Parsed<number> {
  if (/^-?P[^T]*\d+(\.\d+)?[YM]/.test(text)) {
    return fail(`"${text}": years and months have no fixed length; write days, e.g. "P30D" (a month written "PT30M" is 30 minutes)`);
  }
  const m = DURATION_RE.exec(text);
  if (m === null || /^-?PT?$/.test(text) || text.endsWith('T')) {
    return fail(`"${text}" is not an ISO-8601 duration such as "P2DT3H", "PT90M" or "PT0.5S"`);
  }
  const [, minus, w, d, h, mi, s] = m;
  if (minus !== undefined && opts.allowNegative !== true) return fail(`"${text}": a negative duration is not allowed here`);
  const parts: [string | undefined, number][] = [
    [w, 7 * MS_PER_DAY],
    [d, MS_PER_DAY],
    [h, MS_PER_HOUR],
    [mi, MS_PER_MINUTE],
    [s, MS_PER_SECOND],
  ];
  let total = 0n;
  for (const [value, unitMs] of parts) {
    if (value === undefined) continue;
    const dec = parseDecimal(value);
    const ms = dec === null ? null : scaleToWhole(dec, BigInt(unitMs), 1n);
    if (ms === null) return fail(`"${text}" is not a whole number of milliseconds; durations are converted exactly and never rounded`);
    total += ms;
  }
  const value = Number(total);
  if (!Number.isSafeInteger(value)) return fail(`"${text}" is too long`);
  return { ok: true, value: minus === undefined ? value : -value };
}

/** A time in a scenario: an absolute instant, or a duration after the scenario start. */
export type TimeRef = { kind: 'absolute'; ms: number; text: string } | { kind: 'relative'; ms: number; text: string };

export function parseTimeRef(text: string): Parsed<TimeRef> {
  if (/^P/.test(text)) {
    const d = parseDuration(text);
    return d.ok ? { ok: true, value: { kind: 'relative', ms: d.value, text } } : d;
  }
  if (/^\d{4}-/.test(text)) {
    const t = parseInstant(text);
    return t.ok ? { ok: true, value: { kind: 'absolute', ms: t.value, text } } : t;
  }
  return fail(`"${text}" is neither an ISO-8601 date-time ("2026-03-02T08:00:00Z") nor a duration after the start ("P2DT3H")`);
}

const OFFSET_RE = /^([+-])(\d{2}):(\d{2})$/;

/** "+01:00" → 3 600 000 ms; quarter hours from -12:00 to +14:00, like the pump accepts. */
export function parseUtcOffset(text: string): Parsed<number> {
  if (text === 'Z') return { ok: true, value: 0 };
  const m = OFFSET_RE.exec(text);
  if (m === null) return fail(`"${text}" is not a UTC offset such as "+01:00", "-05:30" or "Z"`);
  const [, sign, hh = '', mm = ''] = m;
  const value = (sign === '-' ? -1 : 1) * (Number(hh) * MS_PER_HOUR + Number(mm) * MS_PER_MINUTE);
  return checkUtcOffsetMs(value, `"${text}"`);
}

export function checkUtcOffsetMs(value: number, label: string): Parsed<number> {
  if (!Number.isSafeInteger(value) || value < LIMITS.minUtcOffsetMs || value > LIMITS.maxUtcOffsetMs || value % (15 * MS_PER_MINUTE) !== 0) {
    return fail(`${label} is not a whole number of quarter hours from -12:00 to +14:00`);
  }
  return { ok: true, value };
}

export function formatUtcOffset(offsetMs: number): string {
  const sign = offsetMs < 0 ? '-' : '+';
  const abs = Math.abs(offsetMs);
  const hh = String(Math.floor(abs / MS_PER_HOUR)).padStart(2, '0');
  const mm = String(Math.floor((abs % MS_PER_HOUR) / MS_PER_MINUTE)).padStart(2, '0');
  return `${sign}${hh}:${mm}`;
}

const TIME_OF_DAY_RE = /^(\d{2}):(\d{2})$/;

/** "08:30" → 510 minutes after local midnight. */
export function parseTimeOfDay(text: string): Parsed<number> {
  const m = TIME_OF_DAY_RE.exec(text);
  const hh = Number(m?.[1]);
  const mm = Number(m?.[2]);
  if (m === null || hh > 23 || mm > 59) return fail(`"${text}" is not a local time of day from "00:00" to "23:59"`);
  return { ok: true, value: hh * 60 + mm };
}

export function isoOf(ms: number): string {
  return new Date(ms).toISOString();
}

/** ISO-8601 duration for reports and messages ("P2DT3H"). */
export function formatDuration(ms: number): string {
  if (ms === 0) return 'PT0S';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  const days = Math.floor(rest / MS_PER_DAY);
  rest -= days * MS_PER_DAY;
  const hours = Math.floor(rest / MS_PER_HOUR);
  rest -= hours * MS_PER_HOUR;
  const minutes = Math.floor(rest / MS_PER_MINUTE);
  rest -= minutes * MS_PER_MINUTE;
  const seconds = rest / MS_PER_SECOND;
  const time = `${hours ? `${hours}H` : ''}${minutes ? `${minutes}M` : ''}${seconds ? `${seconds}S` : ''}`;
  return `${sign}P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
}
