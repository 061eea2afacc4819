/**
 * TVE, the Thecal value encoding: how message bodies (JSON-like values) are written on the air.
 * A small tagged binary format in the spirit of CBOR, with two additions that matter on a slow
 * implant radio: map keys and common strings come from a fixed dictionary (one byte), and command
 * ids ("r:" + 16 hex digits) travel as their 8 raw bytes. Inside log pages a "same as the
 * previous value of this key" tag removes the repetition between records.
 *
 * Byte-by-byte description: docs/protocol.md, "Value encoding".
 */
import { ByteReader, ByteWriter, decodeUtf8, fromHex, toHex, utf8 } from './bytes.ts';
import { DICTIONARY_V1, dictionaryIndex } from './dictionary.ts';
import { ProtocolError } from './errors.ts';

export type Value = null | boolean | number | string | Uint8Array | Value[] | { [key: string]: Value };

export const TAG = {
  null: 0x00,
  false: 0x01,
  true: 0x02,
  uint: 0x03,
  negint: 0x04,
  float64: 0x05,
  string: 0x06,
  dictString: 0x07,
  bytes: 0x08,
  array: 0x09,
  map: 0x0a,
  sameAsPrevious: 0x0b,
  commandId: 0x0c,
} as const;

/** Nesting deeper than this is refused: no legitimate message comes close, a hostile one could exhaust the stack. */
export const MAX_DEPTH = 24;
/** Wire form of a command id: 8 random bytes. Inside the pump it is the string "r:" + 16 hex digits. */
export const COMMAND_ID_BYTES = 8;
const COMMAND_ID_PATTERN = /^r:[0-9a-f]{16}$/;

export function commandIdToString(raw: Uint8Array): string {
  return `r:${toHex(raw)}`;
}
export function commandIdToBytes(id: string): Uint8Array {
  if (!COMMAND_ID_PATTERN.test(id)) throw new RangeError(`command id must be "r:" + 16 lowercase hex digits, got "${id}"`);
  return fromHex(id.slice(2));
}
export function isCommandId(s: string): boolean {
  return COMMAND_ID_PATTERN.test(s);
}

/** Key -> last primitive value written under it: the context of the "same as previous" tag. */
export type Memo = Map<string, null | boolean | number | string>;

function isPrimitive(v: Value): v is null | boolean | number | string {
  return v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string';
}

export function writeValue(w: ByteWriter, v: Value, memo?: Memo, depth = 0): void {
  if (depth > MAX_DEPTH) throw new RangeError(`value nested deeper than ${MAX_DEPTH}`);
  if (v === null) {
    w.u8(TAG.null);
  } else if (typeof v === 'boolean') {
    w.u8(v ? TAG.true : TAG.false);
  } else if (typeof v === 'number') {
    if (Number.isSafeInteger(v) && !Object.is(v, -0)) {
      if (v >= 0) w.u8(TAG.uint).varint(v);
      else w.u8(TAG.negint).varint(-1 - v);
    } else {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setFloat64(0, v);
      w.u8(TAG.float64).bytes(b);
    }
  } else if (typeof v === 'string') {
    const idx = dictionaryIndex(v);
    if (idx !== undefined) w.u8(TAG.dictString).varint(idx);
    else if (COMMAND_ID_PATTERN.test(v)) w.u8(TAG.commandId).bytes(fromHex(v.slice(2)));
    else {
      const b = utf8.encode(v);
      w.u8(TAG.string).varint(b.length).bytes(b);
    }
  } else if (v instanceof Uint8Array) {
    w.u8(TAG.bytes).varint(v.length).bytes(v);
  } else if (Array.isArray(v)) {
    w.u8(TAG.array).varint(v.length);
    for (const item of v) writeValue(w, item, memo, depth + 1);
  } else {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined);
    w.u8(TAG.map).varint(entries.length);
    for (const [key, item] of entries) {
      writeKey(w, key);
      if (memo !== undefined && isPrimitive(item)) {
        const prev = memo.get(key);
        if (prev !== undefined && Object.is(prev, item)) {
          w.u8(TAG.sameAsPrevious);
          continue;
        }
        memo.set(key, item);
      }
      writeValue(w, item, memo, depth + 1);
    }
  }
}

export function writeKey(w: ByteWriter, key: string): void {
  const idx = dictionaryIndex(key);
  if (idx !== undefined) w.varint(idx + 1);
  else {
    const b = utf8.encode(key);
    w.varint(0).varint(b.length).bytes(b);
  }
}

export function readKey(r: ByteReader): string {
  const k = r.varint('map key');
  if (k === 0) {
    const len = r.varint('map key length');
    if (len > r.remaining) throw new ProtocolError('truncated', `map key of ${len} bytes but only ${r.remaining} left`);
    return decodeUtf8(r.bytes(len, 'map key'), 'map key');
  }
  const s = DICTIONARY_V1[k - 1];
  if (s === undefined) throw new ProtocolError('unknown-dictionary-entry', `map key refers to dictionary entry ${k - 1}, the v1 dictionary has ${DICTIONARY_V1.length}`);
  return s;
}

export function readValue(r: ByteReader, memo?: Memo, depth = 0, key?: string): Value {
  if (depth > MAX_DEPTH) throw new ProtocolError('too-deep', `value nested deeper than ${MAX_DEPTH}`);
  const tag = r.u8('value tag');
  switch (tag) {
    case TAG.null:
      return null;
    case TAG.false:
      return false;
    case TAG.true:
      return true;
    case TAG.uint:
      return r.varint('unsigned integer');
    case TAG.negint:
      return -1 - r.varint('negative integer');
    case TAG.float64:
      return new DataView(r.bytes(8, 'float64').buffer).getFloat64(0);
    case TAG.string: {
      const len = r.varint('string length');
      if (len > r.remaining) throw new ProtocolError('truncated', `string of ${len} bytes but only ${r.remaining} left`);
      return decodeUtf8(r.bytes(len, 'string'), 'string');
    }
    case TAG.dictString: {
      const i = r.varint('dictionary string');
      const s = DICTIONARY_V1[i];
      if (s === undefined) throw new ProtocolError('unknown-dictionary-entry', `string refers to dictionary entry ${i}, the v1 dictionary has ${DICTIONARY_V1.length}`);
      return s;
    }
    case TAG.bytes: {
      const len = r.varint('byte string length');
      if (len > r.remaining) throw new ProtocolError('truncated', `byte string of ${len} bytes but only ${r.remaining} left`);
      return r.bytes(len, 'byte string');
    }
    case TAG.array: {
      const n = r.varint('array length');
      // Every item takes at least one byte: a count beyond the bytes left is a lie, refuse it before allocating.
      if (n > r.remaining) throw new ProtocolError('too-many-items', `array claims ${n} items, only ${r.remaining} bytes left`);
      const out: Value[] = [];
      for (let i = 0; i < n; i++) out.push(readValue(r, memo, depth + 1));
      return out;
    }
    case TAG.map: {
      const n = r.varint('map size');
      if (2 * n > r.remaining) throw new ProtocolError('too-many-items', `map claims ${n} entries, only ${r.remaining} bytes left`);
      const out: { [key: string]: Value } = {};
      for (let i = 0; i < n; i++) {
        const k = readKey(r);
        if (k === '__proto__' || Object.prototype.hasOwnProperty.call(out, k)) throw new ProtocolError('bad-field', `map key "${k}" is repeated or not allowed`);
        const item = readValue(r, memo, depth + 1, k);
        if (memo !== undefined && isPrimitive(item)) memo.set(k, item);
        out[k] = item;
      }
      return out;
    }
    case TAG.sameAsPrevious: {
      if (memo === undefined || key === undefined) throw new ProtocolError('bad-tag', '"same as previous" tag outside a log page map entry');
      const prev = memo.get(key);
      if (prev === undefined) throw new ProtocolError('bad-tag', `"same as previous" for key "${key}" which has no previous value`);
      return prev;
    }
    case TAG.commandId:
      return commandIdToString(r.bytes(COMMAND_ID_BYTES, 'command id'));
    default:
      throw new ProtocolError('bad-tag', `unknown value tag 0x${tag.toString(16).padStart(2, '0')} at offset ${r.offset - 1}`);
  }
}

export function encodeValue(v: Value): Uint8Array {
  const w = new ByteWriter();
  writeValue(w, v);
  return w.finish();
}

export function decodeValue(b: Uint8Array, what = 'value'): Value {
  const r = new ByteReader(b, what);
  const v = readValue(r);
  r.end();
  return v;
}

/**
 * Plain JSON-like data (what the pump core returns) as a Value: drops undefined, refuses what has
 * no encoding (functions, class instances other than Uint8Array).
 */
export function toValue(x: unknown, path = '$'): Value {
  if (x === null || typeof x === 'boolean' || typeof x === 'number' || typeof x === 'string') return x;
  if (x instanceof Uint8Array) return x;
  if (Array.isArray(x)) return x.map((e, i) => toValue(e, `${path}[${i}]`));
  if (typeof x === 'object') {
    const out: { [k: string]: Value } = {};
    for (const [k, v] of Object.entries(x as Record<string, unknown>)) if (v !== undefined) out[k] = toValue(v, `${path}.${k}`);
    return out;
  }
  throw new TypeError(`${path}: ${typeof x} has no wire encoding`);
}
