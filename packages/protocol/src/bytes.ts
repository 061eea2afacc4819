/**
 * Byte reading and writing for the wire formats: big-endian fixed-width integers and unsigned
 * LEB128 varints. Only Uint8Array and DataView, so it runs unchanged in browsers.
 */
import { ProtocolError } from './errors.ts';

/** Largest integer a varint may carry: JavaScript's exact integer range. */
const MAX_VARINT = Number.MAX_SAFE_INTEGER;

export class ByteWriter {
  private buf: Uint8Array;
  private len = 0;

  constructor(initialBytes = 64) {
    this.buf = new Uint8Array(initialBytes);
  }

  get length(): number {
    return this.len;
  }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(v: number): this {
    this.room(1);
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.room(2);
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    this.room(4);
    new DataView(this.buf.buffer, this.buf.byteOffset).setUint32(this.len, v >>> 0);
    this.len += 4;
    return this;
  }

  /** An integer 0 .. 2^53-1 as 8 bytes big-endian. */
  u64(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`u64 must be a safe non-negative integer, got ${v}`);
    this.u32(Math.floor(v / 2 ** 32));
    return this.u32(v % 2 ** 32);
  }

  varint(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`varint must be a safe non-negative integer, got ${v}`);
    let x = v;
    while (x >= 0x80) {
      this.u8((x % 0x80) | 0x80);
      x = Math.floor(x / 0x80);
    }
    return this.u8(x);
  }

  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /** A copy of what was written. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

export class ByteReader {
  private pos = 0;
  constructor(
    private readonly buf: Uint8Array,
    /** Names what is being read, for error messages ("DATA frame", "log page"). */
    private readonly what: string,
  ) {}

  get offset(): number {
    return this.pos;
  }
  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number, field: string): void {
    if (this.pos + n > this.buf.length) {
      throw new ProtocolError('truncated', `${this.what}: ${field} needs ${n} byte(s) at offset ${this.pos}, only ${this.buf.length - this.pos} left`);
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.buf[this.pos++] ?? 0;
  }

  u16(field: string): number {
    this.need(2, field);
    const v = ((this.buf[this.pos] ?? 0) << 8) | (this.buf[this.pos + 1] ?? 0);
    this.pos += 2;
    return v;
  }

  u32(field: string): number {
    this.need(4, field);
    const v = new DataView(this.buf.buffer, this.buf.byteOffset).getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  u64(field: string): number {
    const hi = this.u32(field);
    const lo = this.u32(field);
    if (hi >= 2 ** 21) throw new ProtocolError('bad-field', `${this.what}: ${field} is above 2^53-1`);
    return hi * 2 ** 32 + lo;
  }

  varint(field: string): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8(field);
      value += (b & 0x7f) * scale;
      if (value > MAX_VARINT) throw new ProtocolError('bad-varint', `${this.what}: ${field} varint is above 2^53-1`);
      if ((b & 0x80) === 0) {
        // A redundant zero high byte would make two encodings of one number: refuse it.
        if (i > 0 && b === 0) throw new ProtocolError('bad-varint', `${this.what}: ${field} varint is not minimally encoded`);
        return value;
      }
      scale *= 0x80;
    }
    throw new ProtocolError('bad-varint', `${this.what}: ${field} varint is longer than 8 bytes`);
  }

  bytes(n: number, field: string): Uint8Array {
    this.need(n, field);
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  rest(): Uint8Array {
    return this.bytes(this.remaining, 'rest');
  }

  end(): void {
    if (this.pos !== this.buf.length) throw new ProtocolError('trailing-bytes', `${this.what}: ${this.buf.length - this.pos} unexpected byte(s) after offset ${this.pos}`);
  }
}

export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) throw new RangeError(`not a hex string: "${hex.slice(0, 40)}"`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return d === 0;
}

export const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });
export function decodeUtf8(b: Uint8Array, what: string): string {
  try {
    return utf8Strict.decode(b);
  } catch {
    throw new ProtocolError('bad-utf8', `${what} is not valid UTF-8`);
  }
}
