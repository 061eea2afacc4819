/**
 * What an interrogation shows the clinician as a problem: the pump's active alarms, faults in the
 * event log it read (a stall, a restart, a failed self-test, ERI, an invariant the pump caught), a
 * refill whose withdrawn residual was off by more than the model's threshold, and a pump clock
 * more than CLOCK_TOLERANCE_MS away from the programmer's own clock.
 *
 * The programmer's Summary lists these findings; the fault-detection campaign
 * (apps/cli/src/faults) asks this same function what the programmer would have shown at each
 * visit, so the fault table's programmer column is this code's answer, not a model of it. Pure: the
 * programmer's clock is an input.
 */
import { ALARM_KINDS, type AlarmCode, type PumpModelId } from '@thecal/pump-core';
import { residualCheck } from './refill.ts';

/** The programmer reads this many of the newest event-log records when it interrogates (the Summary's recent events). */
export const INTERROGATION_RECENT_EVENTS = 30;

/** A pump clock further than this from the programmer's is shown as a problem (the clinician may set it). */
export const CLOCK_TOLERANCE_MS = 5 * 60_000;

/**
 * Event-log records that mean the pump itself found something wrong. Not here: records of normal
 * work (programming, refills, boluses, interrogations), a recovery (its stall is listed), and
 * alarm records (an active alarm is listed from the status, a past critical one below).
 */
const LOG_FAULTS: Readonly<Record<string, { critical: boolean; text: string }>> = {
  'motor-stall': { critical: true, text: 'the motor stalled' },
  'battery-depleted': { critical: true, text: 'the battery was depleted' },
  'power-restored': { critical: true, text: 'the pump restarted after a power loss' },
  'invariant-violation': { critical: true, text: 'the pump stopped on a broken safety invariant' },
  'end-of-service': { critical: true, text: 'the battery reached end of service' },
  eri: { critical: false, text: 'the battery reached its elective replacement indicator' },
};

export type FindingKind = 'alarm' | 'log-fault' | 'refill-discrepancy' | 'clock';

export interface InterrogationFinding {
  kind: FindingKind;
  /** The alarm code, the event type, 'refill-discrepancy' or 'clock-difference'. */
  code: string;
  critical: boolean;
  /** Pump UTC of the newest alarm or log record it comes from; null for the clock. */
  atPumpUtcMs: number | null;
  /** Sequence number of the newest event-log record it comes from; null for an active alarm or the clock. */
  seq: number | null;
  /** How many log records say it (1 for an alarm or the clock). */
  count: number;
  message: string;
}

/** The parts of an interrogation the findings depend on (a PumpStatus and LogRecords fit). */
export interface InterrogationView {
  status: {
    model: PumpModelId;
    pumpUtcMs: number;
    alarms: readonly { code: AlarmCode; critical: boolean; raisedAtMs: number }[];
  };
  /** The event-log records the programmer read at this interrogation (its recent page). */
  events: readonly { seq: number; utcMs: number; type: string; data: Readonly<Record<string, number | string | boolean | null>> }[];
  /**
   * The programmer's own clock when it read the pump, UTC ms; null when the pump's clock cannot
   * be compared with it (a simulated pump running faster than real time says so).
   */
  programmerUtcMs: number | null;
}

const minutes = (ms: number) => Math.round(ms / 60_000);

/** The problems to show, most serious first: critical before non-critical, then alarms, log, refill, clock. */
export function interrogationFindings(v: InterrogationView): InterrogationFinding[] {
  const out: InterrogationFinding[] = [];
  for (const a of v.status.alarms) {
    out.push({ kind: 'alarm', code: a.code, critical: a.critical, atPumpUtcMs: a.raisedAtMs, seq: null, count: 1, message: `${a.critical ? 'critical' : 'non-critical'} alarm ${a.code} active` });
  }
  // Log records grouped by what they say, newest kept: a stall re-detected at every stroke is one finding.
  const grouped = new Map<string, InterrogationFinding>();
  const add = (key: string, f: Omit<InterrogationFinding, 'count'>) => {
    const had = grouped.get(key);
    if (had === undefined) grouped.set(key, { ...f, count: 1 });
    else grouped.set(key, { ...f, count: had.count + 1, seq: Math.max(had.seq ?? 0, f.seq ?? 0), atPumpUtcMs: Math.max(had.atPumpUtcMs ?? 0, f.atPumpUtcMs ?? 0) });
  };
  const active = new Set(v.status.alarms.map((a) => a.code));
  for (const r of v.events) {
    const fault = LOG_FAULTS[r.type];
    if (fault !== undefined) add(`log:${r.type}`, { kind: 'log-fault', code: r.type, critical: fault.critical, atPumpUtcMs: r.utcMs, seq: r.seq, message: `log: ${fault.text}` });
    else if (r.type === 'self-test' && r.data['result'] !== 'ok') add('log:self-test', { kind: 'log-fault', code: 'self-test', critical: true, atPumpUtcMs: r.utcMs, seq: r.seq, message: `log: self-test ${String(r.data['result'])}` });
    else if (r.type === 'alarm-raised' && typeof r.data['code'] === 'string' && r.data['code'] in ALARM_KINDS && ALARM_KINDS[r.data['code'] as AlarmCode] === 'critical' && !active.has(r.data['code'] as AlarmCode)) {
      // A critical alarm that is no longer active still happened: the clinician must know.
      add(`past:${r.data['code']}`, { kind: 'log-fault', code: r.data['code'], critical: true, atPumpUtcMs: r.utcMs, seq: r.seq, message: `log: critical alarm ${r.data['code']} was raised (no longer active)` });
    } else if (r.type === 'refill') {
      const expectedNl = r.data['expectedNl'];
      const withdrawnNl = r.data['withdrawnNl'];
      if (!Number.isSafeInteger(expectedNl) || !Number.isSafeInteger(withdrawnNl) || (expectedNl as number) < 0 || (withdrawnNl as number) < 0) continue;
      // The same check the refill form shows before the refill is committed.
      const check = residualCheck(v.status.model, expectedNl as number, withdrawnNl as number);
      if (!check.flagged) continue;
      const ml = (nl: number) => (nl / 1_000_000).toFixed(2);
      add('refill', {
        kind: 'refill-discrepancy',
        code: 'refill-discrepancy',
        critical: false,
        atPumpUtcMs: r.utcMs,
        seq: r.seq,
        message: `refill residual: withdrew ${ml(check.withdrawnNl)} mL, the pump expected ${ml(check.expectedNl)} mL${check.possiblePocketOrAccessPort ? ' (less than expected: check for a pocket fill or a catheter access-port injection)' : ''}`,
      });
    }
  }
  out.push(...grouped.values());
  const offMs = v.programmerUtcMs === null ? 0 : v.status.pumpUtcMs - v.programmerUtcMs;
  if (Math.abs(offMs) > CLOCK_TOLERANCE_MS) {
    out.push({ kind: 'clock', code: 'clock-difference', critical: false, atPumpUtcMs: null, seq: null, count: 1, message: `pump clock ${minutes(Math.abs(offMs))} min ${offMs > 0 ? 'ahead of' : 'behind'} the programmer's` });
  }
  const order: Record<FindingKind, number> = { alarm: 0, 'log-fault': 1, 'refill-discrepancy': 2, clock: 3 };
  // Stable sort: within a rank, alarms keep the pump's order and log findings their first appearance.
  return out.sort((a, b) => Number(b.critical) - Number(a.critical) || order[a.kind] - order[b.kind]);
}
