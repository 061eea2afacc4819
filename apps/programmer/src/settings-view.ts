/** Settings as people read them (units always shown), and the settings a change set would give. */
import type { BasalProgram, ChangeSet, DrugId, Prescription, PumpStatus } from '@thecal/pump-core';
import { formatConcentration, formatDrugDose, formatMinute, formatRateMlPerDay, formatVolumeMl, weekDailyVolumesNl } from '@thecal/therapy-calc';

export const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

export function dateText(ms: number | null | undefined, offsetMs = 0): string {
  if (ms === null || ms === undefined) return 'none';
  return new Date(ms + offsetMs).toISOString().slice(0, 16).replace('T', ' ');
}
export function dayText(ms: number | null | undefined, offsetMs = 0): string {
  if (ms === null || ms === undefined) return 'none';
  return new Date(ms + offsetMs).toISOString().slice(0, 10);
}

export interface SettingsState {
  prescription: Prescription | null;
  drugId: DrugId | null;
  concentrationMcgPerMl: number;
  reservoirNl: number;
  lowAlarmNl: number;
  refillReminderUtcMs: number | null;
  therapyRunning: boolean;
  catheter: { model: string; lengthMm: number; volumeNl: number } | null;
  patientId: string | null;
  bolus: string | null;
}

export function stateOf(s: PumpStatus): SettingsState {
  return {
    prescription: s.prescription,
    drugId: s.reservoir.drugId,
    concentrationMcgPerMl: s.reservoir.concentrationMcgPerMl,
    reservoirNl: s.reservoir.volumeNl,
    lowAlarmNl: s.reservoir.lowAlarmNl,
    refillReminderUtcMs: s.refillReminderUtcMs,
    therapyRunning: s.therapy.running,
    catheter: s.device.catheter,
    patientId: s.device.patientId,
    bolus: s.bolus === null ? null : `${s.bolus.kind} ${formatVolumeMl(s.bolus.requestedNl)}`,
  };
}

/** What the settings would be after a change set (for the Finish screen; the pump's re-read is the truth). */
export function predictState(before: SettingsState, c: ChangeSet): SettingsState {
  const after = { ...before };
  if (c.refill !== undefined) {
    after.drugId = c.refill.drugId;
    after.concentrationMcgPerMl = c.refill.concentrationMcgPerMl;
    after.reservoirNl = c.refill.filledNl;
  }
  if (c.prescription !== undefined) after.prescription = c.prescription;
  if (c.alarms?.lowReservoirNl !== undefined) after.lowAlarmNl = c.alarms.lowReservoirNl;
  if (c.alarms?.refillReminderUtcMs !== undefined) after.refillReminderUtcMs = c.alarms.refillReminderUtcMs;
  if (c.device?.catheter !== undefined) after.catheter = c.device.catheter;
  if (c.device?.patientId !== undefined) after.patientId = c.device.patientId;
  if (c.bolus !== undefined) after.bolus = c.bolus.kind === 'clinician' ? `clinician ${formatVolumeMl(c.bolus.volumeNl)} over ${Math.round(c.bolus.durationMs / 60_000)} min` : `${c.bolus.kind} bolus`;
  return after;
}

function basalLines(b: BasalProgram, drugId: DrugId, conc: number): Record<string, string> {
  const out: Record<string, string> = {};
  if (b.kind === 'continuous') {
    out['Basal'] = `continuous ${formatRateMlPerDay(b.rateNlPerDay)}`;
    return out;
  }
  out['Basal'] = `flex, ${b.dayPrograms.length} day program(s)`;
  b.dayPrograms.forEach((p, i) => {
    out[`Day program ${i + 1} "${p.name}"`] = p.steps.map((s) => `${formatMinute(s.startMinute)} ${formatRateMlPerDay(s.rateNlPerDay)}`).join('; ');
  });
  out['Week'] = b.week.map((d, i) => `${WEEKDAYS[i]}: ${b.dayPrograms[d]?.name ?? '?'}`).join(', ');
  const vols = weekDailyVolumesNl(b);
  out['Daily dose by weekday'] = vols.map((v, i) => `${WEEKDAYS[i]} ${formatDrugDose(v * conc, drugId)}`).join(', ');
  return out;
}

/** A flat record of labelled values: the rows of the side-by-side comparison. */
export function describe(s: SettingsState): Record<string, string> {
  const out: Record<string, string> = {};
  out['Patient id on the pump'] = s.patientId ?? 'none';
  out['Therapy'] = s.therapyRunning ? 'running' : 'stopped';
  out['Drug in reservoir'] = s.drugId === null ? 'none' : `${s.drugId} ${formatConcentration(s.concentrationMcgPerMl, s.drugId)}`;
  out['Reservoir volume'] = formatVolumeMl(s.reservoirNl);
  out['Low-reservoir alarm at'] = formatVolumeMl(s.lowAlarmNl);
  out['Refill reminder'] = s.refillReminderUtcMs === null ? 'none' : dateText(s.refillReminderUtcMs);
  out['Catheter'] = s.catheter === null ? 'none' : `${s.catheter.model}, ${s.catheter.lengthMm} mm, ${formatVolumeMl(s.catheter.volumeNl)}`;
  const rx = s.prescription;
  if (rx === null) {
    out['Prescription'] = 'none';
  } else {
    out['Prescription drug'] = `${rx.drugId} ${formatConcentration(rx.concentrationMcgPerMl, rx.drugId)}`;
    Object.assign(out, basalLines(rx.basal, rx.drugId, rx.concentrationMcgPerMl));
    const vols = weekDailyVolumesNl(rx.basal);
    const max = Math.max(...vols);
    out['Largest daily basal dose'] = `${formatDrugDose(max * rx.concentrationMcgPerMl, rx.drugId, true)} (${formatRateMlPerDay(max)})`;
    out['Maximum daily dose'] = formatDrugDose(rx.maxDailyDosePg, rx.drugId, true);
    out['Maximum rate'] = formatRateMlPerDay(rx.maxRateNlPerDay);
    out['Patient bolus'] =
      rx.patientBolus === null
        ? 'off'
        : `${formatDrugDose(rx.patientBolus.volumeNl * rx.concentrationMcgPerMl, rx.drugId)} (${formatVolumeMl(rx.patientBolus.volumeNl)}) over ${rx.patientBolus.durationMs / 60_000} min, lockout ${rx.patientBolus.lockoutMs / 60_000} min, at most ${rx.patientBolus.maxPer24h} per 24 h`;
  }
  out['Bolus'] = s.bolus ?? 'none';
  return out;
}
