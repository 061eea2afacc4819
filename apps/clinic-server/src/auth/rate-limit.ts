/**
 * Login rate limiting: after `maxFailures` failed logins for one user name, or from one address,
 * within `windowMs`, further attempts are refused until the window has passed. Counting by both
 * stops guessing one account from many addresses and many accounts from one address.
 *
 * The failures live in the clinic database (table login_failures), not in process memory: a
 * restart must not hand an attacker a fresh window, and several clinic servers behind one load
 * balancer (the PostgreSQL scale path) must count the same failures. Rows older than the window
 * are deleted as new failures arrive, so the table stays as small as the attack is fast.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

export interface LoginLimiterOptions {
  maxFailures: number;
  windowMs: number;
}

export class LoginLimiter {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly opts: LoginLimiterOptions,
  ) {}

  /** Milliseconds until a login for this name from this address may be tried, or 0 now. */
  async retryAfterMs(username: string, ip: string, nowMs: number): Promise<number> {
    const rows = await this.db
      .selectFrom('login_failures')
      .select(['key', 'at_ms'])
      .where('key', 'in', keys(username, ip))
      .where('at_ms', '>', nowMs - this.opts.windowMs)
      .orderBy('at_ms', 'desc')
      .execute();
    return retryAfterMs(rows.map((r) => ({ key: r.key, atMs: Number(r.at_ms) })), this.opts, nowMs);
  }

  async recordFailure(username: string, ip: string, nowMs: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('login_failures').where('at_ms', '<=', nowMs - this.opts.windowMs).execute();
      await trx
        .insertInto('login_failures')
        .values(keys(username, ip).map((key) => ({ key, at_ms: nowMs })))
        .execute();
    });
  }

  /** A good password clears the name's count (not the address's: one good account must not unlock guessing others). */
  async recordSuccess(username: string): Promise<void> {
    await this.db.deleteFrom('login_failures').where('key', '=', userKey(username)).execute();
  }
}

/**
 * The wait, from the failures inside the window (any order): for each key with `maxFailures` or
 * more, until enough of them have left the window for one more try.
 */
export function retryAfterMs(failures: readonly { key: string; atMs: number }[], opts: LoginLimiterOptions, nowMs: number): number {
  const byKey = new Map<string, number[]>();
  for (const f of failures) {
    if (f.atMs <= nowMs - opts.windowMs) continue;
    const list = byKey.get(f.key) ?? [];
    list.push(f.atMs);
    byKey.set(f.key, list);
  }
  let wait = 0;
  for (const times of byKey.values()) {
    if (times.length < opts.maxFailures) continue;
    times.sort((a, b) => b - a);
    // The maxFailures-th newest failure must leave the window before the count drops below the limit.
    const blocking = times[opts.maxFailures - 1] as number;
    wait = Math.max(wait, blocking + opts.windowMs - nowMs);
  }
  return wait;
}

function userKey(username: string): string {
  return `user:${username.toLowerCase()}`;
}

function keys(username: string, ip: string): string[] {
  return [userKey(username), `ip:${ip}`];
}
