/**
 * The usage report: the patient's bolus requests as the pump logged them (requested, delivered,
 * denied with the pump's reason), per day and per hour of the day on the pump's local clock. Built
 * from the pump's therapy log, not from what this phone remembers, so requests from another
 * device or a lost answer are counted as the pump saw them.
 */
import type { LogRecord } from '@thecal/pump-core';
import { pumpLocalDate } from './format.ts';

export interface Counts {
  requested: number;
  delivered: number;
  denied: number;
}
export interface UsageReport {
  clientId: string;
  pumpSerial: string;
  fromMs: number;
  untilMs: number;
  generatedAtMs: number;
  utcOffsetMs: number;
  totals: Counts;
  deniedByReason: Record<string, number>;
  deliveredNl: number;
  perDay: (Counts & { date: string })[];
  perHour: Counts[];
}

const DAY_MS = 86_400_000;
const zero = (): Counts => ({ requested: 0, delivered: 0, denied: 0 });

export interface ReportInput {
  clientId: string;
  pumpSerial: string;
  /** Pump UTC time the report runs up to (the pump's clock when it was read). */
  untilMs: number;
  days: number;
  /** The pump's current local-time offset (the report's days and hours are in it). */
  utcOffsetMs: number;
  generatedAtMs: number;
  therapyLog: readonly LogRecord[];
}

export function buildUsageReport(input: ReportInput): UsageReport {
  const fromMs = input.untilMs - input.days * DAY_MS;
  const totals = zero();
  const deniedByReason: Record<string, number> = {};
  const perHour = Array.from({ length: 24 }, zero);
  const perDay = new Map<string, Counts>();
  for (let t = fromMs; t < input.untilMs + DAY_MS; t += DAY_MS) {
    const d = pumpLocalDate(Math.min(t, input.untilMs), input.utcOffsetMs);
    if (!perDay.has(d)) perDay.set(d, zero());
  }
  let deliveredNl = 0;
  for (const r of input.therapyLog) {
    if (r.utcMs < fromMs || r.utcMs > input.untilMs) continue;
    const started = r.type === 'patient-bolus-started';
    const denied = r.type === 'patient-bolus-denied';
    if (r.type === 'patient-bolus-ended') {
      const nl = r.data['deliveredNl'];
      if (typeof nl === 'number' && nl > 0) deliveredNl += nl;
      continue;
    }
    if (!started && !denied) continue;
    // Each record is counted in the offset it was logged with: a day is the pump's day as it was then.
    const local = new Date(r.utcMs + r.utcOffsetMs);
    const hour = perHour[local.getUTCHours()];
    const dayKey = pumpLocalDate(r.utcMs, r.utcOffsetMs);
    let day = perDay.get(dayKey);
    if (day === undefined) {
      day = zero();
      perDay.set(dayKey, day);
    }
    for (const c of [totals, hour, day]) {
      if (c === undefined) continue;
      c.requested += 1;
      if (started) c.delivered += 1;
      else c.denied += 1;
    }
    if (denied) {
      const reason = typeof r.data['reason'] === 'string' ? r.data['reason'] : 'unknown';
      deniedByReason[reason] = (deniedByReason[reason] ?? 0) + 1;
    }
  }
  return {
    clientId: input.clientId,
    pumpSerial: input.pumpSerial,
    fromMs,
    untilMs: input.untilMs,
    generatedAtMs: input.generatedAtMs,
    utcOffsetMs: input.utcOffsetMs,
    totals,
    deniedByReason,
    deliveredNl,
    perDay: [...perDay.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([date, c]) => ({ date, ...c })),
    perHour,
  };
}
