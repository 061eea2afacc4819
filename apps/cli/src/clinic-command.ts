/**
 * `thecal clinic --port N --data DIR`: runs the clinic server (SQLite in DIR, or PostgreSQL when
 * DATABASE_URL is set). `thecal clinic seed --data DIR --patients N`: fills it with a demo clinic
 * whose pumps were all run by the pump core. `thecal clinic user ...` adds a user.
 */
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { addUser, openDatabase, seedDemoClinic, startServer, type DatabaseOptions } from '@thecal/clinic-server';
import { wholeNumberOption } from './options.ts';

const DEFAULT_DATA_DIR = '.thecal/clinic';

function databaseOptions(data: string | undefined): DatabaseOptions {
  const url = process.env['DATABASE_URL'];
  return url !== undefined && url !== '' ? { databaseUrl: url, ...(process.env['DATABASE_SCHEMA'] ? { pgSchema: process.env['DATABASE_SCHEMA'] } : {}) } : { dataDir: data ?? DEFAULT_DATA_DIR };
}

export function registerClinic(program: Command, setExit: (code: number) => void): void {
  const clinic = program
    .command('clinic')
    .description('run the clinic server (SQLite in --data, or PostgreSQL when DATABASE_URL is set); OpenAPI at /docs')
    .option('--port <n>', 'port to listen on', '8080')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--data <dir>', 'data folder for the SQLite database', DEFAULT_DATA_DIR)
    .action(async (opts: { port: string; host: string; data: string }) => {
      try {
        const server = await startServer({ port: wholeNumberOption('--port', opts.port, 0, 65_535), host: opts.host, ...databaseOptions(opts.data) });
        process.stderr.write(`thecal clinic: listening on ${server.url} (${server.clinic.dialect}); API docs at ${server.url}/docs\n`);
        await new Promise<void>((resolve) => {
          const stop = () => void server.close().then(resolve);
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        setExit(0);
      } catch (e) {
        process.stderr.write(`thecal clinic: ${(e as Error).message}\n`);
        setExit(1);
      }
    });

  clinic
    .command('seed')
    .description('create a demo clinic: patients with years of pump history run by the pump core')
    .option('--patients <n>', 'number of patients', '40')
    .option('--seed <n>', 'random seed (same seed, same clinic)', '20260105')
    // --data belongs to `clinic` (commander gives a parent's option to the parent wherever it appears).
    .action(async (_opts: unknown, command: Command) => {
      const opts = command.optsWithGlobals<{ data: string; patients: string; seed: string }>();
      let patients: number;
      let seed: number;
      try {
        patients = wholeNumberOption('--patients', opts.patients, 1, 100_000);
        seed = wholeNumberOption('--seed', opts.seed, 0, 2 ** 32 - 1);
      } catch (e) {
        process.stderr.write(`thecal clinic seed: ${(e as Error).message}\n`);
        setExit(2);
        return;
      }
      const db = await openDatabase(databaseOptions(opts.data)).catch((e: unknown) => {
        process.stderr.write(`thecal clinic seed: ${(e as Error).message}\n`);
        return null;
      });
      if (db === null) return setExit(1);
      const bar = new SingleBar({ stream: process.stderr, format: 'seeding [{bar}] {value}/{total} patients | {eta}s left', hideCursor: true, clearOnComplete: false });
      bar.start(patients, 0);
      try {
        const r = await seedDemoClinic(db.db, { patients, nowMs: Date.now(), seed, onProgress: (done) => bar.update(done) });
        bar.stop();
        process.stdout.write(`seeded ${r.patients} patients, ${r.sessions} programming sessions, ${r.logRecords} pump log records\n`);
        process.stdout.write(`users (password "${r.users[0]?.password ?? ''}"): ${r.users.map((u) => `${u.username} (${u.role})`).join(', ')}\n`);
        setExit(0);
      } catch (e) {
        bar.stop();
        process.stderr.write(`thecal clinic seed: ${(e as Error).message}\n`);
        setExit(1);
      } finally {
        await db.close();
      }
    });

  clinic
    .command('user')
    .description('add a user (admin, clinician, nurse; patient accounts need --patient-id)')
    .requiredOption('--username <name>')
    .requiredOption('--role <role>')
    .option('--patient-id <id>')
    .action(async (_opts: unknown, command: Command) => {
      const opts = command.optsWithGlobals<{ username: string; role: string; patientId?: string; data: string }>();
      const password = process.env['THECAL_NEW_PASSWORD'];
      if (password === undefined || password.length < 10) {
        process.stderr.write('thecal clinic user: put the new password (10 characters or more) in THECAL_NEW_PASSWORD\n');
        return setExit(2);
      }
      const clinic = await openDatabase(databaseOptions(opts.data));
      try {
        const r = await addUser(clinic, { username: opts.username, password, role: opts.role, displayName: opts.username, patientId: opts.patientId ?? null });
        if (!r.ok) {
          process.stderr.write(`thecal clinic user: ${r.message}\n`);
          return setExit(2);
        }
        process.stdout.write(`created user ${opts.username} (${opts.role}) ${r.id}\n`);
        setExit(0);
      } catch (e) {
        process.stderr.write(`thecal clinic user: ${(e as Error).message}\n`);
        setExit(1);
      } finally {
        await clinic.close();
      }
    });
}
