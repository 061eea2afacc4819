/**
 * Versioned migrations, frozen in time: a migration once released is never edited; a change to
 * the schema is a new entry. They are code (not files found at run time) so a bundled build and
 * both databases run exactly the same list. The only dialect difference is the auto-numbered
 * audit id.
 */
import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

export type DialectName = 'sqlite' | 'postgres';

// Migrations see the database untyped: they describe the past, not today's schema.
type AnyDb = Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function initial(dialect: DialectName): Migration {
  return {
    async up(db: AnyDb) {
      const ms = 'bigint';
      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('patient_id', 'text')
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('created_at_ms', ms, (c) => c.notNull())
        .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createTable('sessions')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
        .addColumn('created_at_ms', ms, (c) => c.notNull())
        .addColumn('expires_at_ms', ms, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('patients')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('mrn', 'text', (c) => c.notNull().unique())
        .addColumn('family_name', 'text', (c) => c.notNull())
        .addColumn('given_name', 'text', (c) => c.notNull())
        .addColumn('birth_date', 'text', (c) => c.notNull())
        .addColumn('sex', 'text', (c) => c.notNull())
        .addColumn('indication', 'text', (c) => c.notNull())
        .addColumn('created_at_ms', ms, (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .execute();
      const perPatient = async (table: string, build: (t: ReturnType<AnyDb['schema']['createTable']>) => ReturnType<AnyDb['schema']['createTable']>) => {
        await build(db.schema.createTable(table).addColumn('id', 'text', (c) => c.primaryKey()).addColumn('patient_id', 'text', (c) => c.notNull().references('patients.id'))).execute();
        await db.schema.createIndex(`${table}_patient`).on(table).column('patient_id').execute();
      };
      await perPatient('assessments', (t) =>
        t
          .addColumn('assessed_at_ms', ms, (c) => c.notNull())
          .addColumn('assessed_by', 'text', (c) => c.notNull())
          .addColumn('criteria_json', 'text', (c) => c.notNull())
          .addColumn('eligible', 'integer', (c) => c.notNull())
          .addColumn('reasons_json', 'text', (c) => c.notNull()),
      );
      await perPatient('screening_trials', (t) =>
        t
          .addColumn('drug_id', 'text', (c) => c.notNull())
          .addColumn('started_at_ms', ms, (c) => c.notNull())
          .addColumn('doses_json', 'text', (c) => c.notNull())
          .addColumn('outcome', 'text', (c) => c.notNull())
          .addColumn('recorded_by', 'text', (c) => c.notNull()),
      );
      await perPatient('implants', (t) =>
        t
          .addColumn('pump_serial', 'text', (c) => c.notNull().unique())
          .addColumn('pump_model', 'text', (c) => c.notNull())
          .addColumn('reservoir_capacity_nl', ms, (c) => c.notNull())
          .addColumn('implanted_at_ms', ms, (c) => c.notNull())
          .addColumn('pump_depth_mm', 'integer', (c) => c.notNull())
          .addColumn('catheter_model', 'text', (c) => c.notNull())
          .addColumn('catheter_length_mm', 'integer', (c) => c.notNull())
          .addColumn('catheter_volume_nl', ms, (c) => c.notNull())
          .addColumn('explanted_at_ms', ms)
          .addColumn('created_by', 'text', (c) => c.notNull()),
      );
      await perPatient('prescriptions', (t) =>
        t
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('prescription_json', 'text', (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('created_by', 'text', (c) => c.notNull())
          .addColumn('created_at_ms', ms, (c) => c.notNull())
          .addUniqueConstraint('prescriptions_patient_version', ['patient_id', 'version'] as never),
      );
      await perPatient('programming_sessions', (t) =>
        t
          .addColumn('pump_serial', 'text', (c) => c.notNull())
          .addColumn('interrogated_at_ms', ms, (c) => c.notNull())
          .addColumn('uploaded_at_ms', ms, (c) => c.notNull())
          .addColumn('uploaded_by', 'text', (c) => c.notNull())
          .addColumn('event_next_seq', ms, (c) => c.notNull())
          .addColumn('therapy_next_seq', ms, (c) => c.notNull())
          .addColumn('content_hash', 'text', (c) => c.notNull())
          .addColumn('status_json', 'text', (c) => c.notNull())
          .addColumn('snapshot_json', 'text')
          .addColumn('records_received', 'integer', (c) => c.notNull())
          .addColumn('records_missed', 'integer', (c) => c.notNull())
          // The idempotency key: one pump, one point in its log.
          .addUniqueConstraint('sessions_serial_seq', ['pump_serial', 'event_next_seq', 'therapy_next_seq']),
      );
      await db.schema
        .createTable('log_records')
        .addColumn('pump_serial', 'text', (c) => c.notNull())
        .addColumn('log', 'text', (c) => c.notNull())
        .addColumn('seq', ms, (c) => c.notNull())
        .addColumn('patient_id', 'text', (c) => c.notNull())
        .addColumn('utc_ms', ms, (c) => c.notNull())
        .addColumn('utc_offset_ms', ms, (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('data_json', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('log_records_pk', ['pump_serial', 'log', 'seq'])
        .execute();
      await db.schema.createIndex('log_records_patient_type').on('log_records').columns(['patient_id', 'log', 'type', 'utc_ms']).execute();
      await perPatient('refills', (t) =>
        t
          .addColumn('pump_serial', 'text', (c) => c.notNull())
          .addColumn('refilled_at_ms', ms, (c) => c.notNull())
          .addColumn('drug_id', 'text', (c) => c.notNull())
          .addColumn('concentration_mcg_per_ml', 'integer', (c) => c.notNull())
          .addColumn('expected_residual_nl', ms, (c) => c.notNull())
          .addColumn('withdrawn_nl', ms, (c) => c.notNull())
          .addColumn('filled_nl', ms, (c) => c.notNull())
          .addColumn('discrepancy_nl', ms, (c) => c.notNull())
          .addColumn('discrepancy_flagged', 'integer', (c) => c.notNull())
          .addColumn('reviewed_at_ms', ms)
          .addColumn('reviewed_by', 'text')
          .addColumn('source', 'text', (c) => c.notNull())
          .addColumn('source_key', 'text', (c) => c.unique())
          .addColumn('recorded_by', 'text', (c) => c.notNull()),
      );
      await perPatient('alarms', (t) =>
        t
          .addColumn('pump_serial', 'text', (c) => c.notNull())
          .addColumn('code', 'text', (c) => c.notNull())
          .addColumn('critical', 'integer', (c) => c.notNull())
          .addColumn('raised_at_ms', ms, (c) => c.notNull())
          .addColumn('resolved_at_ms', ms)
          .addColumn('reviewed_at_ms', ms)
          .addColumn('reviewed_by', 'text')
          .addColumn('source_key', 'text', (c) => c.notNull().unique()),
      );
      await db.schema.createIndex('alarms_open').on('alarms').columns(['critical', 'resolved_at_ms', 'reviewed_at_ms']).execute();
      await perPatient('clinical_events', (t) =>
        t
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('code', 'text', (c) => c.notNull())
          .addColumn('occurred_at_ms', ms, (c) => c.notNull())
          .addColumn('severity', 'text', (c) => c.notNull())
          .addColumn('notes', 'text', (c) => c.notNull())
          .addColumn('recorded_by', 'text', (c) => c.notNull()),
      );
      await perPatient('absences', (t) =>
        t
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('from_ms', ms, (c) => c.notNull())
          .addColumn('until_ms', ms, (c) => c.notNull())
          .addColumn('notes', 'text', (c) => c.notNull())
          .addColumn('recorded_by', 'text', (c) => c.notNull()),
      );
      await db.schema
        .createTable('forecasts')
        .addColumn('patient_id', 'text', (c) => c.primaryKey().references('patients.id'))
        .addColumn('session_id', 'text', (c) => c.notNull())
        .addColumn('computed_at_ms', ms, (c) => c.notNull())
        .addColumn('from_ms', ms, (c) => c.notNull())
        .addColumn('low_reservoir_at_ms', ms)
        .addColumn('empty_at_ms', ms)
        .addColumn('next_refill_by_ms', ms)
        .addColumn('eri_at_ms', ms, (c) => c.notNull())
        .addColumn('replace_by_ms', ms, (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('forecasts_refill').on('forecasts').column('next_refill_by_ms').execute();
      await db.schema.createIndex('forecasts_eri').on('forecasts').column('eri_at_ms').execute();
      await db.schema
        .createTable('audit_log')
        .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('at_ms', ms, (c) => c.notNull())
        .addColumn('user_id', 'text')
        .addColumn('username', 'text')
        .addColumn('role', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('resource', 'text', (c) => c.notNull())
        .addColumn('resource_id', 'text')
        .addColumn('patient_id', 'text')
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('ip', 'text')
        .execute();
      await db.schema.createIndex('audit_patient').on('audit_log').columns(['patient_id', 'at_ms']).execute();
      void sql;
    },
  };
}

/**
 * Indexes that let every worklist category read its first page in index order (no sort of every
 * matching patient): refills by (next refill, patient), replacements by (replace-by, patient) with
 * the ERI date in the index, open critical alarms and unreviewed discrepancies by time, absences by end.
 */
function worklistIndexes(): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema.createIndex('forecasts_refill_order').on('forecasts').columns(['next_refill_by_ms', 'patient_id']).execute();
      await db.schema.createIndex('forecasts_replace_order').on('forecasts').columns(['replace_by_ms', 'patient_id', 'eri_at_ms']).execute();
      await db.schema.createIndex('alarms_open_raised').on('alarms').columns(['critical', 'resolved_at_ms', 'reviewed_at_ms', 'raised_at_ms']).execute();
      await db.schema.createIndex('refills_unreviewed').on('refills').columns(['discrepancy_flagged', 'reviewed_at_ms', 'refilled_at_ms']).execute();
      await db.schema.createIndex('absences_until').on('absences').column('until_ms').execute();
    },
  };
}

/**
 * What the patient's app sends: usage reports the patient chose to share (the id is the app's own,
 * so a report re-sent from the offline queue is stored once). Travel and hospital stays from the
 * app go to the existing absences table under the app's id, for the same reason.
 */
function patientAppReports(): Migration {
  return {
    async up(db: AnyDb) {
      const ms = 'bigint';
      await db.schema
        .createTable('usage_reports')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('patient_id', 'text', (c) => c.notNull().references('patients.id'))
        .addColumn('pump_serial', 'text', (c) => c.notNull())
        .addColumn('from_ms', ms, (c) => c.notNull())
        .addColumn('until_ms', ms, (c) => c.notNull())
        .addColumn('generated_at_ms', ms, (c) => c.notNull())
        .addColumn('requested', 'integer', (c) => c.notNull())
        .addColumn('delivered', 'integer', (c) => c.notNull())
        .addColumn('denied', 'integer', (c) => c.notNull())
        .addColumn('report_json', 'text', (c) => c.notNull())
        .addColumn('received_at_ms', ms, (c) => c.notNull())
        .addColumn('submitted_by', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('usage_reports_patient').on('usage_reports').columns(['patient_id', 'generated_at_ms']).execute();
    },
  };
}

/**
 * The programmer's session report (a PDF it writes itself) kept with the programming session it
 * belongs to: one report per session, stored as base64 text so both databases store it the same way.
 */
function programmerSessionReports(): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('session_reports')
        .addColumn('session_id', 'text', (c) => c.primaryKey().references('programming_sessions.id'))
        .addColumn('patient_id', 'text', (c) => c.notNull().references('patients.id'))
        .addColumn('pdf_base64', 'text', (c) => c.notNull())
        .addColumn('size_bytes', 'integer', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('uploaded_at_ms', 'bigint', (c) => c.notNull())
        .addColumn('uploaded_by', 'text', (c) => c.notNull())
        .execute();
    },
  };
}

/**
 * Failed sign-ins in the database, so a restart does not reset the count and several servers on
 * one PostgreSQL database count together. Looked up by key within the window; pruned by time.
 */
function loginFailures(): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('login_failures')
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('at_ms', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('login_failures_key').on('login_failures').columns(['key', 'at_ms']).execute();
      await db.schema.createIndex('login_failures_at').on('login_failures').column('at_ms').execute();
    },
  };
}

/**
 * The forecast keeps how much earlier ERI moved since the previous session, so the worklist can
 * show a battery draining faster than its model long before ERI itself (indexed for that query);
 * and the worklist's critical alarms include ended ones, so they get an index without the end.
 */
function forecastEriShift(): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema.alterTable('forecasts').addColumn('eri_shift_ms', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.alterTable('forecasts').addColumn('eri_shift_reviewed_at_ms', 'bigint').execute();
      await db.schema.alterTable('forecasts').addColumn('eri_shift_reviewed_by', 'text').execute();
      await db.schema.createIndex('forecasts_eri_shift').on('forecasts').columns(['eri_shift_ms', 'eri_shift_reviewed_at_ms']).execute();
      // The worklist lists every unreviewed critical alarm, ended or not, oldest first.
      await db.schema.createIndex('alarms_critical_unreviewed').on('alarms').columns(['critical', 'reviewed_at_ms', 'raised_at_ms']).execute();
    },
  };
}

/** Every migration, in order. Names sort in the order they run. */
export function migrationProvider(dialect: DialectName): MigrationProvider {
  return {
    async getMigrations() {
      return { '2026_01_001_initial': initial(dialect), '2026_11_002_worklist_indexes': worklistIndexes(), '2026_11_003_patient_app_reports': patientAppReports(), '2026_11_004_programmer_session_reports': programmerSessionReports(), '2026_11_005_login_failures': loginFailures(), '2026_11_006_forecast_eri_shift': forecastEriShift() };
    },
  };
}
