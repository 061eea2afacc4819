/**
 * The two databases every suite runs on. SQLite: a fresh folder per clinic. PostgreSQL: a fresh
 * schema per clinic (random name, `search_path`), dropped afterwards, so parallel runs never
 * meet. PostgreSQL unreachable is a FAILURE of the suite, never a skip.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe } from 'node:test';
import pg from 'pg';
import { openDatabase, type ClinicDb, type DatabaseOptions } from '../db/connect.ts';

export type DbKind = 'sqlite' | 'postgres';
export const DB_KINDS: readonly DbKind[] = ['sqlite', 'postgres'];
export const TEST_PG_URL = process.env['THECAL_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  kind: DbKind;
  options: DatabaseOptions;
  /** Removes the folder or drops the schema. */
  destroy(): Promise<void>;
}

export function newTestDatabase(kind: DbKind): TestDatabase {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'thecal-clinic-'));
    return { kind, options: { dataDir: dir }, destroy: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const schema = `thecal_t_${randomBytes(6).toString('hex')}`;
  return {
    kind,
    options: { databaseUrl: TEST_PG_URL, pgSchema: schema, pgPoolSize: 4 },
    destroy: async () => {
      const client = new pg.Client({ connectionString: TEST_PG_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

export async function openTestDatabase(kind: DbKind): Promise<{ clinic: ClinicDb; test: TestDatabase }> {
  const test = newTestDatabase(kind);
  try {
    return { clinic: await openDatabase(test.options), test };
  } catch (e) {
    await test.destroy().catch(() => undefined);
    throw e;
  }
}

/** Runs the same suite on SQLite and on PostgreSQL. */
export function onBothDatabases(name: string, suite: (kind: DbKind) => void): void {
  for (const kind of DB_KINDS) describe(`${name} [${kind}]`, () => suite(kind));
}
