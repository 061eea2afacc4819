/**
 * Ingesting a programming-session upload, in one transaction: the log records (deduplicated by
 * pump serial + log + sequence), the refills and alarms they describe, the session itself
 * (unique by pump serial + the pump's next log sequences) and the forecast. A process killed
 * anywhere leaves either all of it or none of it; a retry of the same upload then either adds it
 * all or answers "already stored" — never a duplicate, never a loss.
 */
import { createHash } from 'node:crypto';
import { PostgresAdapter, sql, type Kysely, type Transaction } from 'kysely';
import { CRITICAL_ALARMS, PUMP_MODELS, type AlarmCode, type PumpSnapshot } from '@thecal/pump-core';
import type { Database } from '../db/schema.ts';
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

/** Rows per INSERT of derived alarms: under SQLite's 32 766 and PostgreSQL's 65 535 bound parameters. */
const INSERT_CHUNK = 2_000;

export function uploadHash(u: UploadInputT): string {
  return createHash('sha256').update(JSON.stringify(u)).digest('hex');
}

export async function ingestUpload(db: Kysely<Database>, u: UploadInputT, uploadedBy: string, nowMs: number): Promise<IngestResult> {
  const serial = u.status.serial;
  const key = { serial, eventNextSeq: u.status.log.eventNextSeq, therapyNextSeq: u.status.log.therapyNextSeq };
  // Both look-ups at once (one round trip's wait on PostgreSQL); they are answered in the same order as before.
  const [implant, existing] = await Promise.all([
    db.selectFrom('implants').select(['patient_id', 'pump_model']).where('pump_serial', '=', serial).where('explanted_at_ms', 'is', null).executeTakeFirst(),
    findSession(db, key),
  ]);
  if (implant === undefined) throw new HttpError(409, 'unknown-pump', `no implanted pump with serial ${serial}: record the implant first`, [{ path: 'body.status.serial', message: 'no implant with this serial' }]);
  if (implant.pump_model !== u.status.model) throw new HttpError(409, 'model-mismatch', `pump ${serial} is recorded as ${implant.pump_model}, the upload says ${u.status.model}`, [{ path: 'body.status.model', message: 'differs from the implant record' }]);
  // The forecast runs outside the transaction: it is pure computation and may take milliseconds.
  let forecast: Forecast;
  try {
    forecast = u.snapshot !== null ? forecastFromSnapshot(u.snapshot as unknown as PumpSnapshot) : forecastFromStatus(u.status);
  } catch (e) {
    throw new HttpError(400, 'validation-failed', `body.snapshot: the pump core cannot restore it: ${(e as Error).message}`, [{ path: 'body.snapshot', message: (e as Error).message }]);
  }
  const hash = uploadHash(u);
  if (existing !== undefined) return answerRetry(existing, hash, implant.patient_id);
  try {
    return await db.transaction().execute((trx) => store(trx, u, implant.patient_id, uploadedBy, nowMs, hash, forecast));
  } catch (e) {
    // Two copies of one upload raced: the loser finds the winner's session.
    const raced = await findSession(db, key);
    if (raced !== undefined) return answerRetry(raced, hash, implant.patient_id);
    throw e;
  }
}

async function findSession(db: Kysely<Database>, k: { serial: string; eventNextSeq: number; therapyNextSeq: number }) {
  return db
    .selectFrom('programming_sessions')
    .select(['id', 'content_hash', 'records_received', 'records_missed'])
    .where('pump_serial', '=', k.serial)
    .where('event_next_seq', '=', k.eventNextSeq)
    .where('therapy_next_seq', '=', k.therapyNextSeq)
    .executeTakeFirst();
}

function answerRetry(s: { id: string; content_hash: string; records_received: number; records_missed: number }, hash: string, patientId: string): IngestResult {
  if (s.content_hash !== hash) throw conflict('a different upload for this pump at the same log position is already stored; an upload is identified by pump serial and log sequence');
  return { sessionId: s.id, patientId, duplicate: true, recordsReceived: s.records_received, recordsMissed: s.records_missed, forecast: null };
}

async function store(trx: Transaction<Database>, u: UploadInputT, patientId: string, uploadedBy: string, nowMs: number, hash: string, forecast: Forecast): Promise<IngestResult> {
  const serial = u.status.serial;
  const missed = await insertRecords(trx, serial, patientId, u.eventLog, u.therapyLog);
  await deriveRefills(trx, serial, patientId, u.status.model, u.eventLog, uploadedBy);
  await deriveAlarms(trx, serial, patientId, u);
  const sessionId = newId();
  const session = {
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
    records_missed: missed,
  };
  if (trx.getExecutor().adapter instanceof PostgresAdapter) {
    // The session and its forecast in one round trip (a writable CTE; the forecast's reference to
    // the session is checked at the end of the statement, when both rows exist).
    await forecastUpsert(trx.with('session', (db) => db.insertInto('programming_sessions').values(session).returning('id')), patientId, sessionId, nowMs, forecast).execute();
  } else {
    await trx.insertInto('programming_sessions').values(session).execute();
    await upsertForecast(trx, patientId, sessionId, nowMs, forecast);
  }
  return { sessionId, patientId, duplicate: false, recordsReceived: u.eventLog.length + u.therapyLog.length, recordsMissed: missed, forecast };
}

/** Records the pump overwrote before anyone read them: the gap between what we held and each page's first record. */
function missedBefore(held: readonly { log: string; maxSeq: unknown }[], events: UploadLogRecord[], therapy: UploadLogRecord[]): number {
  const heldOf = (log: string) => Number(held.find((h) => h.log === log)?.maxSeq ?? 0);
  const gap = (page: UploadLogRecord[], log: string) => (page[0] === undefined ? 0 : Math.max(0, page[0].seq - heldOf(log) - 1));
  return gap(events, 'event') + gap(therapy, 'therapy');
}

/**
 * Both log pages in one statement with a fixed text and a handful of parameters (the rows travel
 * as arrays on PostgreSQL, as one JSON array on SQLite): no per-record round trip, no statement of
 * thousands of placeholders to build, send and plan per upload. Re-sent records are ignored by the
 * primary key (pump serial + log + sequence), as before.
 */
async function insertRecords(trx: Transaction<Database>, serial: string, patientId: string, events: UploadLogRecord[], therapy: UploadLogRecord[]): Promise<number> {
  const n = events.length + therapy.length;
  if (n === 0) return 0;
  const pages = [['event', events], ['therapy', therapy]] as const;
  if (trx.getExecutor().adapter instanceof PostgresAdapter) {
    // One JSON text parameter that PostgreSQL unpacks in C: no array literal to escape record by
    // record in the driver (which cost more than the insert itself), and data_json keeps the
    // record's own text because the json type preserves it.
    const rows: { log: string; seq: number; utc_ms: number; utc_offset_ms: number; type: string; data: unknown }[] = [];
    for (const [log, page] of pages) for (const r of page) rows.push({ log, seq: r.seq, utc_ms: r.utcMs, utc_offset_ms: r.utcOffsetMs, type: r.type, data: r.data });
    // The held maxima and the insert in one round trip: every part of a statement sees the same
    // snapshot, so "held" is what was there before this insert.
    const held = await sql<{ log: string; maxSeq: unknown }>`with held as (select log, max(seq) as "maxSeq" from log_records where pump_serial = ${serial} group by log),
      ins as (insert into log_records (pump_serial, log, seq, patient_id, utc_ms, utc_offset_ms, type, data_json)
        select ${serial}, r.log, r.seq, ${patientId}, r.utc_ms, r.utc_offset_ms, r.type, r.data::text
        from json_to_recordset(${JSON.stringify(rows)}::json) as r(log text, seq bigint, utc_ms bigint, utc_offset_ms bigint, type text, data json)
        on conflict (pump_serial, log, seq) do nothing)
      select log, "maxSeq" from held`.execute(trx);
    return missedBefore(held.rows, events, therapy);
  }
  const held = await trx.selectFrom('log_records').select(['log', (eb) => eb.fn.max('seq').as('maxSeq')]).where('pump_serial', '=', serial).groupBy('log').execute();
  const rows: unknown[] = [];
  for (const [log, page] of pages) for (const r of page) rows.push([log, r.seq, r.utcMs, r.utcOffsetMs, r.type, JSON.stringify(r.data)]);
  // "where true": SQLite needs it to tell the upsert clause from a join constraint after a SELECT.
  await sql`insert into log_records (pump_serial, log, seq, patient_id, utc_ms, utc_offset_ms, type, data_json)
    select ${serial}, json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), ${patientId}, json_extract(j.value, '$[2]'), json_extract(j.value, '$[3]'), json_extract(j.value, '$[4]'), json_extract(j.value, '$[5]')
    from json_each(${JSON.stringify(rows)}) as j where true
    on conflict (pump_serial, log, seq) do nothing`.execute(trx);
  return missedBefore(held, events, therapy);
}

async function deriveRefills(trx: Transaction<Database>, serial: string, patientId: string, model: keyof typeof PUMP_MODELS, events: UploadLogRecord[], by: string): Promise<void> {
  const threshold = PUMP_MODELS[model].refillDiscrepancyNl;
  const rows = events
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
  if (rows.length > 0) await trx.insertInto('refills').values(rows).onConflict((oc) => oc.column('source_key').doNothing()).execute();
}

async function deriveAlarms(trx: Transaction<Database>, serial: string, patientId: string, u: UploadInputT): Promise<void> {
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
        resolved_at_ms: null,
        reviewed_at_ms: null,
        reviewed_by: null,
        source_key: `${serial}:event:${r.seq}`,
      };
    });
  for (let i = 0; i < raised.length; i += INSERT_CHUNK) {
    await trx.insertInto('alarms').values(raised.slice(i, i + INSERT_CHUNK)).onConflict((oc) => oc.column('source_key').doNothing()).execute();
  }
  // An alarm the pump no longer shows at interrogation has ended; the log says when.
  const active = new Set(u.status.alarms.map((a) => a.code));
  const resolvedAt = new Map<string, number>();
  for (const r of u.eventLog) if (r.type === 'alarm-resolved' && typeof r.data['code'] === 'string') resolvedAt.set(r.data['code'], r.utcMs);
  // One statement whatever the number of open alarms: each ends when the log says, or at this
  // interrogation when the log does not say (or says a time before it was raised).
  const endedAt = [...resolvedAt].map(([code, at]) => sql`when code = ${code} and raised_at_ms <= cast(${at} as bigint) then cast(${at} as bigint)`);
  const pumpUtc = sql<number>`cast(${u.status.pumpUtcMs} as bigint)`;
  let update = trx
    .updateTable('alarms')
    .set({ resolved_at_ms: endedAt.length === 0 ? pumpUtc : sql<number>`case ${sql.join(endedAt, sql` `)} else ${pumpUtc} end` })
    .where('pump_serial', '=', serial)
    .where('resolved_at_ms', 'is', null);
  if (active.size > 0) update = update.where('code', 'not in', [...active]);
  await update.execute();
}

export async function upsertForecast(db: Kysely<Database> | Transaction<Database>, patientId: string, sessionId: string, nowMs: number, f: Forecast): Promise<void> {
  await forecastUpsert(db, patientId, sessionId, nowMs, f).execute();
}

function forecastUpsert(db: Pick<Kysely<Database>, 'insertInto'>, patientId: string, sessionId: string, nowMs: number, f: Forecast) {
  const row = {
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
  };
  const { patient_id: _key, ...update } = row;
  void _key;
  // A late upload of an older interrogation must not replace a newer forecast.
  return db
    .insertInto('forecasts')
    .values(row)
    .onConflict((oc) =>
      oc
        .column('patient_id')
        .doUpdateSet(update)
        .where('forecasts.from_ms', '<=', sql<number>`excluded.from_ms`),
    );
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.round(v) : 0;
}
