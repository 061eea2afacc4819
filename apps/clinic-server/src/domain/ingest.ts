/**
 * Ingesting a programming-session upload, atomically: the log records (deduplicated by pump
 * serial + log + sequence), the refills and alarms they describe, the session itself (unique by
 * pump serial + the pump's next log sequences) and the forecast. A process killed anywhere leaves
 * either all of it or none of it; a retry of the same upload then either adds it all or answers
 * "already stored" — never a duplicate, never a loss.
 *
 * The rows are derived once, here in TypeScript; only the way they are written differs. SQLite
 * (in-process, no round trips) runs a short transaction of plain statements. PostgreSQL runs ONE
 * statement of writable CTEs, which is atomic on its own and finds the implant itself: no look-up
 * first, no BEGIN, no COMMIT, one round trip whatever the upload holds — the wait that bounded the
 * ingest rate.
 */
import { createHash } from 'node:crypto';
import { PostgresAdapter, sql, type Kysely, type Transaction } from 'kysely';
import { CRITICAL_ALARMS, PUMP_MODELS, type AlarmCode, type PumpSnapshot } from '@thecal/pump-core';
import type { Database } from '../db/schema.ts';
import { PREPARED } from '../db/connect.ts';
import { newId } from '../auth/sessions.ts';
import { conflict, HttpError } from '../http/errors.ts';
import { forecastFromSnapshot, forecastFromStatus, type Forecast } from './forecast.ts';
import type { UploadInputT, UploadLogRecord } from './upload-schema.ts';

export interface IngestResult {
  sessionId: string;
  patientId: string;
  duplicate: boolean;
  recordsReceived: number;
  recordsMissed: number;
  forecast: Forecast | null;
}

/** Rows per INSERT of derived alarms on SQLite: under its 32 766 bound parameters. */
const INSERT_CHUNK = 2_000;

export function uploadHash(u: UploadInputT): string {
  return createHash('sha256').update(JSON.stringify(u)).digest('hex');
}

export async function ingestUpload(db: Kysely<Database>, u: UploadInputT, uploadedBy: string, nowMs: number): Promise<IngestResult> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) return ingestInOneStatement(db, u, uploadedBy, nowMs);
  const serial = u.status.serial;
  const key = { serial, eventNextSeq: u.status.log.eventNextSeq, therapyNextSeq: u.status.log.therapyNextSeq };
  const [implant, existing] = await Promise.all([currentImplant(db, serial), findSession(db, key)]);
  checkImplant(u, implant);
  const forecast = forecastOf(u);
  const hash = uploadHash(u);
  if (existing !== undefined) return answerRetry(existing, hash, implant.patient_id);
  const rows = deriveRows(u, implant.patient_id, uploadedBy, nowMs, hash, forecast);
  try {
    const missed = await db.transaction().execute((trx) => storeInTransaction(trx, rows));
    return { sessionId: rows.session.id, patientId: implant.patient_id, duplicate: false, recordsReceived: rows.session.records_received, recordsMissed: missed, forecast };
  } catch (e) {
    // Two copies of one upload raced: the loser finds the winner's session.
    const raced = await findSession(db, key);
    if (raced !== undefined) return answerRetry(raced, hash, implant.patient_id);
    throw e;
  }
}

/**
 * PostgreSQL: no look-up first. The statement finds the implant itself and writes nothing without
 * one; a retry or a conflicting upload fails it on the session's unique key (so it writes nothing
 * either) and is answered from the stored session. The usual upload is one round trip.
 */
async function ingestInOneStatement(db: Kysely<Database>, u: UploadInputT, uploadedBy: string, nowMs: number, attempt = 0): Promise<IngestResult> {
  const serial = u.status.serial;
  const key = { serial, eventNextSeq: u.status.log.eventNextSeq, therapyNextSeq: u.status.log.therapyNextSeq };
  const forecast = forecastOf(u);
  const hash = uploadHash(u);
  // The statement puts the implant's patient in every row; none is known here.
  const rows = deriveRows(u, '', uploadedBy, nowMs, hash, forecast);
  let stored: { patientId: string; missed: number } | null;
  try {
    stored = await storeInOneStatement(db, rows, u.status.model);
  } catch (e) {
    const existing = await findSession(db, key);
    if (existing !== undefined) return answerRetry(existing, hash, existing.patient_id);
    throw e;
  }
  if (stored === null) {
    // Nothing written: say why, from the implant record as it is now.
    const implant = await currentImplant(db, serial);
    checkImplant(u, implant);
    // The implant was recorded between the statement and this look-up: once more.
    if (attempt > 0) throw new HttpError(409, 'unknown-pump', `the implant of pump ${serial} changed during the upload: send it again`);
    return ingestInOneStatement(db, u, uploadedBy, nowMs, attempt + 1);
  }
  return { sessionId: rows.session.id, patientId: stored.patientId, duplicate: false, recordsReceived: rows.session.records_received, recordsMissed: stored.missed, forecast };
}

function currentImplant(db: Kysely<Database>, serial: string) {
  return db.selectFrom('implants').select(['patient_id', 'pump_model']).where('pump_serial', '=', serial).where('explanted_at_ms', 'is', null).executeTakeFirst();
}

function checkImplant(u: UploadInputT, implant: { patient_id: string; pump_model: string } | undefined): asserts implant is { patient_id: string; pump_model: string } {
  const serial = u.status.serial;
  if (implant === undefined) throw new HttpError(409, 'unknown-pump', `no implanted pump with serial ${serial}: record the implant first`, [{ path: 'body.status.serial', message: 'no implant with this serial' }]);
  if (implant.pump_model !== u.status.model) throw new HttpError(409, 'model-mismatch', `pump ${serial} is recorded as ${implant.pump_model}, the upload says ${u.status.model}`, [{ path: 'body.status.model', message: 'differs from the implant record' }]);
}

/** The forecast, before any write: it is pure computation and may take milliseconds. */
function forecastOf(u: UploadInputT): Forecast {
  try {
    return u.snapshot !== null ? forecastFromSnapshot(u.snapshot as unknown as PumpSnapshot) : forecastFromStatus(u.status);
  } catch (e) {
    throw new HttpError(400, 'validation-failed', `body.snapshot: the pump core cannot restore it: ${(e as Error).message}`, [{ path: 'body.snapshot', message: (e as Error).message }]);
  }
}

async function findSession(db: Kysely<Database>, k: { serial: string; eventNextSeq: number; therapyNextSeq: number }) {
  return db
    .selectFrom('programming_sessions')
    .select(['id', 'patient_id', 'content_hash', 'records_received', 'records_missed'])
    .where('pump_serial', '=', k.serial)
    .where('event_next_seq', '=', k.eventNextSeq)
    .where('therapy_next_seq', '=', k.therapyNextSeq)
    .executeTakeFirst();
}

function answerRetry(s: { id: string; content_hash: string; records_received: number; records_missed: number }, hash: string, patientId: string): IngestResult {
  if (s.content_hash !== hash) throw conflict('a different upload for this pump at the same log position is already stored; an upload is identified by pump serial and log sequence');
  return { sessionId: s.id, patientId, duplicate: true, recordsReceived: s.records_received, recordsMissed: s.records_missed, forecast: null };
}

/** Everything one upload writes, derived before the first write. */
interface UploadRows {
  serial: string;
  patientId: string;
  records: { log: 'event' | 'therapy'; seq: number; utc_ms: number; utc_offset_ms: number; type: string; data: unknown }[];
  /** Each page's first sequence number, for the count of records the pump overwrote unread. */
  firstSeq: { event: number | null; therapy: number | null };
  refills: Database['refills'][];
  raised: Database['alarms'][];
  /** Open alarms that have ended by this interrogation: every code not in `activeCodes`. */
  ending: { activeCodes: string[]; resolvedAt: { code: string; at_ms: number }[]; pumpUtcMs: number };
  /** records_missed is filled in by the store, which alone knows what was held before. */
  session: Omit<Database['programming_sessions'], 'records_missed'>;
  forecast: Database['forecasts'];
}

function deriveRows(u: UploadInputT, patientId: string, uploadedBy: string, nowMs: number, hash: string, f: Forecast): UploadRows {
  const serial = u.status.serial;
  const records: UploadRows['records'] = [];
  for (const [log, page] of [['event', u.eventLog], ['therapy', u.therapyLog]] as const) {
    for (const r of page) records.push({ log, seq: r.seq, utc_ms: r.utcMs, utc_offset_ms: r.utcOffsetMs, type: r.type, data: r.data });
  }
  const sessionId = newId();
  return {
    serial,
    patientId,
    records,
    firstSeq: { event: u.eventLog[0]?.seq ?? null, therapy: u.therapyLog[0]?.seq ?? null },
    refills: deriveRefills(serial, patientId, u.status.model, u.eventLog, uploadedBy),
    ...deriveAlarms(serial, patientId, u),
    session: {
      id: sessionId,
      patient_id: patientId,
      pump_serial: serial,
      interrogated_at_ms: u.status.nowMs,
      uploaded_at_ms: nowMs,
      uploaded_by: uploadedBy,
      event_next_seq: u.status.log.eventNextSeq,
      therapy_next_seq: u.status.log.therapyNextSeq,
      content_hash: hash,
      status_json: JSON.stringify(u.status),
      snapshot_json: u.snapshot === null ? null : JSON.stringify(u.snapshot),
      records_received: u.eventLog.length + u.therapyLog.length,
    },
    forecast: forecastRow(patientId, sessionId, nowMs, f),
  };
}

function deriveRefills(serial: string, patientId: string, model: keyof typeof PUMP_MODELS, events: UploadLogRecord[], by: string): Database['refills'][] {
  const threshold = PUMP_MODELS[model].refillDiscrepancyNl;
  return events
    .filter((r) => r.type === 'refill')
    .map((r) => {
      const d = r.data;
      const expected = num(d['expectedNl']);
      const withdrawn = num(d['withdrawnNl']);
      return {
        id: newId(),
        patient_id: patientId,
        pump_serial: serial,
        refilled_at_ms: r.utcMs,
        drug_id: String(d['drugId'] ?? 'unknown'),
        concentration_mcg_per_ml: num(d['concentrationMcgPerMl']),
        expected_residual_nl: expected,
        withdrawn_nl: withdrawn,
        filled_nl: num(d['filledNl']),
        discrepancy_nl: withdrawn - expected,
        discrepancy_flagged: Math.abs(withdrawn - expected) > threshold ? 1 : 0,
        reviewed_at_ms: null,
        reviewed_by: null,
        source: 'pump-log' as const,
        source_key: `${serial}:event:${r.seq}`,
        recorded_by: by,
      };
    });
}

/**
 * The alarms the log raised, and when each open alarm ended. An alarm the pump no longer shows at
 * interrogation has ended when the log says, or at this interrogation when the log does not say
 * (or says a time before it was raised). The rule is applied to the new rows here, and to the rows
 * already stored by the store's one UPDATE, so it does not matter whether the store can see its
 * own inserts (a PostgreSQL statement cannot).
 */
function deriveAlarms(serial: string, patientId: string, u: UploadInputT): Pick<UploadRows, 'raised' | 'ending'> {
  const activeCodes = new Set(u.status.alarms.map((a) => a.code));
  const resolvedAt = new Map<string, number>();
  for (const r of u.eventLog) if (r.type === 'alarm-resolved' && typeof r.data['code'] === 'string') resolvedAt.set(r.data['code'], r.utcMs);
  const pumpUtcMs = u.status.pumpUtcMs;
  const endOf = (code: string, raisedAtMs: number): number | null => {
    if (activeCodes.has(code as AlarmCode)) return null;
    const at = resolvedAt.get(code);
    return at !== undefined && raisedAtMs <= at ? at : pumpUtcMs;
  };
  const raised = u.eventLog
    .filter((r) => r.type === 'alarm-raised' && typeof r.data['code'] === 'string')
    .map((r) => {
      const code = r.data['code'] as string;
      return {
        id: newId(),
        patient_id: patientId,
        pump_serial: serial,
        code,
        critical: CRITICAL_ALARMS.has(code as AlarmCode) ? 1 : 0,
        raised_at_ms: r.utcMs,
        resolved_at_ms: endOf(code, r.utcMs),
        reviewed_at_ms: null,
        reviewed_by: null,
        source_key: `${serial}:event:${r.seq}`,
      };
    });
  return { raised, ending: { activeCodes: [...activeCodes], resolvedAt: [...resolvedAt].map(([code, at_ms]) => ({ code, at_ms })), pumpUtcMs } };
}

/** Records the pump overwrote before anyone read them: the gap between what we held and each page's first record. */
function missedBefore(held: readonly { log: string; maxSeq: unknown }[], firstSeq: UploadRows['firstSeq']): number {
  const heldOf = (log: string) => Number(held.find((h) => h.log === log)?.maxSeq ?? 0);
  const gap = (first: number | null, log: string) => (first === null ? 0 : Math.max(0, first - heldOf(log) - 1));
  return gap(firstSeq.event, 'event') + gap(firstSeq.therapy, 'therapy');
}

/**
 * PostgreSQL: the whole upload as one statement. It finds the pump's current implant of the
 * uploaded model itself (imp) and, without one, writes nothing and returns null. Every part of a
 * statement sees the snapshot from before it, so "held" is what was stored before this upload and
 * the UPDATE touches only alarms stored by earlier uploads (the new ones carry their end already). The rows travel as JSON text
 * parameters that PostgreSQL unpacks in C; data_json keeps each record's own text because the json
 * type preserves it. The session's foreign keys are checked at the end of the statement, when all
 * rows exist; a raced duplicate fails the whole statement on the session's unique key.
 */
async function storeInOneStatement(db: Kysely<Database>, r: UploadRows, model: string): Promise<{ patientId: string; missed: number } | null> {
  const s = r.session;
  const f = r.forecast;
  const firstEvent = r.firstSeq.event;
  const firstTherapy = r.firstSeq.therapy;
  const result = await sql<{ missed: number | string; patient_id: string | null }>`${sql.raw(PREPARED)} with imp as (select patient_id from implants where pump_serial = ${r.serial} and explanted_at_ms is null and pump_model = ${model}),
    held as (select log, max(seq) as max_seq from log_records where pump_serial = ${r.serial} group by log),
    missed as (select
      (case when cast(${firstEvent} as bigint) is null then 0 else greatest(0, cast(${firstEvent} as bigint) - coalesce((select max_seq from held where log = 'event'), 0) - 1) end)
      + (case when cast(${firstTherapy} as bigint) is null then 0 else greatest(0, cast(${firstTherapy} as bigint) - coalesce((select max_seq from held where log = 'therapy'), 0) - 1) end) as missed),
    records as (insert into log_records (pump_serial, log, seq, patient_id, utc_ms, utc_offset_ms, type, data_json)
      select ${r.serial}, x.log, x.seq, imp.patient_id, x.utc_ms, x.utc_offset_ms, x.type, x.data::text
      from json_to_recordset(${JSON.stringify(r.records)}::json) as x(log text, seq bigint, utc_ms bigint, utc_offset_ms bigint, type text, data json) cross join imp
      on conflict (pump_serial, log, seq) do nothing),
    refills as (insert into refills (id, patient_id, pump_serial, refilled_at_ms, drug_id, concentration_mcg_per_ml, expected_residual_nl, withdrawn_nl, filled_nl, discrepancy_nl, discrepancy_flagged, reviewed_at_ms, reviewed_by, source, source_key, recorded_by)
      select x.id, imp.patient_id, x.pump_serial, x.refilled_at_ms, x.drug_id, x.concentration_mcg_per_ml, x.expected_residual_nl, x.withdrawn_nl, x.filled_nl, x.discrepancy_nl, x.discrepancy_flagged, x.reviewed_at_ms, x.reviewed_by, x.source, x.source_key, x.recorded_by
      from json_to_recordset(${JSON.stringify(r.refills)}::json) as x(id text, patient_id text, pump_serial text, refilled_at_ms bigint, drug_id text, concentration_mcg_per_ml integer, expected_residual_nl bigint, withdrawn_nl bigint, filled_nl bigint, discrepancy_nl bigint, discrepancy_flagged integer, reviewed_at_ms bigint, reviewed_by text, source text, source_key text, recorded_by text) cross join imp
      on conflict (source_key) do nothing),
    raised as (insert into alarms (id, patient_id, pump_serial, code, critical, raised_at_ms, resolved_at_ms, reviewed_at_ms, reviewed_by, source_key)
      select x.id, imp.patient_id, x.pump_serial, x.code, x.critical, x.raised_at_ms, x.resolved_at_ms, x.reviewed_at_ms, x.reviewed_by, x.source_key
      from json_to_recordset(${JSON.stringify(r.raised)}::json) as x(id text, patient_id text, pump_serial text, code text, critical integer, raised_at_ms bigint, resolved_at_ms bigint, reviewed_at_ms bigint, reviewed_by text, source_key text) cross join imp
      on conflict (source_key) do nothing),
    ended as (update alarms a set resolved_at_ms = coalesce(
        (select e.at_ms from json_to_recordset(${JSON.stringify(r.ending.resolvedAt)}::json) as e(code text, at_ms bigint) where e.code = a.code and a.raised_at_ms <= e.at_ms),
        cast(${r.ending.pumpUtcMs} as bigint))
      where a.pump_serial = ${r.serial} and a.resolved_at_ms is null and exists (select 1 from imp)
        and a.code not in (select value from json_array_elements_text(${JSON.stringify(r.ending.activeCodes)}::json))),
    session as (insert into programming_sessions (id, patient_id, pump_serial, interrogated_at_ms, uploaded_at_ms, uploaded_by, event_next_seq, therapy_next_seq, content_hash, status_json, snapshot_json, records_received, records_missed)
      select ${s.id}, imp.patient_id, ${s.pump_serial}, cast(${s.interrogated_at_ms} as bigint), cast(${s.uploaded_at_ms} as bigint), ${s.uploaded_by}, cast(${s.event_next_seq} as bigint), cast(${s.therapy_next_seq} as bigint), ${s.content_hash}, ${s.status_json}, ${s.snapshot_json}, cast(${s.records_received} as integer), missed.missed
      from missed cross join imp),
    forecast as (insert into forecasts (patient_id, session_id, computed_at_ms, from_ms, low_reservoir_at_ms, empty_at_ms, next_refill_by_ms, eri_at_ms, replace_by_ms, method)
      select imp.patient_id, ${f.session_id}, cast(${f.computed_at_ms} as bigint), cast(${f.from_ms} as bigint), cast(${f.low_reservoir_at_ms} as bigint), cast(${f.empty_at_ms} as bigint), cast(${f.next_refill_by_ms} as bigint), cast(${f.eri_at_ms} as bigint), cast(${f.replace_by_ms} as bigint), ${f.method} from imp
      on conflict (patient_id) do update set ${sql.join(Object.entries(ERI_SHIFT_SET).map(([column, value]) => sql`${sql.ref(column)} = ${value}`))},
        session_id = excluded.session_id, computed_at_ms = excluded.computed_at_ms, from_ms = excluded.from_ms,
        low_reservoir_at_ms = excluded.low_reservoir_at_ms, empty_at_ms = excluded.empty_at_ms, next_refill_by_ms = excluded.next_refill_by_ms,
        eri_at_ms = excluded.eri_at_ms, replace_by_ms = excluded.replace_by_ms, method = excluded.method
      where forecasts.from_ms <= excluded.from_ms)
    select missed.missed, imp.patient_id from missed cross join imp`.execute(db);
  const row = result.rows[0];
  return row === undefined || row.patient_id === null ? null : { patientId: row.patient_id, missed: Number(row.missed) };
}

/** SQLite: plain statements in one transaction (in-process: a statement costs no round trip). */
async function storeInTransaction(trx: Transaction<Database>, r: UploadRows): Promise<number> {
  const held = await trx.selectFrom('log_records').select(['log', (eb) => eb.fn.max('seq').as('maxSeq')]).where('pump_serial', '=', r.serial).groupBy('log').execute();
  const missed = missedBefore(held, r.firstSeq);
  if (r.records.length > 0) {
    const rows = r.records.map((x) => [x.log, x.seq, x.utc_ms, x.utc_offset_ms, x.type, JSON.stringify(x.data)]);
    // "where true": SQLite needs it to tell the upsert clause from a join constraint after a SELECT.
    await sql`insert into log_records (pump_serial, log, seq, patient_id, utc_ms, utc_offset_ms, type, data_json)
      select ${r.serial}, json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), ${r.patientId}, json_extract(j.value, '$[2]'), json_extract(j.value, '$[3]'), json_extract(j.value, '$[4]'), json_extract(j.value, '$[5]')
      from json_each(${JSON.stringify(rows)}) as j where true
      on conflict (pump_serial, log, seq) do nothing`.execute(trx);
  }
  if (r.refills.length > 0) await trx.insertInto('refills').values(r.refills).onConflict((oc) => oc.column('source_key').doNothing()).execute();
  // Earlier uploads' alarms end first, so the UPDATE cannot touch this upload's rows (which carry their end already).
  await endStoredAlarms(trx, r);
  for (let i = 0; i < r.raised.length; i += INSERT_CHUNK) {
    await trx.insertInto('alarms').values(r.raised.slice(i, i + INSERT_CHUNK)).onConflict((oc) => oc.column('source_key').doNothing()).execute();
  }
  await trx.insertInto('programming_sessions').values({ ...r.session, records_missed: missed }).execute();
  await upsertForecastRow(trx, r.forecast);
  return missed;
}

async function endStoredAlarms(trx: Transaction<Database>, r: UploadRows): Promise<void> {
  const { activeCodes, resolvedAt, pumpUtcMs } = r.ending;
  const endedAt = resolvedAt.map(({ code, at_ms }) => sql`when code = ${code} and raised_at_ms <= ${at_ms} then ${at_ms}`);
  let update = trx
    .updateTable('alarms')
    .set({ resolved_at_ms: endedAt.length === 0 ? pumpUtcMs : sql<number>`case ${sql.join(endedAt, sql` `)} else ${pumpUtcMs} end` })
    .where('pump_serial', '=', r.serial)
    .where('resolved_at_ms', 'is', null);
  if (activeCodes.length > 0) update = update.where('code', 'not in', activeCodes);
  await update.execute();
}

export function forecastRow(patientId: string, sessionId: string, nowMs: number, f: Forecast): Database['forecasts'] {
  return {
    patient_id: patientId,
    session_id: sessionId,
    computed_at_ms: nowMs,
    from_ms: f.fromMs,
    low_reservoir_at_ms: f.lowReservoirAtMs,
    empty_at_ms: f.emptyAtMs,
    next_refill_by_ms: f.nextRefillByMs,
    eri_at_ms: f.eriAtMs,
    replace_by_ms: f.replaceByMs,
    method: f.method,
    eri_shift_ms: 0,
    eri_shift_reviewed_at_ms: null,
    eri_shift_reviewed_by: null,
  };
}

/**
 * On a forecast from a new session: how much earlier ERI is than the stored forecast said, and a
 * fresh review; on a recomputation of the same session, both kept. Every right-hand side reads the
 * row as it was (both databases evaluate SET against the old row).
 */
const ERI_SHIFT_SET = {
  eri_shift_ms: sql<number>`case when forecasts.session_id = excluded.session_id then forecasts.eri_shift_ms when forecasts.eri_at_ms > excluded.eri_at_ms then forecasts.eri_at_ms - excluded.eri_at_ms else 0 end`,
  eri_shift_reviewed_at_ms: sql<number | null>`case when forecasts.session_id = excluded.session_id then forecasts.eri_shift_reviewed_at_ms else null end`,
  eri_shift_reviewed_by: sql<string | null>`case when forecasts.session_id = excluded.session_id then forecasts.eri_shift_reviewed_by else null end`,
};

/** Stores a forecast unless a newer one is there: a late upload of an older interrogation must not replace it. */
export async function upsertForecast(db: Kysely<Database> | Transaction<Database>, patientId: string, sessionId: string, nowMs: number, f: Forecast): Promise<void> {
  await upsertForecastRow(db, forecastRow(patientId, sessionId, nowMs, f));
}

async function upsertForecastRow(db: Kysely<Database> | Transaction<Database>, row: Database['forecasts']): Promise<void> {
  const { patient_id: _key, eri_shift_ms: _s, eri_shift_reviewed_at_ms: _r, eri_shift_reviewed_by: _b, ...update } = row;
  void [_key, _s, _r, _b];
  await db
    .insertInto('forecasts')
    .values(row)
    .onConflict((oc) => oc.column('patient_id').doUpdateSet({ ...ERI_SHIFT_SET, ...update }).where('forecasts.from_ms', '<=', sql<number>`excluded.from_ms`))
    .execute();
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.round(v) : 0;
}
