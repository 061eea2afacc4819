/**
 * The clinic server under load, on SQLite and on PostgreSQL, in one run:
 *
 * - ingest: programming-session uploads (a year of one pump's history as the programmer sends it,
 *   one session per refill visit) through the real ingest path (zod validation of the parsed
 *   JSON, inside the timing since this session: it was done beforehand and left out; dedup,
 *   derived refills and alarms, pump-core forecast, the store): log records stored per second;
 * - forecast: every patient's forecast recomputed by restoring the pump core from the stored
 *   snapshot of their last interrogation;
 * - latency: worklist and patient page over real HTTP at a fixed 200 requests/s (autocannon),
 *   p50 and p99.
 *
 * Scale: the clinic has THECAL_BENCH_PATIENTS patients (default 10 000), all with an implant, a
 * last interrogation and a forecast. Full year-long log histories are ingested for
 * THECAL_BENCH_INGEST_PATIENTS of them (default 200): ingesting 10 000 pump-years (~20 M records)
 * on both databases would take far longer than the few minutes `npm run bench` may use. Pump
 * histories are run by the pump core for a set of template pumps and given each patient's serial.
 */
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql, type Insertable } from 'kysely';
import { MS_PER_DAY, MS_PER_HOUR, NL_PER_ML, PG_PER_MCG, PG_PER_MG, Pump, type Prescription } from '@thecal/pump-core';
import { buildApp, createUser, ingestUpload, openDatabase, recomputeAllForecasts, uploadFromPump, UploadInput, type ClinicDb, type Database, type DatabaseOptions } from '@thecal/clinic-server';
import { check, printTable, result, writeResults, type BenchResult } from './lib/results.ts';

const PATIENTS = Number(process.env['THECAL_BENCH_PATIENTS'] ?? 10_000);
const INGEST_PATIENTS = Number(process.env['THECAL_BENCH_INGEST_PATIENTS'] ?? 200);
const INGEST_CONCURRENCY = Number(process.env['THECAL_BENCH_INGEST_CONCURRENCY'] ?? 8);
const TEMPLATES = 16;
const RATE = 200;
const LOAD_SECONDS = Number(process.env['THECAL_BENCH_LOAD_SECONDS'] ?? 5);
const PG_URL = process.env['THECAL_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const NOW = Date.UTC(2026, 0, 5);
const START = NOW - 365 * MS_PER_DAY;
const PASSWORD = 'bench password 1';

type Upload = ReturnType<typeof uploadFromPump>;
interface Template {
  sessions: Upload[];
  records: number;
}

interface AutocannonResult {
  latency: { p50: number; p99: number; average: number };
  requests: { total: number };
  non2xx: number;
  errors: number;
}
interface LoadJob {
  url: string;
  token: string;
  connections: number;
  duration?: number;
  amount?: number;
  overallRate?: number;
  /** Request paths, used in turn. */
  paths?: string[];
}
/** The load generator script: next to this file, or one folder up from the bundle in bench/.build. */
const LOAD_SCRIPT = [new URL('./clinic-load.mjs', import.meta.url), new URL('../clinic-load.mjs', import.meta.url)].find((u) => existsSync(u)) ?? new URL('./clinic-load.mjs', import.meta.url);
/** autocannon in a child process (bench/clinic-load.mjs), so the load generator does not share the server's event loop. */
function autocannon(job: LoadJob): Promise<AutocannonResult> {
  return new Promise((resolve, reject) => {
    const child = fork(LOAD_SCRIPT, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
    let done = false;
    child.once('message', (m: { ok: boolean; result?: AutocannonResult; error?: string }) => {
      done = true;
      if (m.ok && m.result !== undefined) resolve(m.result);
      else reject(new Error(`load generator failed: ${m.error ?? 'unknown'}`));
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (!done) reject(new Error(`load generator exited with ${code} before reporting`));
    });
    child.send(job);
  });
}

function templateRx(i: number): Prescription {
  if (i % 2 === 0) {
    const rate = 300_000 + i * 40_000;
    return { drugId: 'morphine', concentrationMcgPerMl: 10_000, basal: { kind: 'continuous', rateNlPerDay: rate }, maxRateNlPerDay: 24 * NL_PER_ML, maxDailyDosePg: 20 * PG_PER_MG, patientBolus: { volumeNl: 20_000, durationMs: 10 * 60_000, lockoutMs: 2 * MS_PER_HOUR, maxPer24h: 6 } };
  }
  return { drugId: 'baclofen', concentrationMcgPerMl: 500, basal: { kind: 'continuous', rateNlPerDay: 400_000 + i * 30_000 }, maxRateNlPerDay: 24 * NL_PER_ML, maxDailyDosePg: 800 * PG_PER_MCG, patientBolus: null };
}

/** A year of one pump, interrogated and refilled every ~5 weeks; uploads carry the log pages since the last one. */
function runTemplate(i: number): Template {
  const rx = templateRx(i);
  const serial = `TPL-${i}`;
  const pump = Pump.manufacture({ serial, model: 'thecal-40', atMs: START - MS_PER_DAY });
  const program = (at: number, changes: Parameters<Pump['validateChanges']>[0]) => {
    const st = pump.execute(at, `s${at}`, { type: 'stage', changes });
    check(st.ok, `template ${i} stage: ${JSON.stringify(st)}`);
    const c = pump.execute(at, `c${at}`, { type: 'commit', stagedId: st.detail['stagedId'] as number, acknowledgedSoftLimits: (st.detail['softLimits'] as { code: string }[]).map((x) => x.code) });
    check(c.ok, `template ${i} commit: ${JSON.stringify(c)}`);
  };
  program(START, { refill: { withdrawnNl: 0, filledNl: 40 * NL_PER_ML, drugId: rx.drugId, concentrationMcgPerMl: rx.concentrationMcgPerMl }, prescription: rx });
  const sessions: Upload[] = [];
  let from = { eventSeq: 1, therapySeq: 1 };
  let records = 0;
  for (let visit = START + 35 * MS_PER_DAY; visit < NOW; visit += 35 * MS_PER_DAY) {
    if (rx.patientBolus !== null) {
      for (let d = visit - 35 * MS_PER_DAY; d < visit - MS_PER_DAY; d += MS_PER_DAY) for (let b = 0; b < 5; b++) pump.execute(d + (8 + b * 3) * MS_PER_HOUR, `pb${d}-${b}`, { type: 'patient-bolus' });
    }
    pump.advanceTo(visit);
    pump.execute(visit, `iq${visit}`, { type: 'interrogate' });
    const u = uploadFromPump(pump, from);
    sessions.push(u);
    records += u.eventLog.length + u.therapyLog.length;
    from = { eventSeq: pump.events.nextSequence, therapySeq: pump.therapyLog.nextSequence };
    program(visit + 10 * 60_000, { refill: { withdrawnNl: pump.status().reservoir.volumeNl, filledNl: 40 * NL_PER_ML, drugId: rx.drugId, concentrationMcgPerMl: rx.concentrationMcgPerMl } });
  }
  return { sessions, records };
}

/** The same upload for another pump: serial replaced in status and snapshot. */
function forSerial(u: Upload, serial: string): Upload {
  const status = { ...(u.status as Record<string, unknown>), serial };
  const snap = u.snapshot as { fields: Record<string, unknown> } | null;
  return { ...u, status, snapshot: snap === null ? null : { ...snap, fields: { ...snap.fields, serial } } };
}

async function freshDatabase(kind: 'sqlite' | 'postgres'): Promise<{ options: DatabaseOptions; destroy: () => Promise<void> }> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'thecal-bench-'));
    return { options: { dataDir: dir }, destroy: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const schema = `thecal_bench_${randomBytes(5).toString('hex')}`;
  return {
    options: { databaseUrl: PG_URL, pgSchema: schema, pgPoolSize: 8 },
    destroy: async () => {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    },
  };
}

async function populate(clinic: ClinicDb, templates: Template[]): Promise<{ patientIds: string[]; ingestRecords: number; ingestMs: number; ingestSessions: number; solo: { records: number; sessions: number; ms: number } }> {
  const db = clinic.db;
  const patientIds: string[] = [];
  const CHUNK = 500;
  for (let start = 0; start < PATIENTS; start += CHUNK) {
    const patients: Insertable<Database['patients']>[] = [];
    const implants: Insertable<Database['implants']>[] = [];
    for (let n = start; n < Math.min(PATIENTS, start + CHUNK); n++) {
      const id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
      patientIds.push(id);
      patients.push({ id, mrn: `B-${n}`, family_name: `Family${n % 997}`, given_name: `Given${n % 89}`, birth_date: '1960-01-01', sex: 'unknown' as const, indication: n % 2 === 0 ? 'pain-cancer' : 'spasticity-spinal', created_at_ms: START, created_by: 'bench' });
      implants.push({ id: `10000000-0000-4000-8000-${String(n).padStart(12, '0')}`, patient_id: id, pump_serial: `BP-${n}`, pump_model: 'thecal-40', reservoir_capacity_nl: 40 * NL_PER_ML, implanted_at_ms: START, pump_depth_mm: 15, catheter_model: 'TC', catheter_length_mm: 800, catheter_volume_nl: 180_000, explanted_at_ms: null, created_by: 'bench' });
    }
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('patients').values(patients).execute();
      await trx.insertInto('implants').values(implants).execute();
    });
  }
  // A year of uploads for the ingest set, through the real ingest path, timed. A clinic's
  // programmers upload side by side, so the server's ingest rate is measured with
  // INGEST_CONCURRENCY uploaders at once (each pump's sessions still in order, as one programmer
  // would send them); a first slice of pumps goes through one uploader alone, for comparison.
  // Each upload as the server receives it: parsed JSON, not yet validated. Validation (zod) is part
  // of the timed path, as it is part of every real upload.
  const perPump: unknown[][] = [];
  for (let n = 0; n < INGEST_PATIENTS; n++) perPump.push((templates[n % TEMPLATES] as Template).sessions.map((s) => JSON.parse(JSON.stringify(forSerial(s, `BP-${n}`))) as unknown));
  const ingestPumps = async (pumps: unknown[][], uploaders: number) => {
    let next = 0;
    let records = 0;
    let sessions = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: uploaders }, async () => {
        for (let i = next++; i < pumps.length; i = next++) {
          for (const raw of pumps[i] as unknown[]) {
            const r = await ingestUpload(db, UploadInput.parse(raw), 'bench', NOW);
            check(!r.duplicate, 'a bench upload was a duplicate');
            records += r.recordsReceived;
            sessions++;
          }
        }
      }),
    );
    return { records, sessions, ms: performance.now() - t0 };
  };
  const soloPumps = Math.max(1, Math.floor(INGEST_PATIENTS / 5));
  const solo = await ingestPumps(perPump.slice(0, soloPumps), 1);
  const together = await ingestPumps(perPump.slice(soloPumps), INGEST_CONCURRENCY);
  const ingestRecords = together.records;
  const ingestMs = together.ms;
  // Everyone else: their last interrogation only (session row with snapshot), so all have a forecast to recompute.
  for (let start = INGEST_PATIENTS; start < PATIENTS; start += CHUNK) {
    const sessions: Insertable<Database['programming_sessions']>[] = [];
    const forecasts: Insertable<Database['forecasts']>[] = [];
    for (let n = start; n < Math.min(PATIENTS, start + CHUNK); n++) {
      const t = templates[n % TEMPLATES] as Template;
      const last = forSerial(t.sessions[t.sessions.length - 1] as Upload, `BP-${n}`);
      const st = last.status as { nowMs: number; log: { eventNextSeq: number; therapyNextSeq: number } };
      const sid = `20000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
      sessions.push({ id: sid, patient_id: patientIds[n] as string, pump_serial: `BP-${n}`, interrogated_at_ms: st.nowMs, uploaded_at_ms: NOW, uploaded_by: 'bench', event_next_seq: st.log.eventNextSeq, therapy_next_seq: st.log.therapyNextSeq, content_hash: 'bench', status_json: JSON.stringify(last.status), snapshot_json: JSON.stringify(last.snapshot), records_received: 0, records_missed: 0 });
      forecasts.push({ patient_id: patientIds[n] as string, session_id: sid, computed_at_ms: 0, from_ms: 0, low_reservoir_at_ms: null, empty_at_ms: null, next_refill_by_ms: null, eri_at_ms: 0, replace_by_ms: 0, method: 'snapshot' as const, eri_shift_ms: 0, eri_shift_reviewed_at_ms: null, eri_shift_reviewed_by: null });
    }
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('programming_sessions').values(sessions).execute();
      await trx.insertInto('forecasts').values(forecasts).execute();
    });
  }
  return { patientIds, ingestRecords, ingestMs, ingestSessions: together.sessions, solo };
}

async function load(url: string, token: string, paths: string[]): Promise<AutocannonResult> {
  return autocannon({ url, token, connections: 10, overallRate: RATE, duration: LOAD_SECONDS, paths });
}

async function benchDatabase(kind: 'sqlite' | 'postgres', templates: Template[]): Promise<BenchResult[]> {
  const fresh = await freshDatabase(kind);
  const clinic = await openDatabase(fresh.options);
  const out: BenchResult[] = [];
  try {
    console.log(`[${kind}] populating ${PATIENTS} patients, ingesting a year for ${INGEST_PATIENTS}...`);
    const p = await populate(clinic, templates);
    // The bulk load above writes 10 000 patients, implants, sessions and forecasts in seconds, straight
    // into the tables; PostgreSQL's autovacuum refreshes planner statistics only on its next round
    // (up to a minute later), so without this the latency runs would measure plans made for empty
    // tables. A real clinic grows over months; an import tool would ANALYZE after loading.
    if (kind === 'postgres') await sql`analyze`.execute(clinic.db);
    const rate = p.ingestRecords / (p.ingestMs / 1000);
    const soloRate = p.solo.records / (p.solo.ms / 1000);
    const path = 'UploadInput.parse (zod) + ingestUpload: one statement per session on PostgreSQL, one transaction on SQLite, dedup by serial+log+seq, derived refills/alarms, pump-core forecast';
    out.push(result({ name: `${kind}: upload ingest rate, one uploader`, value: Math.round(soloRate), unit: 'log records/s', details: { records: p.solo.records, sessions: p.solo.sessions, seconds: p.solo.ms / 1000, path } }));
    out.push(
      result({
        name: `${kind}: upload ingest rate, ${INGEST_CONCURRENCY} uploaders at once`,
        value: Math.round(rate),
        unit: 'log records/s',
        baseline: { name: 'one uploader', value: Math.round(soloRate), unit: 'log records/s' },
        target: { op: '>=', value: 50_000 },
        details: { records: p.ingestRecords, sessions: p.ingestSessions, patients: INGEST_PATIENTS, seconds: p.ingestMs / 1000, path },
      }),
    );

    console.log(`[${kind}] recomputing ${PATIENTS} forecasts...`);
    const f0 = performance.now();
    const rc = await recomputeAllForecasts(clinic.db, NOW);
    const forecastMs = performance.now() - f0;
    check(rc.patients === PATIENTS && rc.failed === 0, `forecasts ${JSON.stringify(rc)}`);
    out.push(result({ name: `${kind}: forecast all patients`, value: forecastMs / 1000, unit: 's', target: { op: '<=', value: (10 * PATIENTS) / 10_000 }, details: { patients: rc.patients, method: 'Pump.fromSnapshot(last interrogation).forecast(), stored in forecasts' } }));

    const { app, ctx } = await buildApp(clinic, { config: { scryptLog2N: 12 }, now: () => NOW, docsUi: false });
    await createUser(ctx, { username: 'nurse', password: PASSWORD, role: 'nurse', displayName: 'Bench', patientId: null });
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const addr = app.server.address();
      const url = `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;
      const login = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'nurse', password: PASSWORD }) });
      const token = ((await login.json()) as { token: string }).token;
      const wlProbe = (await (await fetch(`${url}/api/worklist?limit=10000`, { headers: { authorization: `Bearer ${token}` } })).json()) as unknown[];
      console.log(`[${kind}] worklist holds ${wlProbe.length} items; loading at ${RATE} req/s for ${LOAD_SECONDS} s each...`);
      // Warm up (JIT, statement caches) before measuring.
      await autocannon({ url: `${url}/api/worklist`, token, connections: 4, amount: 400 });
      await autocannon({ url: `${url}/api/patients/${p.patientIds[0]}`, token, connections: 4, amount: 400 });
      const wl = await load(url, token, ['/api/worklist']);
      check(wl.non2xx === 0 && wl.errors === 0, `worklist errors: ${wl.non2xx} non-2xx, ${wl.errors} errors`);
      // The same visiting order as before: patient (i * 7919) mod N, enough paths for the whole run.
      const ppPaths = Array.from({ length: RATE * LOAD_SECONDS * 2 }, (_, i) => `/api/patients/${p.patientIds[(i * 7919) % p.patientIds.length]}`);
      const pp = await load(url, token, ppPaths);
      check(pp.non2xx === 0 && pp.errors === 0, `patient page errors: ${pp.non2xx} non-2xx, ${pp.errors} errors`);
      for (const [what, r] of [['worklist', wl], ['patient page', pp]] as const) {
        const details = { requests: r.requests.total, ratePerSecond: RATE, seconds: LOAD_SECONDS, connections: 10, worklistItems: wlProbe.length, worklistPage: 100, note: 'autocannon in a separate process (bench/clinic-load.mjs) on the same machine as the server' };
        out.push(result({ name: `${kind}: ${what} latency p50`, value: r.latency.p50, unit: 'ms', details }));
        out.push(result({ name: `${kind}: ${what} latency p99`, value: r.latency.p99, unit: 'ms', target: { op: '<=', value: 50 }, details }));
      }
    } finally {
      await app.close();
    }
  } finally {
    await clinic.close();
    await fresh.destroy();
  }
  return out;
}

const started = performance.now();
console.log(`running ${TEMPLATES} template pumps for a year with the pump core...`);
const templates = Array.from({ length: TEMPLATES }, (_, i) => runTemplate(i));
const perPumpYear = templates.reduce((s, t) => s + t.records, 0) / TEMPLATES;
const results: BenchResult[] = [result({ name: 'log records per pump-year (template pumps)', value: Math.round(perPumpYear), unit: 'records', details: { templates: TEMPLATES, sessionsPerYear: templates[0]?.sessions.length ?? 0 } })];
// THECAL_BENCH_DATABASES=postgres (or sqlite) narrows a profiling run to one database.
const only = process.env['THECAL_BENCH_DATABASES'];
for (const kind of ['sqlite', 'postgres'] as const) if (only === undefined || only.split(',').includes(kind)) results.push(...(await benchDatabase(kind, templates)));
printTable('clinic server', results);
writeResults('clinic', results, { patients: PATIENTS, ingestPatients: INGEST_PATIENTS, templates: TEMPLATES, ratePerSecond: RATE, loadSeconds: LOAD_SECONDS, postgres: PG_URL.replace(/\/\/[^@]*@/, '//') }, performance.now() - started);
