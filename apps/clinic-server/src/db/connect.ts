/**
 * Opens the clinic database: SQLite (better-sqlite3, WAL) in the data folder by default, or
 * PostgreSQL when a connection string is given. Everything above this file uses the same Kysely
 * queries for both.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type SqliteDialectConfig } from 'kysely';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { migrationProvider, type DialectName } from './migrations.ts';
import type { Database } from './schema.ts';

export interface DatabaseOptions {
  /** Folder holding `clinic.sqlite` when no PostgreSQL URL is given. */
  dataDir?: string;
  /** PostgreSQL connection string (DATABASE_URL). */
  databaseUrl?: string;
  /** PostgreSQL schema to use (created if missing): tests give each run its own. */
  pgSchema?: string;
  pgPoolSize?: number;
}

export interface ClinicDb {
  db: Kysely<Database>;
  dialect: DialectName;
  /** The PostgreSQL schema everything lives in, when not the default search path. */
  schema?: string;
  close(): Promise<void>;
}

export const SQLITE_FILE = 'clinic.sqlite';
const INT8_OID = 20;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export async function openDatabase(opts: DatabaseOptions): Promise<ClinicDb> {
  const clinic = opts.databaseUrl !== undefined && opts.databaseUrl !== '' ? await openPostgres(opts.databaseUrl, opts) : openSqlite(opts.dataDir);
  try {
    await migrateToLatest(clinic);
  } catch (e) {
    await clinic.close();
    throw e;
  }
  return clinic;
}

function openSqlite(dataDir: string | undefined): ClinicDb {
  if (dataDir === undefined) throw new Error('a data folder is needed for the embedded SQLite database (--data DIR)');
  mkdirSync(dataDir, { recursive: true });
  const file = new SqliteDatabase(join(dataDir, SQLITE_FILE));
  // WAL: readers never block the writer; synchronous=NORMAL is durable across a process kill
  // (the case the kill tests exercise), losing at most the last commits on a power cut.
  file.pragma('journal_mode = WAL');
  file.pragma('synchronous = NORMAL');
  file.pragma('foreign_keys = ON');
  file.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(file) }) });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}

/**
 * Kysely prepares every query it runs; compiling the same SQL again on each request is wasted
 * work. Prepared statements are kept by their SQL text (Kysely runs one query at a time on the one
 * connection, so a statement is never used twice at once); the cache is emptied when it grows past
 * a bound, since multi-row inserts make many distinct texts.
 */
function withStatementCache(file: SqliteDatabase.Database): SqliteDialectConfig['database'] {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => {
      cache.clear();
      file.close();
    },
    prepare: (text: string) => {
      let stmt = cache.get(text);
      if (stmt === undefined) {
        stmt = file.prepare(text);
        if (cache.size >= 500) cache.clear();
        cache.set(text, stmt);
      }
      return stmt;
    },
  };
}

async function openPostgres(url: string, opts: DatabaseOptions): Promise<ClinicDb> {
  const schema = opts.pgSchema;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) throw new Error(`invalid PostgreSQL schema name "${schema}"`);
  const poolConfig: pg.PoolConfig = {
    connectionString: url,
    max: opts.pgPoolSize ?? 10,
    connectionTimeoutMillis: 5_000,
    // Times are bigint columns; they fit a double exactly (ms until year 285 616).
    types: { getTypeParser: ((oid: number, format?: string) => (oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser },
  };
  if (schema !== undefined) poolConfig.options = `-c search_path=${schema}`;
  const pool = new pg.Pool(poolConfig);
  // Fail now, with the reason, rather than at the first request.
  const client = await pool.connect().catch(async (e: unknown) => {
    await pool.end();
    throw new Error(`cannot reach PostgreSQL at ${redact(url)}: ${(e as Error).message}`);
  });
  try {
    if (schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  } finally {
    client.release();
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparingPool(pool) }) });
  return { db, dialect: 'postgres', close: () => db.destroy(), ...(schema === undefined ? {} : { schema }) };
}

/** SQL that starts with this runs as a named prepared statement (see preparingPool). */
export const PREPARED = '/* prepared */';

/**
 * A pool whose clients run statements marked PREPARED as named prepared statements: PostgreSQL
 * parses and plans a big fixed statement (the upload's one statement of writable CTEs) once per
 * connection instead of at every upload. Only marked statements: multi-row inserts make endless
 * distinct texts, and each named statement stays on its connection.
 */
function preparingPool(pool: pg.Pool): pg.Pool {
  const names = new Map<string, string>();
  const nameOf = (text: string): string => {
    let name = names.get(text);
    if (name === undefined) {
      name = `thecal_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
      names.set(text, name);
    }
    return name;
  };
  const connect = pool.connect.bind(pool) as () => Promise<pg.PoolClient>;
  return new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop !== 'connect') return Reflect.get(target, prop, receiver) as unknown;
      return async () => {
        const client = await connect();
        const query = client.query.bind(client) as (text: unknown, values?: unknown[]) => Promise<pg.QueryResult>;
        return new Proxy(client, {
          get(c, p, r) {
            if (p !== 'query') return Reflect.get(c, p, r) as unknown;
            return (text: unknown, values?: unknown[]) =>
              typeof text === 'string' && text.startsWith(PREPARED) ? query({ name: nameOf(text), text, values }) : query(text, values);
          },
        });
      };
    },
  });
}

export async function migrateToLatest(clinic: ClinicDb): Promise<void> {
  // With its own schema, the migrator must look for its bookkeeping tables there: left to itself it
  // finds another schema's kysely_migration_lock, skips creating its own and then fails to use it.
  const migrator = new Migrator({ db: clinic.db, provider: migrationProvider(clinic.dialect), ...(clinic.schema === undefined ? {} : { migrationTableSchema: clinic.schema }) });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${(error as Error).message ?? String(error)}`);
  }
}

/** A connection string without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
