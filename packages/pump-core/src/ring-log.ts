/**
 * A bounded, append-only log: every record gets the next sequence number, and when the log is
 * full the oldest record is overwritten first (DOMAIN 4.8). Reading from a sequence number lets a
 * programmer page through the log and notice records it missed (the gap between the sequence it
 * asked for and the first one it got).
 *
 * Storage is by column (typed arrays for the numbers, plain arrays for type and data), and a
 * record object is built only when someone reads it: the pump appends far more often than anyone
 * reads, and thousands of long-lived record objects kept the garbage collector busy copying them.
 */
export interface LogRecord<T extends string = string> {
  seq: number;
  utcMs: number;
  utcOffsetMs: number;
  type: T;
  data: Readonly<Record<string, number | string | boolean | null>>;
}

type LogData = Readonly<Record<string, number | string | boolean | null>>;

export class RingLog<T extends string = string> {
  readonly capacity: number;
  /** Sequence number held in each slot, 0 for a slot never written (sequences start at 1). */
  private readonly seqs: Float64Array;
  private readonly utcs: Float64Array;
  private readonly offsets: Float64Array;
  private readonly types: (T | undefined)[];
  private readonly datas: (LogData | undefined)[];
  /**
   * Records handed in by fromRecords (restored from memory), kept as they came so a read returns
   * exactly what was restored, whatever its shape; null until a restore puts one there.
   */
  private restored: (LogRecord<T> | undefined)[] | null = null;
  private nextSeq: number;

  constructor(capacity: number, nextSeq = 1) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError(`log capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.seqs = new Float64Array(capacity);
    this.utcs = new Float64Array(capacity);
    this.offsets = new Float64Array(capacity);
    this.types = new Array<T | undefined>(capacity).fill(undefined);
    this.datas = new Array<LogData | undefined>(capacity).fill(undefined);
    this.nextSeq = nextSeq;
  }

  append(record: Omit<LogRecord<T>, 'seq'>): LogRecord<T> {
    const seq = this.nextSeq;
    this.push(record.utcMs, record.utcOffsetMs, record.type, record.data);
    return { seq, utcMs: record.utcMs, utcOffsetMs: record.utcOffsetMs, type: record.type, data: record.data };
  }

  /** append() without building a record: the pump's own logging calls this on every logged event. */
  push(utcMs: number, utcOffsetMs: number, type: T, data: LogData): void {
    const slot = this.nextSeq % this.capacity;
    this.seqs[slot] = this.nextSeq;
    this.utcs[slot] = utcMs;
    this.offsets[slot] = utcOffsetMs;
    this.types[slot] = type;
    this.datas[slot] = data;
    if (this.restored !== null) this.restored[slot] = undefined;
    this.nextSeq += 1;
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
      const slot = seq % this.capacity;
      if (this.seqs[slot] !== seq) continue;
      const r = this.restored?.[slot];
      if (r !== undefined) {
        out.push(r);
        continue;
      }
      out.push({ seq, utcMs: this.utcs[slot] ?? 0, utcOffsetMs: this.offsets[slot] ?? 0, type: this.types[slot] as T, data: this.datas[slot] as LogData });
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
    if (records.length > 0) log.restored = new Array<LogRecord<T> | undefined>(capacity).fill(undefined);
    for (const r of records) {
      const slot = r.seq % capacity;
      log.seqs[slot] = r.seq;
      if (log.restored !== null) log.restored[slot] = r;
    }
    return log;
  }
}
