/**
 * The worklist: what the clinic must act on, most urgent first. Built from the stored forecasts
 * (computed by the pump core at each upload) with indexed range queries, so its cost follows the
 * number of items, not the number of patients.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

export type WorklistKind = 'refill-overdue' | 'critical-alarm' | 'away-at-refill' | 'refill-due' | 'refill-discrepancy' | 'battery-draining-early' | 'replacement';
/** Lower is more urgent. */
const PRIORITY: Record<WorklistKind, number> = { 'refill-overdue': 0, 'critical-alarm': 1, 'away-at-refill': 2, 'refill-due': 3, 'refill-discrepancy': 4, 'battery-draining-early': 5, replacement: 6 };

/**
 * ERI forecast this much earlier than at the previous session: the battery drains faster than its
 * model (leakage, a fault), which a replacement date far away would otherwise hide until ERI.
 * The forecast's own day-to-day noise is hours; a month is a real change.
 */
export const ERI_SHIFT_ALERT_MS = 30 * 86_400_000;

export interface WorklistItem {
  kind: WorklistKind;
  priority: number;
  patientId: string;
  mrn: string;
  patientName: string;
  /** When action is due (refill-by date, alarm time, ERI...). */
  dueAtMs: number;
  message: string;
  detail: Record<string, string | number | boolean | null>;
}

export interface WorklistOptions {
  nowMs: number;
  refillHorizonMs: number;
  replacementHorizonMs: number;
  /** At most this many items (the most urgent): each category query stops there, so a page costs O(page), not O(patients). */
  take?: number;
}

const DAY = 86_400_000;
/** ISO dates by day number: a page repeats few distinct days, and formatting a Date is not free. */
const isoDays = new Map<number, string>();
const isoDay = (ms: number): string => {
  const day = Math.floor(ms / DAY);
  let s = isoDays.get(day);
  if (s === undefined) {
    s = new Date(day * DAY).toISOString().slice(0, 10);
    if (isoDays.size >= 100_000) isoDays.clear();
    isoDays.set(day, s);
  }
  return s;
};

export async function buildWorklist(db: Kysely<Database>, o: WorklistOptions): Promise<WorklistItem[]> {
  const items: WorklistItem[] = [];
  const take = o.take ?? 1_000_000;
  const name = (p: { family_name: string; given_name: string }) => `${p.family_name}, ${p.given_name}`;
  const withImplant = db
    .selectFrom('forecasts')
    .innerJoin('patients', 'patients.id', 'forecasts.patient_id')
    .innerJoin('implants', (j) => j.onRef('implants.patient_id', '=', 'forecasts.patient_id').on('implants.explanted_at_ms', 'is', null))
    .select(['forecasts.patient_id', 'patients.mrn', 'patients.family_name', 'patients.given_name', 'implants.pump_serial', 'forecasts.next_refill_by_ms', 'forecasts.low_reservoir_at_ms', 'forecasts.empty_at_ms', 'forecasts.eri_at_ms', 'forecasts.replace_by_ms', 'forecasts.eri_shift_ms']);

  // The kinds are read most urgent first, and a less urgent group only if the page still has room
  // (every kind of a group ranks below every kind of the groups before it). Within a group the
  // queries are independent: on PostgreSQL they run concurrently on the pool.
  // Group 1: refills (overdue 0, due 3), critical alarms (1), away at refill (2).
  const [refills, away, alarms] = await Promise.all([
    withImplant.where('forecasts.next_refill_by_ms', '<=', o.nowMs + o.refillHorizonMs).orderBy('forecasts.next_refill_by_ms').orderBy('forecasts.patient_id').limit(take).execute(),
    db
      .selectFrom('absences')
      .innerJoin('forecasts', 'forecasts.patient_id', 'absences.patient_id')
      .innerJoin('patients', 'patients.id', 'absences.patient_id')
      .select(['absences.patient_id', 'absences.kind', 'absences.from_ms', 'absences.until_ms', 'patients.mrn', 'patients.family_name', 'patients.given_name', 'forecasts.next_refill_by_ms'])
      .where('absences.until_ms', '>=', o.nowMs)
      .whereRef('absences.from_ms', '<=', 'forecasts.next_refill_by_ms')
      .whereRef('absences.until_ms', '>=', 'forecasts.next_refill_by_ms')
      .orderBy('absences.from_ms')
      .limit(take)
      .execute(),
    db
      .selectFrom('alarms')
      .innerJoin('patients', 'patients.id', 'alarms.patient_id')
      .select(['alarms.id', 'alarms.patient_id', 'alarms.code', 'alarms.raised_at_ms', 'alarms.resolved_at_ms', 'alarms.pump_serial', 'patients.mrn', 'patients.family_name', 'patients.given_name'])
      // Resolved or not: a critical alarm that has ended (a stall that recovered, an empty
      // reservoir refilled) still happened to the patient, and stays until the clinic reviews it.
      .where('alarms.critical', '=', 1)
      .where('alarms.reviewed_at_ms', 'is', null)
      .orderBy('alarms.raised_at_ms')
      .limit(take)
      .execute(),
  ]);
  // Group 2: refill discrepancies (4), batteries draining early (5), only as many as still fit.
  const room2 = take - refills.length - away.length - alarms.length;
  const [discrepancies, draining] = room2 <= 0 ? [[], []] : await Promise.all([
    db
      .selectFrom('refills')
      .innerJoin('patients', 'patients.id', 'refills.patient_id')
      .select(['refills.id', 'refills.patient_id', 'refills.refilled_at_ms', 'refills.expected_residual_nl', 'refills.withdrawn_nl', 'refills.discrepancy_nl', 'patients.mrn', 'patients.family_name', 'patients.given_name'])
      .where('refills.discrepancy_flagged', '=', 1)
      .where('refills.reviewed_at_ms', 'is', null)
      .orderBy('refills.refilled_at_ms')
      .limit(room2)
      .execute(),
    withImplant.where('forecasts.eri_shift_ms', '>', ERI_SHIFT_ALERT_MS).where('forecasts.eri_shift_reviewed_at_ms', 'is', null).orderBy('forecasts.eri_at_ms').orderBy('forecasts.patient_id').limit(room2).execute(),
  ]);
  for (const r of refills) {
    const due = r.next_refill_by_ms ?? o.nowMs;
    const overdue = due < o.nowMs;
    items.push({
      kind: overdue ? 'refill-overdue' : 'refill-due',
      priority: PRIORITY[overdue ? 'refill-overdue' : 'refill-due'],
      patientId: r.patient_id,
      mrn: r.mrn,
      patientName: name(r),
      dueAtMs: due,
      message: overdue ? `refill overdue since ${isoDay(due)}${r.empty_at_ms !== null ? `; reservoir empty ${isoDay(r.empty_at_ms)}` : ''}` : `refill due by ${isoDay(due)}`,
      detail: { pumpSerial: r.pump_serial, nextRefillByMs: r.next_refill_by_ms, lowReservoirAtMs: r.low_reservoir_at_ms, emptyAtMs: r.empty_at_ms },
    });
  }

  for (const a of away) {
    const due = a.next_refill_by_ms ?? a.from_ms;
    items.push({
      // Away when the refill falls due: the refill must happen before they leave.
      kind: 'away-at-refill',
      priority: PRIORITY['away-at-refill'],
      patientId: a.patient_id,
      mrn: a.mrn,
      patientName: name(a),
      dueAtMs: a.from_ms,
      message: `${a.kind === 'travel' ? 'travelling' : 'in hospital'} ${isoDay(a.from_ms)} to ${isoDay(a.until_ms)} when the refill falls due (${isoDay(due)}): refill before ${isoDay(a.from_ms)}`,
      detail: { absence: a.kind, fromMs: a.from_ms, untilMs: a.until_ms, nextRefillByMs: a.next_refill_by_ms },
    });
  }

  for (const a of alarms) {
    items.push({
      kind: 'critical-alarm',
      priority: PRIORITY['critical-alarm'],
      patientId: a.patient_id,
      mrn: a.mrn,
      patientName: name(a),
      dueAtMs: a.raised_at_ms,
      message:
        a.resolved_at_ms === null
          ? `critical alarm ${a.code} since ${isoDay(a.raised_at_ms)} on pump ${a.pump_serial}`
          : `critical alarm ${a.code} on pump ${a.pump_serial}, ${isoDay(a.raised_at_ms)} to ${isoDay(a.resolved_at_ms)} (ended): review`,
      detail: { alarmId: a.id, code: a.code, raisedAtMs: a.raised_at_ms, resolvedAtMs: a.resolved_at_ms },
    });
  }

  for (const d of discrepancies) {
    items.push({
      kind: 'refill-discrepancy',
      priority: PRIORITY['refill-discrepancy'],
      patientId: d.patient_id,
      mrn: d.mrn,
      patientName: name(d),
      dueAtMs: d.refilled_at_ms,
      message: `refill on ${isoDay(d.refilled_at_ms)}: withdrew ${(d.withdrawn_nl / 1e6).toFixed(2)} mL, expected ${(d.expected_residual_nl / 1e6).toFixed(2)} mL: review`,
      detail: { refillId: d.id, expectedResidualNl: d.expected_residual_nl, withdrawnNl: d.withdrawn_nl, discrepancyNl: d.discrepancy_nl },
    });
  }
  for (const b of draining) {
    const days = Math.round(Number(b.eri_shift_ms) / DAY);
    items.push({
      kind: 'battery-draining-early',
      priority: PRIORITY['battery-draining-early'],
      patientId: b.patient_id,
      mrn: b.mrn,
      patientName: name(b),
      dueAtMs: b.eri_at_ms,
      message: `battery draining faster than expected: ERI now forecast ${isoDay(b.eri_at_ms)}, ${days} days earlier than at the previous session; check pump ${b.pump_serial} and plan its replacement`,
      detail: { pumpSerial: b.pump_serial, eriAtMs: b.eri_at_ms, eriShiftMs: Number(b.eri_shift_ms), replaceByMs: b.replace_by_ms },
    });
  }

  // Group 3: replacements (6), the least urgent kind, only as many as fit.
  const room = take - items.length;
  const replacements = room <= 0 ? [] : await withImplant.where('forecasts.eri_at_ms', '<=', o.nowMs + o.replacementHorizonMs).orderBy('forecasts.replace_by_ms').orderBy('forecasts.patient_id').limit(room).execute();
  for (const r of replacements) {
    const reached = r.eri_at_ms <= o.nowMs;
    items.push({
      kind: 'replacement',
      priority: PRIORITY.replacement,
      patientId: r.patient_id,
      mrn: r.mrn,
      patientName: name(r),
      dueAtMs: r.replace_by_ms,
      message: `${reached ? 'ERI reached' : `ERI expected ${isoDay(r.eri_at_ms)}`}: replace pump ${r.pump_serial} by ${isoDay(r.replace_by_ms)}`,
      detail: { pumpSerial: r.pump_serial, eriAtMs: r.eri_at_ms, replaceByMs: r.replace_by_ms, daysLeft: Math.floor((r.replace_by_ms - o.nowMs) / DAY) },
    });
  }

  return items.sort((a, b) => a.priority - b.priority || a.dueAtMs - b.dueAtMs || a.patientId.localeCompare(b.patientId)).slice(0, take);
}
