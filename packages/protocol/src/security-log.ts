/**
 * Security events, written into the pump's own event log (`pump.logSecurityEvent`) and counted.
 *
 * Why a rate limit: anyone in radio range can send garbage, and the event log is a ring of 4 096
 * records. Unlimited logging would let an attacker overwrite the clinical history with noise. So
 * each kind writes at most `perWindow` records per window of link time; the rest are counted and
 * the count is written with the next record of that kind (or by `flush` when the window ends).
 * `counts` always has the exact totals.
 */
export type SecurityKind =
  | 'bad-frame'
  | 'unsupported-version'
  | 'unexpected-frame'
  | 'unknown-credential'
  | 'revoked-credential'
  | 'auth-failed'
  | 'auth-lockout'
  | 'hello-replay'
  | 'unknown-session'
  | 'session-expired'
  | 'decrypt-failed'
  | 'replay'
  | 'bad-request'
  | 'role-denied'
  | 'pairing-refused'
  | 'paired'
  | 'credential-revoked'
  | 'session-opened'
  | 'session-closed';

/** Kinds that are the normal course of events, always logged, never rate-limited. */
const ALWAYS: ReadonlySet<SecurityKind> = new Set(['paired', 'credential-revoked']);

export interface SecuritySink {
  (kind: SecurityKind, detail: string): void;
}

export class SecurityLog {
  readonly counts = new Map<SecurityKind, number>();
  private readonly windows = new Map<SecurityKind, { startMs: number; written: number; suppressed: number }>();

  constructor(
    private readonly sink: SecuritySink,
    private readonly perWindow = 10,
    private readonly windowMs = 60_000,
  ) {}

  count(kind: SecurityKind): number {
    return this.counts.get(kind) ?? 0;
  }

  get total(): number {
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }

  record(kind: SecurityKind, detail: string, linkMs: number): void {
    this.counts.set(kind, this.count(kind) + 1);
    if (ALWAYS.has(kind)) {
      this.sink(kind, detail);
      return;
    }
    let w = this.windows.get(kind);
    if (w === undefined || linkMs - w.startMs >= this.windowMs || linkMs < w.startMs) {
      const carried = w?.suppressed ?? 0;
      w = { startMs: linkMs, written: 0, suppressed: 0 };
      this.windows.set(kind, w);
      if (carried > 0) detail += ` (+${carried} similar suppressed before)`;
    }
    if (w.written < this.perWindow) {
      w.written += 1;
      this.sink(kind, w.suppressed > 0 ? `${detail} (+${w.suppressed} similar suppressed)` : detail);
      w.suppressed = 0;
    } else {
      w.suppressed += 1;
    }
  }

  /** Write the suppressed counts of windows that have ended, so the log states every occurrence. */
  flush(linkMs: number): void {
    for (const [kind, w] of this.windows) {
      if (w.suppressed > 0 && linkMs - w.startMs >= this.windowMs) {
        this.sink(kind, `${w.suppressed} similar event(s) suppressed by the rate limit`);
        this.windows.delete(kind);
      }
    }
  }
}
