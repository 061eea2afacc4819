/**
 * Log pages on the air. Interrogating 90 days of logs is most of a session's bytes, so records
 * are packed: sequence numbers are implicit (+1) unless there is a gap, times are deltas from the
 * previous record, the local offset is sent only when it changes, the record type is a dictionary
 * entry, and data values repeated from the previous record under the same key cost one byte.
 * Lossless: decoding gives back exactly the pump's records. Layout: docs/protocol.md, "Log pages".
 */
import type { LogRecord } from '@thecal/pump-core';
import { ByteReader, ByteWriter } from './bytes.ts';
import { ProtocolError } from './errors.ts';
import { TAG, readKey, readValue, writeKey, writeValue, toValue, type Memo, type Value } from './value-codec.ts';

const FLAG_SEQ_GAP = 0x01;
const FLAG_OFFSET = 0x02;
const FLAG_TIME_BACK = 0x04;
/** Data has the same keys as the previous record of this type: a bit mask of changed fields, then only those. */
const FLAG_DIFF = 0x08;
const KNOWN_FLAGS = FLAG_SEQ_GAP | FLAG_OFFSET | FLAG_TIME_BACK | FLAG_DIFF;
const MAX_DIFF_KEYS = 31;

type Primitive = null | boolean | number | string;
interface Shape {
  keys: string[];
  values: Primitive[];
}

function isPrimitive(v: unknown): v is Primitive {
  return v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string';
}

/** The data as a shape if it is flat (primitives only) and small enough to diff. */
function shapeOf(data: LogRecord['data']): Shape | null {
  const keys = Object.keys(data);
  if (keys.length > MAX_DIFF_KEYS) return null;
  const values: Primitive[] = [];
  for (const k of keys) {
    const v = data[k];
    if (!isPrimitive(v)) return null;
    values.push(v);
  }
  return { keys, values };
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

/** A value under a key, one byte if it equals the key's previous value in the page. */
function writeMemoValue(w: ByteWriter, key: string, v: Primitive, memo: Memo): void {
  const prev = memo.get(key);
  if (prev !== undefined && Object.is(prev, v)) w.u8(TAG.sameAsPrevious);
  else writeValue(w, v);
  memo.set(key, v);
}

function zigzag(n: number): number {
  return n >= 0 ? 2 * n : -2 * n - 1;
}
function unzigzag(n: number): number {
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}

/**
 * Pack as many records as fit in `budgetBytes` (at least one, if any are given and it fits at
 * all). Returns the bytes and how many records they hold.
 */
export function encodeLogRecords(records: readonly LogRecord[], budgetBytes: number): { bytes: Uint8Array; count: number } {
  const chunks: Uint8Array[] = [];
  let used = 0;
  const memo: Memo = new Map();
  const shapes = new Map<string, Shape>();
  const firstSeq = records[0]?.seq ?? 0;
  let prevSeq = firstSeq - 1;
  let prevUtc = 0;
  let prevOffset = 0;
  const headerRoom = 16;
  for (const rec of records) {
    const w = new ByteWriter(48);
    let flags = 0;
    if (rec.seq !== prevSeq + 1) flags |= FLAG_SEQ_GAP;
    if (rec.utcOffsetMs !== prevOffset) flags |= FLAG_OFFSET;
    if (rec.utcMs < prevUtc) flags |= FLAG_TIME_BACK;
    const shape = shapeOf(rec.data);
    const before = shapes.get(rec.type);
    if (shape !== null && before !== undefined && sameKeys(shape.keys, before.keys)) flags |= FLAG_DIFF;
    w.u8(flags);
    if (flags & FLAG_SEQ_GAP) {
      if (rec.seq <= prevSeq) throw new RangeError(`log records out of order: ${rec.seq} after ${prevSeq}`);
      w.varint(rec.seq - prevSeq - 1);
    }
    w.varint(Math.abs(rec.utcMs - prevUtc));
    if (flags & FLAG_OFFSET) w.varint(zigzag(rec.utcOffsetMs));
    writeKey(w, rec.type);
    // The memos change as a record is written: work on copies, keep them only if the record fits.
    const memoAfter: Memo = new Map(memo);
    if (flags & FLAG_DIFF && shape !== null && before !== undefined) {
      let mask = 0;
      shape.values.forEach((v, i) => {
        if (!Object.is(v, before.values[i])) mask += 2 ** i;
      });
      w.varint(mask);
      shape.values.forEach((v, i) => {
        if (!Object.is(v, before.values[i])) writeMemoValue(w, shape.keys[i] ?? '', v, memoAfter);
      });
      shape.keys.forEach((k, i) => memoAfter.set(k, shape.values[i] ?? null));
    } else {
      writeValue(w, toValue(rec.data), memoAfter);
    }
    const chunk = w.finish();
    if (used + chunk.length + headerRoom > budgetBytes) break;
    chunks.push(chunk);
    used += chunk.length;
    memo.clear();
    for (const [k, v] of memoAfter) memo.set(k, v);
    if (shape !== null) shapes.set(rec.type, shape);
    else shapes.delete(rec.type);
    prevSeq = rec.seq;
    prevUtc = rec.utcMs;
    prevOffset = rec.utcOffsetMs;
  }
  const out = new ByteWriter(used + headerRoom).varint(firstSeq).varint(chunks.length);
  for (const c of chunks) out.bytes(c);
  return { bytes: out.finish(), count: chunks.length };
}

export function decodeLogRecords(bytes: Uint8Array): LogRecord[] {
  const r = new ByteReader(bytes, 'log page');
  const firstSeq = r.varint('first sequence number');
  const count = r.varint('record count');
  if (count > r.remaining) throw new ProtocolError('too-many-items', `log page claims ${count} records in ${r.remaining} bytes`);
  const memo: Memo = new Map();
  const shapes = new Map<string, Shape>();
  const out: LogRecord[] = [];
  let prevSeq = firstSeq - 1;
  let prevUtc = 0;
  let prevOffset = 0;
  for (let i = 0; i < count; i++) {
    const flags = r.u8('record flags');
    if ((flags & ~KNOWN_FLAGS) !== 0) throw new ProtocolError('bad-field', `log record ${i}: unknown flag bits 0x${flags.toString(16)}`);
    const seq = prevSeq + 1 + (flags & FLAG_SEQ_GAP ? r.varint('sequence gap') : 0);
    const delta = r.varint('time delta');
    const utcMs = flags & FLAG_TIME_BACK ? prevUtc - delta : prevUtc + delta;
    const utcOffsetMs = flags & FLAG_OFFSET ? unzigzag(r.varint('utc offset')) : prevOffset;
    const type = readKey(r);
    let data: Value;
    if (flags & FLAG_DIFF) {
      const before = shapes.get(type);
      if (before === undefined) throw new ProtocolError('bad-field', `log record ${i}: a diff against no earlier "${type}" record`);
      const mask = r.varint('changed-field mask');
      if (mask >= 2 ** before.keys.length) throw new ProtocolError('bad-field', `log record ${i}: mask names fields "${type}" does not have`);
      const obj: { [k: string]: Value } = {};
      before.keys.forEach((k, j) => {
        if (Math.floor(mask / 2 ** j) % 2 === 1) {
          const v = readValue(r, memo, 1, k);
          if (!isPrimitive(v)) throw new ProtocolError('bad-field', `log record ${i}: data.${k} is not a number, string, boolean or null`);
          memo.set(k, v);
          obj[k] = v;
        } else obj[k] = before.values[j] ?? null;
      });
      for (const k of before.keys) memo.set(k, obj[k] as Primitive);
      data = obj;
    } else {
      data = readValue(r, memo, 1);
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data) || data instanceof Uint8Array) throw new ProtocolError('bad-field', `log record ${i}: data is not a map`);
    for (const [k, v] of Object.entries(data)) {
      if (v !== null && typeof v === 'object') throw new ProtocolError('bad-field', `log record ${i}: data.${k} is not a number, string, boolean or null`);
    }
    if (!Number.isSafeInteger(utcMs)) throw new ProtocolError('bad-field', `log record ${i}: time out of range`);
    const rec: LogRecord = { seq, utcMs, utcOffsetMs, type, data: data as LogRecord['data'] };
    out.push(rec);
    const shape = shapeOf(rec.data);
    if (shape !== null) shapes.set(type, shape);
    else shapes.delete(type);
    prevSeq = seq;
    prevUtc = utcMs;
    prevOffset = utcOffsetMs;
  }
  r.end();
  return out;
}
