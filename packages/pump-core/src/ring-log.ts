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
export type LogValue = number | string | boolean | null;

/** The most values a record pushed by layout (pushFields) can have. */
export const LOG_LAYOUT_MAX_FIELDS = 5;

/**
 * The keys of one kind of record's data, in order, known in advance: a record of that kind can be
 * pushed as its values (RingLog.pushFields), and its data object is built only when it is read.
 */
export class LogLayout {
  readonly keys: readonly string[];
  constructor(keys: readonly string[]) {
    if (keys.length > LOG_LAYOUT_MAX_FIELDS) throw new RangeError(`a log layout has at most ${LOG_LAYOUT_MAX_FIELDS} keys, got ${keys.length}`);
    this.keys = [...keys];
  }
}

export class RingLog<T extends string = string> {
  readonly capacity: number;
  /** Sequence number held in each slot, 0 for a slot never written (sequences start at 1). */
  private readonly seqs: Float64Array;
  private readonly utcs: Float64Array;
  private readonly offsets: Float64Array;
  private readonly types: (T | undefined)[];
  /** A record's data object, or for a record pushed by layout (pushFields) its layout. */
  private readonly datas: (LogData | LogLayout | undefined)[];
  /**
   * For a record pushed by layout: its values in LOG_LAYOUT_MAX_FIELDS columns per
   * slot (numbers in `nums`; strings, booleans and null in `refs`, where undefined means "a number").
   * A data object kept for every record outlived the young generation (the therapy log holds about
   * two years of a patient's boluses), so each scavenge copied them all: values in columns are not
   * objects to copy. The columns are made on the first such push and grow with the slots written
   * (a young pump, or one that pushes a record by layout only once a day, keeps them small).
   */
  private nums: Float64Array | null = null;
  private refs: (LogValue | undefined)[] | null = null;
  /** Slots the value columns have room for (0 until the first pushFields). */
  private columnSlots = 0;
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
    this.datas = new Array<LogData | LogLayout | undefined>(capacity).fill(undefined);
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

  /**
   * push() of a record whose data has `layout`'s keys, given as values in the same order: reads
   * give the same record as push(utcMs, utcOffsetMs, type, { [keys[0]]: a, ... }) would have.
   * Values past the layout's keys are ignored.
   */
  pushFields(utcMs: number, utcOffsetMs: number, type: T, layout: LogLayout, a?: LogValue, b?: LogValue, c?: LogValue, d?: LogValue, e?: LogValue): void {
    const slot = this.nextSeq % this.capacity;
    this.seqs[slot] = this.nextSeq;
    this.utcs[slot] = utcMs;
    this.offsets[slot] = utcOffsetMs;
    this.types[slot] = type;
    this.datas[slot] = layout;
    if (this.restored !== null) this.restored[slot] = undefined;
    if (slot >= this.columnSlots) this.growColumns(slot);
    const nums = this.nums as Float64Array;
    const refs = this.refs as (LogValue | undefined)[];
    // Every column of the slot is written, so nothing of the record it replaces stays referenced.
    const k = slot * LOG_LAYOUT_MAX_FIELDS;
    if (typeof a === 'number') {
      nums[k] = a;
      refs[k] = undefined;
    } else refs[k] = a;
    if (typeof b === 'number') {
      nums[k + 1] = b;
      refs[k + 1] = undefined;
    } else refs[k + 1] = b;
    if (typeof c === 'number') {
      nums[k + 2] = c;
      refs[k + 2] = undefined;
    } else refs[k + 2] = c;
    if (typeof d === 'number') {
      nums[k + 3] = d;
      refs[k + 3] = undefined;
    } else refs[k + 3] = d;
    if (typeof e === 'number') {
      nums[k + 4] = e;
      refs[k + 4] = undefined;
    } else refs[k + 4] = e;
    this.nextSeq += 1;
  }

  /** Room in the value columns up to `slot` at least (doubling, at most the capacity), keeping what they hold. */
  private growColumns(slot: number): void {
    let slots = Math.max(64, this.columnSlots);
    while (slots <= slot) slots *= 2;
    slots = Math.min(slots, this.capacity);
    const nums = new Float64Array(slots * LOG_LAYOUT_MAX_FIELDS);
    const refs = new Array<LogValue | undefined>(slots * LOG_LAYOUT_MAX_FIELDS).fill(undefined);
    if (this.nums !== null) nums.set(this.nums);
    if (this.refs !== null) for (let i = 0; i < this.refs.length; i++) refs[i] = this.refs[i];
    this.nums = nums;
    this.refs = refs;
    this.columnSlots = slots;
  }

  /** The data object of a record pushed by layout, built now (its keys in the layout's order). */
  private dataOf(slot: number, layout: LogLayout): LogData {
    const data: Record<string, LogValue> = {};
    const k = slot * LOG_LAYOUT_MAX_FIELDS;
    const keys = layout.keys;
    for (let i = 0; i < keys.length; i++) {
      const ref = this.refs?.[k + i];
      data[keys[i] as string] = ref !== undefined ? ref : (this.nums?.[k + i] ?? 0);
    }
    return data;
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
      const stored = this.datas[slot];
      const data = stored instanceof LogLayout ? this.dataOf(slot, stored) : (stored as LogData);
      out.push({ seq, utcMs: this.utcs[slot] ?? 0, utcOffsetMs: this.offsets[slot] ?? 0, type: this.types[slot] as T, data });
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
