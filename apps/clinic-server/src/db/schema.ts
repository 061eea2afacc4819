/**
 * The database's tables as Kysely types. One shape for SQLite and PostgreSQL: times are integer
 * milliseconds since the epoch (`...AtMs`, bigint in PostgreSQL, read back as numbers), flags are
 * integers 0/1, structured values are JSON text, ids are application-made UUID strings, so the
 * same queries run unchanged on both.
 */
import type { Generated } from 'kysely';

export type Role = 'admin' | 'clinician' | 'nurse' | 'patient';
export const ROLES: readonly Role[] = ['admin', 'clinician', 'nurse', 'patient'];

export interface UsersTable {
  id: string;
  username: string;
  password_hash: string;
  role: Role;
  /** Set for the patient role only: the one record that user may see. */
  patient_id: string | null;
  display_name: string;
  created_at_ms: number;
  disabled: number;
}

export interface SessionsTable {
  /** SHA-256 of the bearer token: a copy of the database gives nobody a usable token. */
  token_hash: string;
  user_id: string;
  created_at_ms: number;
  expires_at_ms: number;
}

export interface PatientsTable {
  id: string;
  mrn: string;
  family_name: string;
  given_name: string;
  birth_date: string;
  sex: 'female' | 'male' | 'other' | 'unknown';
  indication: string;
  created_at_ms: number;
  created_by: string;
}

export interface AssessmentsTable {
  id: string;
  patient_id: string;
  assessed_at_ms: number;
  assessed_by: string;
  criteria_json: string;
  eligible: number;
  reasons_json: string;
}

export interface ScreeningTrialsTable {
  id: string;
  patient_id: string;
  drug_id: string;
  started_at_ms: number;
  doses_json: string;
  outcome: string;
  recorded_by: string;
}

export interface ImplantsTable {
  id: string;
  patient_id: string;
  pump_serial: string;
  pump_model: string;
  reservoir_capacity_nl: number;
  implanted_at_ms: number;
  pump_depth_mm: number;
  catheter_model: string;
  catheter_length_mm: number;
  catheter_volume_nl: number;
  explanted_at_ms: number | null;
  created_by: string;
}

export interface PrescriptionsTable {
  id: string;
  patient_id: string;
  version: number;
  prescription_json: string;
  reason: string;
  created_by: string;
  created_at_ms: number;
}

export interface ProgrammingSessionsTable {
  id: string;
  patient_id: string;
  pump_serial: string;
  /** The pump's own clock at interrogation (status.nowMs). */
  interrogated_at_ms: number;
  uploaded_at_ms: number;
  uploaded_by: string;
  event_next_seq: number;
  therapy_next_seq: number;
  /** SHA-256 of the canonical upload: a retry must carry the same content. */
  content_hash: string;
  status_json: string;
  snapshot_json: string | null;
  records_received: number;
  /** Records the pump had already overwritten before this upload could read them. */
  records_missed: number;
}

export interface LogRecordsTable {
  pump_serial: string;
  log: 'event' | 'therapy';
  seq: number;
  patient_id: string;
  utc_ms: number;
  utc_offset_ms: number;
  type: string;
  data_json: string;
}

export interface RefillsTable {
  id: string;
  patient_id: string;
  pump_serial: string;
  refilled_at_ms: number;
  drug_id: string;
  concentration_mcg_per_ml: number;
  expected_residual_nl: number;
  withdrawn_nl: number;
  filled_nl: number;
  discrepancy_nl: number;
  discrepancy_flagged: number;
  reviewed_at_ms: number | null;
  reviewed_by: string | null;
  source: 'clinic' | 'pump-log';
  /** For refills read from a pump log: serial + sequence, so a re-upload never adds it twice. */
  source_key: string | null;
  recorded_by: string;
}

export interface AlarmsTable {
  id: string;
  patient_id: string;
  pump_serial: string;
  code: string;
  critical: number;
  raised_at_ms: number;
  resolved_at_ms: number | null;
  reviewed_at_ms: number | null;
  reviewed_by: string | null;
  /** serial + event sequence of the raise. */
  source_key: string;
}

export interface ClinicalEventsTable {
  id: string;
  patient_id: string;
  kind: 'complication' | 'adverse-event' | 'procedure';
  code: string;
  occurred_at_ms: number;
  severity: 'mild' | 'moderate' | 'severe' | 'life-threatening' | 'fatal';
  notes: string;
  recorded_by: string;
}

export interface AbsencesTable {
  id: string;
  patient_id: string;
  kind: 'travel' | 'hospital-stay';
  from_ms: number;
  until_ms: number;
  notes: string;
  recorded_by: string;
}

export interface ForecastsTable {
  patient_id: string;
  session_id: string;
  computed_at_ms: number;
  /** The instant the forecast runs from: the pump's clock at the interrogation. */
  from_ms: number;
  low_reservoir_at_ms: number | null;
  empty_at_ms: number | null;
  next_refill_by_ms: number | null;
  eri_at_ms: number;
  replace_by_ms: number;
  method: 'snapshot' | 'rebuilt';
  /**
   * How much earlier ERI is forecast than at the previous session (ms, 0 when later or the first),
   * migration 6: a battery that drains faster than its model (leakage) shows here months before ERI.
   */
  eri_shift_ms: number;
  eri_shift_reviewed_at_ms: number | null;
  eri_shift_reviewed_by: string | null;
}

/** A usage report the patient shared from the app; `report_json` holds the per-day and per-hour counts. */
export interface UsageReportsTable {
  id: string;
  patient_id: string;
  pump_serial: string;
  from_ms: number;
  until_ms: number;
  generated_at_ms: number;
  requested: number;
  delivered: number;
  denied: number;
  report_json: string;
  received_at_ms: number;
  submitted_by: string;
}

export interface AuditLogTable {
  id: Generated<number>;
  at_ms: number;
  user_id: string | null;
  username: string | null;
  role: string | null;
  action: string;
  resource: string;
  resource_id: string | null;
  patient_id: string | null;
  outcome: string;
  ip: string | null;
}

/** The programmer's own PDF report of a programming session (migration 4). */
export interface SessionReportsTable {
  session_id: string;
  patient_id: string;
  pdf_base64: string;
  size_bytes: number;
  sha256: string;
  uploaded_at_ms: number;
  uploaded_by: string;
}

/** A failed sign-in, counted by user name and by address (migration 5); deleted once out of the window. */
export interface LoginFailuresTable {
  /** `user:<lower-case name>` or `ip:<address>`. */
  key: string;
  at_ms: number;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  patients: PatientsTable;
  assessments: AssessmentsTable;
  screening_trials: ScreeningTrialsTable;
  implants: ImplantsTable;
  prescriptions: PrescriptionsTable;
  programming_sessions: ProgrammingSessionsTable;
  log_records: LogRecordsTable;
  refills: RefillsTable;
  alarms: AlarmsTable;
  clinical_events: ClinicalEventsTable;
  absences: AbsencesTable;
  forecasts: ForecastsTable;
  usage_reports: UsageReportsTable;
  session_reports: SessionReportsTable;
  login_failures: LoginFailuresTable;
  audit_log: AuditLogTable;
}
