/**
 * The patient's wall clock: the scenario's UTC offset at the start, changed by every
 * `set-utc-offset` event. Series of patient-bolus requests are written in this local time.
 * A local time that occurs twice (clocks go back) means its first occurrence; one that does not
 * occur (clocks go forward) is moved forward by the jump, like Temporal's "compatible" choice.
 */
import { MS_PER_DAY, weekdayOf } from '@thecal/pump-core';

export interface OffsetChange {
  atMs: number;
  utcOffsetMs: number;
}

export class OffsetTimeline {
  private readonly startsMs: number[];
  private readonly offsetsMs: number[];

  /** `changes` must be in time order. */
  constructor(initialOffsetMs: number, changes: readonly OffsetChange[]) {
    this.startsMs = [Number.NEGATIVE_INFINITY, ...changes.map((c) => c.atMs)];
    this.offsetsMs = [initialOffsetMs, ...changes.map((c) => c.utcOffsetMs)];
  }

  private segmentAt(utcMs: number): number {
    let i = this.startsMs.length - 1;
    while (i > 0 && (this.startsMs[i] ?? 0) > utcMs) i--;
    return i;
  }

  offsetAt(utcMs: number): number {
    return this.offsetsMs[this.segmentAt(utcMs)] ?? 0;
  }

  localMs(utcMs: number): number {
    return utcMs + this.offsetAt(utcMs);
  }

  /** The UTC instant a patient means by a local wall-clock time. */
  utcOfLocal(localMs: number): number {
    for (let i = 0; i < this.offsetsMs.length; i++) {
      const candidate = localMs - (this.offsetsMs[i] ?? 0);
      const from = this.startsMs[i] ?? Number.NEGATIVE_INFINITY;
      const to = this.startsMs[i + 1] ?? Number.POSITIVE_INFINITY;
      if (candidate >= from && candidate < to) return candidate;
    }
    // In a gap: keep the offset from before the jump, which lands after it.
    for (let i = 1; i < this.offsetsMs.length; i++) {
      const before = this.offsetsMs[i - 1] ?? 0;
      const after = this.offsetsMs[i] ?? 0;
      const at = this.startsMs[i] ?? 0;
      if (localMs - before >= at && localMs - after < at) return localMs - before;
    }
    return localMs - (this.offsetsMs[this.offsetsMs.length - 1] ?? 0);
  }

  /** Local calendar day number (days since 1970-01-01 local). */
  localDay(utcMs: number): number {
    return Math.floor(this.localMs(utcMs) / MS_PER_DAY);
  }

  weekday(utcMs: number): number {
    return weekdayOf(this.localMs(utcMs));
  }
}
