/**
 * Every alarm episode: when it was raised, when the clinician or patient cleared (silenced) it,
 * when it ended, and how many times it sounded. Raises, resolutions and tones come from the pump's
 * outputs; alarms the pump drops without an output (a committed program ending the safe state, a
 * cleared refill reminder) are found by comparing with the pump's active list after such commands,
 * and a flat battery, which silences everything, from its event-log record.
 */
import { CRITICAL_ALARMS, type AlarmCode, type LogRecord, type PumpOutput } from '@thecal/pump-core';
import type { AlarmRowT } from './report-schema.ts';
import { isoOf } from './time-syntax.ts';

export class AlarmBook {
  readonly rows: AlarmRowT[] = [];
  private readonly open = new Map<AlarmCode, AlarmRowT>();

  onOutput(o: PumpOutput): void {
    if (o.type === 'alarm-raised') {
      const row: AlarmRowT = {
        code: o.code,
        critical: CRITICAL_ALARMS.has(o.code),
        raisedAt: isoOf(o.atMs),
        raisedAtMs: o.atMs,
        clearedAt: null,
        clearedAtMs: null,
        resolvedAt: null,
        resolvedAtMs: null,
        resolvedHow: null,
        tones: 0,
      };
      this.rows.push(row);
      this.open.set(o.code, row);
    } else if (o.type === 'alarm-resolved') {
      this.resolve(o.code, o.atMs, 'condition-ended');
    } else if (o.type === 'tone' && !o.test) {
      const row = this.open.get(o.code);
      if (row !== undefined) row.tones += 1;
    }
  }

  onCleared(code: AlarmCode, atMs: number): void {
    const row = this.open.get(code);
    if (row !== undefined && row.clearedAtMs === null) {
      row.clearedAt = isoOf(atMs);
      row.clearedAtMs = atMs;
    }
  }

  /** An event-log record: a flat battery silences every alarm without an output per alarm. */
  onEventRecord(record: LogRecord, trueMs: number): void {
    if (record.type === 'battery-depleted') for (const code of [...this.open.keys()]) this.resolve(code, trueMs, 'battery-depleted');
  }

  /** Close every open episode the pump no longer lists. */
  reconcile(activeCodes: ReadonlySet<AlarmCode>, atMs: number, how: 'cleared' | 'program-committed' | 'no-longer-listed'): void {
    for (const code of [...this.open.keys()]) if (!activeCodes.has(code)) this.resolve(code, atMs, how);
  }

  private resolve(code: AlarmCode, atMs: number, how: NonNullable<AlarmRowT['resolvedHow']>): void {
    const row = this.open.get(code);
    if (row === undefined) return;
    row.resolvedAt = isoOf(atMs);
    row.resolvedAtMs = atMs;
    row.resolvedHow = how;
    this.open.delete(code);
  }
}
