/**
 * Login rate limiting: after `maxFailures` failed logins for one user name, or from one address,
 * within `windowMs`, further attempts are refused until the window has passed. Counting by both
 * stops guessing one account from many addresses and many accounts from one address. Kept in
 * memory: a restart forgets it, which only ever lets an attacker start one window again.
 */
export interface LoginLimiterOptions {
  maxFailures: number;
  windowMs: number;
  /** Bounds memory under a flood of distinct names. */
  maxKeys?: number;
}

export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();
  private readonly maxKeys: number;

  constructor(private readonly opts: LoginLimiterOptions) {
    this.maxKeys = opts.maxKeys ?? 100_000;
  }

  /** Milliseconds until a login for this name from this address may be tried, or 0 now. */
  retryAfterMs(username: string, ip: string, nowMs: number): number {
    let wait = 0;
    for (const key of keys(username, ip)) {
      const recent = this.recent(key, nowMs);
      if (recent.length >= this.opts.maxFailures) wait = Math.max(wait, (recent[0] ?? nowMs) + this.opts.windowMs - nowMs);
    }
    return wait;
  }

  recordFailure(username: string, ip: string, nowMs: number): void {
    for (const key of keys(username, ip)) {
      if (!this.failures.has(key) && this.failures.size >= this.maxKeys) this.prune(nowMs);
      const list = this.recent(key, nowMs);
      list.push(nowMs);
      this.failures.set(key, list);
    }
  }

  recordSuccess(username: string): void {
    this.failures.delete(`user:${username.toLowerCase()}`);
  }

  private recent(key: string, nowMs: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((t) => t > nowMs - this.opts.windowMs);
    if (list.length === 0) this.failures.delete(key);
    else this.failures.set(key, list);
    return list;
  }

  private prune(nowMs: number): void {
    for (const key of [...this.failures.keys()]) this.recent(key, nowMs);
    // Still full: drop the oldest keys rather than grow without bound.
    for (const key of this.failures.keys()) {
      if (this.failures.size < this.maxKeys) break;
      this.failures.delete(key);
    }
  }
}

function keys(username: string, ip: string): string[] {
  return [`user:${username.toLowerCase()}`, `ip:${ip}`];
}
