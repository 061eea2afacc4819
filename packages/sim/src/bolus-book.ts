/** Every bolus of every kind: when it started, what was asked, what was delivered and when it ended. */
import type { PumpOutput } from '@thecal/pump-core';
import type { BolusRowT } from './report-schema.ts';
import { isoOf } from './time-syntax.ts';

export class BolusBook {
  readonly rows: BolusRowT[] = [];
  private readonly running = new Map<string, BolusRowT>();

  started(commandId: string, kind: BolusRowT['kind'], eventIndex: number, atMs: number, requestedNl: number): void {
    const row: BolusRowT = {
      commandId,
      kind,
      eventIndex,
      startedAt: isoOf(atMs),
      startedAtMs: atMs,
      requestedNl,
      deliveredNl: null,
      completed: null,
      endedAt: null,
      endedAtMs: null,
    };
    this.rows.push(row);
    this.running.set(commandId, row);
  }

  onOutput(o: PumpOutput): void {
    if (o.type !== 'bolus-ended') return;
    const row = this.running.get(o.commandId);
    if (row === undefined) return;
    row.deliveredNl = o.deliveredNl;
    row.completed = o.completed;
    row.endedAt = isoOf(o.atMs);
    row.endedAtMs = o.atMs;
    this.running.delete(o.commandId);
  }
}
