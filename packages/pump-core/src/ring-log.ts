/**
 * A bounded, append-only log: every record gets the next sequence number, and when the log is
 * full the oldest record is overwritten first (DOMAIN 4.8). Reading from a sequence number lets a
 * programmer page through the log and notice records it missed (the gap between the sequence it
 * asked for and the first one it got).
 */
export interface LogRecord<T extends string = string> {
  seq: number;
  utcMs: number;
  utcOffsetMs: number;
  type: T;
  data: Readonly<Record<string, number | string | boolean | null>>;
}

export class RingLog<T extends string = string> {
  readonly capacity: number;
  private readonly records: (LogRecord<T> | undefined)[];
  private nextSeq: number;

  constructor(capacity: number, nextSeq = 1) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError(`log capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.records = new Array<LogRecord<T> | undefined>(capacity);
    this.nextSeq = nextSeq;
  }

  append(record: Omit<LogRecord<T>, 'seq'>): LogRecord<T> {
    const full: LogRecord<T> = { seq: this.nextSeq, utcMs: record.utcMs, utcOffsetMs: record.utcOffsetMs, type: record.type, data: record.data };
    this.records[this.nextSeq % this.capacity] = full;
    this.nextSeq += 1;
    return full;
  }

  /** Sequence number the next record will get. */
  get nextSequence(): number {
    return this.nextSeq;
  }

  get size(): number {
    return Math.min(this.nextSeq - 1, this.capacity);
  }

  get oldestSeq(): number {
    return Math.max(1, this.nextSeq - this.capacity);
  }

  /** Records with seq >= fromSeq, oldest first, at most `limit`. */
  readFrom(fromSeq: number, limit = this.capacity): LogRecord<T>[] {
    const out: LogRecord<T>[] = [];
    const start = Math.max(fromSeq, this.oldestSeq);
    for (let seq = start; seq < this.nextSeq && out.length < limit; seq++) {
      const r = this.records[seq % this.capacity];
      if (r !== undefined && r.seq === seq) out.push(r);
    }
    return out;
  }

  latest(count: number): LogRecord<T>[] {
    return this.readFrom(Math.max(1, this.nextSeq - count));
  }

  all(): LogRecord<T>[] {
    return this.readFrom(1);
  }

  static fromRecords<T extends string>(capacity: number, records: readonly LogRecord<T>[], nextSeq: number): RingLog<T> {
    const log = new RingLog<T>(capacity, nextSeq);
    for (const r of records) log.records[r.seq % capacity] = r;
    return log;
  }
}
