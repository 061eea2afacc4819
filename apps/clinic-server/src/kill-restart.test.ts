/**
 * Reliability: a real server process on a real port is SIGKILLed in the middle of uploads, again
 * and again, and restarted on the same database; the programmer retries every upload it has no
 * answer for. In the end every upload is stored exactly once and every pump log record is there
 * exactly once.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MS_PER_DAY, MS_PER_HOUR, NL_PER_ML } from '@thecal/pump-core';
import { openDatabase } from './db/connect.ts';
import { buildApp } from './http/app.ts';
import { createUser } from './routes/users.ts';
import { onBothDatabases, newTestDatabase, TEST_PG_URL, type DbKind } from './testing/databases.ts';
import { MORPHINE_RX, PASSWORD, T0, implantInput, patientInput, programmedPump, uploadFromPump } from './testing/clinic.ts';

const KILLS = Number(process.env['THECAL_KILL_ROUNDS'] ?? 6);
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

interface Child {
  proc: ChildProcess;
  url: string;
}

function startChild(kind: DbKind, options: { dataDir?: string; pgSchema?: string }): Promise<Child> {
  const args = ['--import', 'tsx', MAIN, '--port', '0', '--scrypt-log2n', '12'];
  if (kind === 'sqlite') args.push('--data', options.dataDir as string);
  else args.push('--pg-schema', options.pgSchema as string);
  const env = { ...process.env, ...(kind === 'postgres' ? { DATABASE_URL: TEST_PG_URL } : { DATABASE_URL: '' }) };
  const proc = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 20_000);
    proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\S+)/.exec(out);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolve({ proc, url: m[1] });
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before listening: ${err}`));
    });
  });
}

function kill(child: Child): Promise<void> {
  return new Promise((resolve) => {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) return resolve();
    child.proc.once('exit', () => resolve());
    child.proc.kill('SIGKILL');
  });
}

onBothDatabases('SIGKILL in the middle of uploads', (kind) => {
  it(`loses nothing and duplicates nothing over ${KILLS} kills`, { timeout: 120_000 }, async () => {
    const test = newTestDatabase(kind);
    let child: Child | null = null;
    try {
      // Set up the clinic: a nurse and a patient with a pump.
      const serial = `KILL-${kind}`;
      const clinic = await openDatabase(test.options);
      const { app, ctx } = await buildApp(clinic, { config: { scryptLog2N: 12 } });
      await createUser(ctx, { username: 'nurse', password: PASSWORD, role: 'nurse', displayName: 'N', patientId: null });
      await createUser(ctx, { username: 'doc', password: PASSWORD, role: 'clinician', displayName: 'D', patientId: null });
      const doc = (await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'doc', password: PASSWORD } })).json().token as string;
      const pid = (await app.inject({ method: 'POST', url: '/api/patients', headers: { authorization: `Bearer ${doc}` }, payload: patientInput() })).json().id as string;
      await app.inject({ method: 'POST', url: `/api/patients/${pid}/implants`, headers: { authorization: `Bearer ${doc}` }, payload: implantInput(serial) });
      await app.close();
      await clinic.close();

      // A year of sessions from one pump: every upload re-sends the whole log (overlapping pages).
      const pump = programmedPump(serial, MORPHINE_RX, 20 * NL_PER_ML);
      const uploads: unknown[] = [];
      for (let s = 1; s <= 24; s++) {
        const at = T0 + s * 15 * MS_PER_DAY;
        for (let d = at - 14 * MS_PER_DAY; d < at; d += MS_PER_DAY) pump.execute(d + 10 * MS_PER_HOUR, `pb-${d}`, { type: 'patient-bolus' });
        pump.advanceTo(at);
        pump.execute(at, `iq-${s}`, { type: 'interrogate' });
        if (s % 2 === 0) {
          const staged = pump.execute(at, `st-${s}`, { type: 'stage', changes: { refill: { withdrawnNl: pump.status().reservoir.volumeNl, filledNl: 20 * NL_PER_ML, drugId: 'morphine', concentrationMcgPerMl: 10_000 } } });
          assert.ok(staged.ok);
          assert.ok(pump.execute(at, `cm-${s}`, { type: 'commit', stagedId: staged.detail['stagedId'] as number, acknowledgedSoftLimits: [] }).ok);
        }
        uploads.push(uploadFromPump(pump));
      }

      const confirmed = new Set<number>();
      let token = '';
      let kills = 0;
      let rounds = 0;
      let cut = 0;
      while (confirmed.size < uploads.length || kills < KILLS) {
        rounds += 1;
        assert.ok(rounds < 100, 'too many rounds');
        child = await startChild(kind, test.options as { dataDir?: string; pgSchema?: string });
        if (token === '') {
          const r = await fetch(`${child.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'nurse', password: PASSWORD }) });
          token = ((await r.json()) as { token: string }).token;
        }
        // Retry everything unconfirmed (and, once all are in, resend some to catch duplicates).
        const pending = uploads.map((_, i) => i).filter((i) => !confirmed.has(i) || confirmed.size === uploads.length);
        const url = child.url;
        const inFlight = pending.map(async (i) => {
          try {
            const r = await fetch(`${url}/api/sessions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(uploads[i]) });
            if (r.status === 201 || r.status === 200) confirmed.add(i);
            else assert.fail(`upload ${i}: ${r.status} ${await r.text()}`);
          } catch (e) {
            // Connection cut by the kill: no answer, so the programmer will retry.
            if (!(e instanceof TypeError)) throw e;
            cut += 1;
          }
        });
        if (kills < KILLS) {
          await new Promise((r) => setTimeout(r, 20 + Math.floor(Math.random() * 150)));
          await kill(child);
          kills += 1;
        }
        await Promise.all(inFlight);
        await kill(child);
      }

      const check = await openDatabase(test.options);
      try {
        const sessions = await check.db.selectFrom('programming_sessions').select(['event_next_seq']).where('pump_serial', '=', serial).execute();
        assert.equal(sessions.length, uploads.length, 'one session per upload');
        const events = await check.db.selectFrom('log_records').select('seq').where('pump_serial', '=', serial).where('log', '=', 'event').orderBy('seq').execute();
        const expected = pump.events.readFrom(1).filter((r) => r.seq < pump.status().log.eventNextSeq - 0).map((r) => r.seq);
        // Every record of the last upload (which holds the whole log) is stored once.
        const lastUpload = uploads[uploads.length - 1] as { eventLog: { seq: number; type: string }[]; therapyLog: { seq: number }[] };
        assert.equal(lastUpload.eventLog.filter((r) => r.type === 'refill').length, 13);
        assert.deepEqual(events.map((e) => e.seq), lastUpload.eventLog.map((r) => r.seq));
        assert.ok(expected.length >= lastUpload.eventLog.length);
        const therapy = await check.db.selectFrom('log_records').select((eb) => eb.fn.countAll().as('n')).where('pump_serial', '=', serial).where('log', '=', 'therapy').executeTakeFirstOrThrow();
        assert.equal(Number(therapy.n), lastUpload.therapyLog.length);
        const refills = await check.db.selectFrom('refills').select('source_key').where('pump_serial', '=', serial).execute();
        // The first fill at implant plus one per refill visit, each stored once.
        assert.equal(refills.length, 13, 'one refill per refill in the pump log');
        assert.equal(new Set(refills.map((r) => r.source_key)).size, refills.length);
        assert.equal(kills, KILLS);
        assert.ok(cut > 0, 'no upload was ever cut by a kill: the test did not test anything');
      } finally {
        await check.close();
      }
    } finally {
      if (child !== null) await kill(child);
      await test.destroy();
    }
  });
});
