/**
 * Display-only formatting of the pump's integers. The pump reports times on its own clock, with
 * its local-time offset: they are shown as the pump's local time, never converted to the phone's.
 */
import { DRUG_LIBRARY, NL_PER_ML, PG_PER_MCG, PG_PER_MG, type DrugId } from '@thecal/pump-core';

/** A drug amount in the unit its library entry is dosed in (morphine mg, baclofen mcg). */
export function formatAmount(amountPg: number, drugId: DrugId | null): string {
  const unit = drugId === null ? 'mcg' : DRUG_LIBRARY[drugId].displayUnit;
  if (unit === 'mg') return `${trim(amountPg / PG_PER_MG, 3)} mg`;
  return `${trim(amountPg / PG_PER_MCG, 2)} mcg`;
}

export function formatVolume(volumeNl: number): string {
  return `${trim(volumeNl / NL_PER_ML, 3)} mL`;
}

function trim(x: number, decimals: number): string {
  return String(Number(x.toFixed(decimals)));
}

function shifted(ms: number, offsetMs: number): Date {
  return new Date(ms + offsetMs);
}

/** "14:05" on the pump's local clock. */
export function formatPumpTime(ms: number, offsetMs: number, locale: string): string {
  return new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', timeZone: 'UTC', hourCycle: 'h23' }).format(shifted(ms, offsetMs));
}

/** "Tue 3 Feb 2026" on the pump's local calendar. */
export function formatPumpDate(ms: number, offsetMs: number, locale: string): string {
  return new Intl.DateTimeFormat(locale, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(shifted(ms, offsetMs));
}

/** The pump-local calendar date, YYYY-MM-DD. */
export function pumpLocalDate(ms: number, offsetMs: number): string {
  return shifted(ms, offsetMs).toISOString().slice(0, 10);
}

/** A countdown: "14:59", or "1:02:03" past an hour; never negative. */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = String(m).padStart(h > 0 ? 2 : 1, '0');
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(s).padStart(2, '0')}`;
}

/** The patient's date input (YYYY-MM-DD, local calendar) to epoch ms at local midnight. */
export function dateInputToMs(value: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (m === null) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isNaN(d.getTime()) ? null : d.getTime();
}
