/** What every route handler can reach: the database, the clock, the configuration. */
import type { Kysely } from 'kysely';
import type { DialectName } from '../db/migrations.ts';
import type { Database } from '../db/schema.ts';
import type { LoginLimiter } from '../auth/rate-limit.ts';
import { DEFAULT_SCRYPT_LOG2N } from '../auth/password.ts';

export interface ClinicConfig {
  /** Session lifetime; a session is never extended past it. */
  sessionTtlMs: number;
  scryptLog2N: number;
  loginMaxFailures: number;
  loginWindowMs: number;
  /** Largest JSON body on ordinary endpoints. */
  bodyLimitBytes: number;
  /** Largest programming-session upload (a full event and therapy log is about 2 MB). */
  uploadBodyLimitBytes: number;
  /** Refills due within this horizon appear on the worklist. */
  refillHorizonMs: number;
  /** ERI or replace-by within this horizon appear on the worklist. */
  replacementHorizonMs: number;
}

const DAY = 86_400_000;
export const DEFAULT_CONFIG: ClinicConfig = {
  sessionTtlMs: 8 * 3_600_000,
  scryptLog2N: DEFAULT_SCRYPT_LOG2N,
  loginMaxFailures: 5,
  loginWindowMs: 15 * 60_000,
  bodyLimitBytes: 256 * 1024,
  uploadBodyLimitBytes: 8 * 1024 * 1024,
  refillHorizonMs: 14 * DAY,
  replacementHorizonMs: 180 * DAY,
};

export interface AppContext {
  db: Kysely<Database>;
  dialect: DialectName;
  config: ClinicConfig;
  limiter: LoginLimiter;
  /** Wall clock, replaceable in tests. */
  now: () => number;
}
