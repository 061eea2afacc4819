import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from './connect.ts';
import { migrationProvider } from './migrations.ts';
import { onBothDatabases, newTestDatabase, openTestDatabase } from '../testing/databases.ts';

describe('opening the database', () => {
  it('fails (it does not skip) with the reason when PostgreSQL is unreachable', async () => {
    await assert.rejects(openDatabase({ databaseUrl: 'postgres://postgres:secret@127.0.0.1:1/test' }), (e: Error) => /cannot reach PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/test/.test(e.message));
  });
  it('refuses a schema name that is not a plain identifier', async () => {
    await assert.rejects(openDatabase({ databaseUrl: 'postgres://postgres@127.0.0.1:5432/test', pgSchema: 'x; drop schema public' }), /invalid PostgreSQL schema name/);
  });
});

onBothDatabases('migrations', (kind) => {
  it('migrate a fresh database, and opening it again migrates nothing twice', async () => {
    const test = newTestDatabase(kind);
    try {
      const a = await openDatabase(test.options);
      await a.db.insertInto('patients').values({ id: 'p1', mrn: 'M1', family_name: 'A', given_name: 'B', birth_date: '1970-01-01', sex: 'unknown', indication: 'pain-chronic', created_at_ms: 1, created_by: 'x' }).execute();
      await a.close();
      const b = await openDatabase(test.options);
      const rows = await b.db.selectFrom('patients').select('mrn').execute();
      assert.deepEqual(rows, [{ mrn: 'M1' }]);
      const migrations = await b.db.selectFrom('kysely_migration' as never).selectAll().execute();
      // Each migration recorded exactly once.
      assert.equal(migrations.length, Object.keys(await migrationProvider(kind).getMigrations()).length);
      await b.close();
    } finally {
      await test.destroy();
    }
  });

  it('migrates a second database while another one exists beside it (each keeps its own migration bookkeeping)', async () => {
    const first = await openTestDatabase(kind);
    try {
      const second = await openTestDatabase(kind);
      try {
        const rows = await second.clinic.db.selectFrom('kysely_migration' as never).selectAll().execute();
        assert.equal(rows.length, Object.keys(await migrationProvider(kind).getMigrations()).length);
      } finally {
        await second.clinic.close();
        await second.test.destroy();
      }
    } finally {
      await first.clinic.close();
      await first.test.destroy();
    }
  });
});

