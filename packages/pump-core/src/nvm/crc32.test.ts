import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as zlib from 'node:zlib';
import { crc32 } from './crc32.ts';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('crc32', () => {
  it('matches the CRC-32/ISO-HDLC check value and well-known vectors', () => {
    assert.equal(crc32(ascii('123456789')), 0xcbf43926);
    assert.equal(crc32(ascii('')), 0);
    assert.equal(crc32(ascii('The quick brown fox jumps over the lazy dog')), 0x414fa339);
    assert.equal(crc32(ascii('a')), 0xe8b7be43);
    assert.equal(crc32(ascii('abc')), 0x352441c2);
    assert.equal(crc32(new Uint8Array(32)), 0x190a55ad);
  });

  it('continues a running CRC across chunks', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), (a, b) => {
        const joined = new Uint8Array(a.length + b.length);
        joined.set(a);
        joined.set(b, a.length);
        assert.equal(crc32(b, crc32(a)), crc32(joined));
      }),
    );
  });

  it('agrees with zlib on random input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        assert.equal(crc32(bytes), zlib.crc32(bytes));
      }),
    );
  });

  it('returns an unsigned 32-bit value', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const c = crc32(bytes);
        assert.ok(Number.isInteger(c) && c >= 0 && c <= 0xffffffff);
      }),
    );
  });
});
