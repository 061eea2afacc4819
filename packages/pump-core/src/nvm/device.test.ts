import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ERASED_BYTE, NvmDevice, PowerLossError } from './device.ts';

describe('NvmDevice', () => {
  it('starts erased and reads back what was written, as a copy', () => {
    const d = new NvmDevice(16);
    assert.deepEqual(d.read(0, 16), new Uint8Array(16).fill(ERASED_BYTE));
    d.write(4, Uint8Array.of(1, 2, 3));
    const r = d.read(3, 5);
    assert.deepEqual(r, Uint8Array.of(0xff, 1, 2, 3, 0xff));
    r[1] = 99;
    assert.equal(d.read(4, 1)[0], 1);
    assert.equal(d.writeCount, 3);
    assert.deepEqual(new NvmDevice(4, 0).read(0, 4), new Uint8Array(4));
  });

  it('tears a write exactly after the armed number of byte writes', () => {
    const d = new NvmDevice(8, 0);
    d.write(0, Uint8Array.of(9));
    d.armPowerCut(2);
    assert.throws(
      () => d.write(2, Uint8Array.of(1, 2, 3, 4)),
      (e: unknown) => e instanceof PowerLossError && e.offsetBytes === 4 && e.writeCount === 3,
    );
    assert.deepEqual(d.snapshot(), Uint8Array.of(9, 0, 1, 2, 0, 0, 0, 0));
    assert.equal(d.writeCount, 3);
    assert.equal(d.poweredOff, true);
  });

  it('counts the cut across several writes and stays off until disarmed', () => {
    const d = new NvmDevice(8, 0);
    d.armPowerCut(3);
    d.write(0, Uint8Array.of(1, 1));
    assert.throws(() => d.write(2, Uint8Array.of(2, 2)), PowerLossError);
    assert.deepEqual(d.read(0, 4), Uint8Array.of(1, 1, 2, 0));
    assert.throws(() => d.write(6, Uint8Array.of(7)), PowerLossError);
    d.disarm();
    d.write(6, Uint8Array.of(7));
    assert.equal(d.read(6, 1)[0], 7);
  });

  it('cuts before the first byte when armed with 0, and not at all once disarmed', () => {
    const d = new NvmDevice(4, 0);
    d.armPowerCut(0);
    assert.throws(() => d.write(0, Uint8Array.of(5)), PowerLossError);
    assert.equal(d.read(0, 1)[0], 0);
    const e = new NvmDevice(4, 0);
    e.armPowerCut(0);
    e.disarm();
    e.write(0, Uint8Array.of(1, 2, 3, 4));
    assert.equal(e.writeCount, 4);
  });

  it('reopens a snapshot independently of the original', () => {
    const d = new NvmDevice(4, 0);
    d.write(0, Uint8Array.of(1, 2, 3, 4));
    const reopened = NvmDevice.fromBytes(d.snapshot());
    d.write(0, Uint8Array.of(0));
    assert.deepEqual(reopened.read(0, 4), Uint8Array.of(1, 2, 3, 4));
    assert.equal(reopened.writeCount, 0);
    assert.equal(reopened.sizeBytes, 4);
  });

  it('corrupts bits without counting a write or honouring a cut', () => {
    const d = new NvmDevice(4, 0);
    d.armPowerCut(0);
    d.corrupt(2, 0x81);
    assert.deepEqual(d.read(0, 4), Uint8Array.of(0, 0, 0x81, 0));
    assert.equal(d.writeCount, 0);
    assert.throws(() => d.corrupt(0, 0), /xorMask must be an integer in 1\.\.255/);
    assert.throws(() => d.corrupt(0, 256), RangeError);
    assert.throws(() => d.corrupt(4, 1), /1 bytes at offset 4 run past the end of the 4-byte device/);
  });

  it('rejects out-of-range and malformed offsets with clear RangeErrors', () => {
    const d = new NvmDevice(8);
    assert.throws(() => d.read(6, 3), /NVM read: 3 bytes at offset 6 run past the end of the 8-byte device/);
    assert.throws(() => d.read(-1, 1), /NVM read: offset must be a non-negative integer, got -1/);
    assert.throws(() => d.read(1.5, 1), /offset must be a non-negative integer/);
    assert.throws(() => d.read(0, -2), /length must be a non-negative integer/);
    assert.throws(() => d.write(7, Uint8Array.of(1, 2)), /NVM write: 2 bytes at offset 7 run past the end/);
    assert.equal(d.writeCount, 0, 'an out-of-range write changes nothing');
    assert.deepEqual(d.read(8, 0), new Uint8Array(0));
    assert.throws(() => new NvmDevice(0), /positive integer/);
    assert.throws(() => new NvmDevice(4, 300), /fill byte must be an integer in 0\.\.255/);
    assert.throws(() => d.armPowerCut(-1), /non-negative integer/);
  });
});
