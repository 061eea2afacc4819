/** Database rows turned into the API's JSON (camelCase, JSON columns parsed, flags as booleans). */
import type { Selectable } from 'kysely';
import type { AbsencesTable, AlarmsTable, AssessmentsTable, ClinicalEventsTable, ForecastsTable, ImplantsTable, PatientsTable, PrescriptionsTable, ProgrammingSessionsTable, RefillsTable, ScreeningTrialsTable } from '../db/schema.ts';

type Row<T> = Selectable<T>;

export const patientView = (p: Row<PatientsTable>) => ({
  id: p.id,
  mrn: p.mrn,
  familyName: p.family_name,
  givenName: p.given_name,
  birthDate: p.birth_date,
  sex: p.sex,
  indication: p.indication,
  createdAtMs: p.created_at_ms,
});
export const assessmentView = (a: Row<AssessmentsTable>) => ({
  id: a.id,
  patientId: a.patient_id,
  assessedAtMs: a.assessed_at_ms,
  assessedBy: a.assessed_by,
  criteria: JSON.parse(a.criteria_json) as unknown,
  eligible: a.eligible !== 0,
  reasons: JSON.parse(a.reasons_json) as string[],
});
export const trialView = (t: Row<ScreeningTrialsTable>) => ({
  id: t.id,
  patientId: t.patient_id,
  drugId: t.drug_id,
  startedAtMs: t.started_at_ms,
  doses: JSON.parse(t.doses_json) as unknown,
  outcome: t.outcome,
  recordedBy: t.recorded_by,
});
export const implantView = (i: Row<ImplantsTable>) => ({
  id: i.id,
  patientId: i.patient_id,
  pumpSerial: i.pump_serial,
  pumpModel: i.pump_model,
  reservoirCapacityNl: i.reservoir_capacity_nl,
  implantedAtMs: i.implanted_at_ms,
  pumpDepthMm: i.pump_depth_mm,
  catheterModel: i.catheter_model,
  catheterLengthMm: i.catheter_length_mm,
  catheterVolumeNl: i.catheter_volume_nl,
  explantedAtMs: i.explanted_at_ms,
});
export const prescriptionView = (p: Row<PrescriptionsTable>) => ({
  id: p.id,
  patientId: p.patient_id,
  version: p.version,
  prescription: JSON.parse(p.prescription_json) as unknown,
  reason: p.reason,
  createdBy: p.created_by,
  createdAtMs: p.created_at_ms,
});
export const sessionView = (s: Omit<Row<ProgrammingSessionsTable>, 'status_json' | 'snapshot_json' | 'content_hash'>) => ({
  id: s.id,
  patientId: s.patient_id,
  pumpSerial: s.pump_serial,
  interrogatedAtMs: s.interrogated_at_ms,
  uploadedAtMs: s.uploaded_at_ms,
  uploadedBy: s.uploaded_by,
  eventNextSeq: s.event_next_seq,
  therapyNextSeq: s.therapy_next_seq,
  recordsReceived: s.records_received,
  recordsMissed: s.records_missed,
});
export const refillView = (r: Row<RefillsTable>) => ({
  id: r.id,
  patientId: r.patient_id,
  pumpSerial: r.pump_serial,
  refilledAtMs: r.refilled_at_ms,
  drugId: r.drug_id,
  concentrationMcgPerMl: r.concentration_mcg_per_ml,
  expectedResidualNl: r.expected_residual_nl,
  withdrawnNl: r.withdrawn_nl,
  filledNl: r.filled_nl,
  discrepancyNl: r.discrepancy_nl,
  discrepancyFlagged: r.discrepancy_flagged !== 0,
  reviewedAtMs: r.reviewed_at_ms,
  reviewedBy: r.reviewed_by,
  source: r.source,
});
export const alarmView = (a: Row<AlarmsTable>) => ({
  id: a.id,
  patientId: a.patient_id,
  pumpSerial: a.pump_serial,
  code: a.code,
  critical: a.critical !== 0,
  raisedAtMs: a.raised_at_ms,
  resolvedAtMs: a.resolved_at_ms,
  reviewedAtMs: a.reviewed_at_ms,
  reviewedBy: a.reviewed_by,
});
export const clinicalEventView = (e: Row<ClinicalEventsTable>) => ({
  id: e.id,
  patientId: e.patient_id,
  kind: e.kind,
  code: e.code,
  occurredAtMs: e.occurred_at_ms,
  severity: e.severity,
  notes: e.notes,
  recordedBy: e.recorded_by,
});
export const absenceView = (a: Row<AbsencesTable>) => ({ id: a.id, patientId: a.patient_id, kind: a.kind, fromMs: a.from_ms, untilMs: a.until_ms, notes: a.notes });
export const forecastView = (f: Row<ForecastsTable>) => ({
  sessionId: f.session_id,
  computedAtMs: f.computed_at_ms,
  fromMs: f.from_ms,
  lowReservoirAtMs: f.low_reservoir_at_ms,
  emptyAtMs: f.empty_at_ms,
  nextRefillByMs: f.next_refill_by_ms,
  eriAtMs: f.eri_at_ms,
  replaceByMs: f.replace_by_ms,
  method: f.method,
});
