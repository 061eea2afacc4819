/**
 * Per local day: what the pump delivered and what happened to patient-bolus requests. The pump
 * itself closes each local day with a `daily-total` therapy record; the book reads the therapy log
 * in sequence, so every denial logged before a daily total belongs to that day exactly as the
 * pump counted it (23- and 25-hour days included). Requests the pump never heard, because it had
 * no power, are counted in the day it was in when power went.
 */
import type { DrugId, LogRecord } from '@thecal/pump-core';
import { displayUnitOf, nlToMl, pgIn } from './amounts.ts';
import type { DayRowT, PatientBolusCountsT } from './report-schema.ts';

export const UNPOWERED_REASON = 'pump-unpowered';

export interface OpenDay {
  localDate: string;
  deliveredNl: number;
  deliveredPg: number;
  patientBolusesDelivered: number;
  patientBolusesDenied: number;
}

export class DayBook {
  readonly rows: DayRowT[] = [];
  private deniedByReason: Record<string, number> = {};
  private started = 0;
  private denied = 0;
  private unpowered = 0;
  private first = true;

  /** @param firstDayPartial whether the run started after local midnight of its first day */
  constructor(private readonly firstDayPartial: boolean) {}

  onTherapyRecord(record: LogRecord, drugId: DrugId | null): void {
    if (record.type === 'patient-bolus-started') {
      this.started += 1;
    } else if (record.type === 'patient-bolus-denied') {
      const reason = String(record.data['reason']);
      this.deniedByReason[reason] = (this.deniedByReason[reason] ?? 0) + 1;
      this.denied += 1;
    } else if (record.type === 'daily-total') {
      const d = record.data;
      this.close(
        {
          localDate: String(d['localDate']),
          deliveredNl: Number(d['deliveredNl']),
          deliveredPg: Number(d['deliveredPg']),
          patientBolusesDelivered: Number(d['patientBolusesDelivered']),
          patientBolusesDenied: Number(d['patientBolusesDenied']),
        },
        drugId,
        this.first && this.firstDayPartial,
      );
    }
  }

  onUnpoweredRequest(): void {
    this.unpowered += 1;
  }

  /**
   * The day still open when the run ends: volumes from the pump's status, bolus counts from the
   * therapy records read since the last daily total (the status does not carry them).
   */
  finish(today: { localDate: string; deliveredNl: number; deliveredPg: number }, drugId: DrugId | null, endsAtMidnight: boolean): void {
    const empty = today.deliveredNl === 0 && this.started + this.denied + this.unpowered === 0;
    if (endsAtMidnight && empty) return;
    this.close({ ...today, patientBolusesDelivered: this.started, patientBolusesDenied: this.denied }, drugId, true);
  }

  private close(day: OpenDay, drugId: DrugId | null, partial: boolean): void {
    const unit = displayUnitOf(drugId);
    const deniedByReason = { ...this.deniedByReason };
    if (this.unpowered > 0) deniedByReason[UNPOWERED_REASON] = this.unpowered;
    const patientBoluses: PatientBolusCountsT = {
      requested: day.patientBolusesDelivered + day.patientBolusesDenied + this.unpowered,
      delivered: day.patientBolusesDelivered,
      denied: day.patientBolusesDenied + this.unpowered,
      deniedByReason: sortedKeys(deniedByReason),
    };
    this.rows.push({
      localDate: day.localDate,
      partial,
      drugId,
      deliveredNl: day.deliveredNl,
      deliveredMl: nlToMl(day.deliveredNl),
      deliveredPg: day.deliveredPg,
      amount: pgIn(unit, day.deliveredPg),
      amountUnit: unit,
      patientBoluses,
    });
    this.deniedByReason = {};
    this.started = 0;
    this.denied = 0;
    this.unpowered = 0;
    this.first = false;
  }
}

/** Object keys in a fixed order, so equal counts always serialise to equal JSON. */
export function sortedKeys(counts: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of Object.keys(counts).sort()) out[key] = counts[key] ?? 0;
  return out;
}
