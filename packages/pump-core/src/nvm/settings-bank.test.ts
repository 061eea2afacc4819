import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { NvmDevice, PowerLossError } from './device.ts';
import { SETTINGS_HEADER_BYTES, SETTINGS_MAGIC } from './format.ts';
import { defaultLayout, type NvmRegion } from './layout.ts';
import { maxSettingsPayloadBytes, readSettings, writeSettings } from './settings-bank.ts';

const BANK_BYTES = 64;
const layout = defaultLayout({ settingsBankBytes: BANK_BYTES, logs: [] });
const MAX_PAYLOAD = BANK_BYTES - SETTINGS_HEADER_BYTES;

/** Payloads that differ from each other in every byte, so any mix of two would be visible. */
function pattern(index: number, lengthBytes: number): Uint8Array {
  return Uint8Array.from({ length: lengthBytes }, (_, j) => (index * 37 + j * 11 + 1) & 0xff);
}

/**
 * Runs the writes until they finish or power is lost; returns how many completed and how many
 * bytes of the interrupted one had landed.
 */
function writeUntilCutDetailed(device: NvmDevice, payloads: readonly Uint8Array[]): { completed: number; landedBytes: number } {
  let completed = 0;
  let startCount = device.writeCount;
  try {
    for (const p of payloads) {
      startCount = device.writeCount;
      writeSettings(device, layout, p);
      completed += 1;
    }
  } catch (e) {
    if (!(e instanceof PowerLossError)) throw e;
    return { completed, landedBytes: device.writeCount - startCount };
  }
  return { completed, landedBytes: 0 };
}

function writeUntilCut(device: NvmDevice, payloads: readonly Uint8Array[]): number {
  return writeUntilCutDetailed(device, payloads).completed;
}

function hasSettingsMagic(device: NvmDevice, region: NvmRegion): boolean {
  return new DataView(device.read(region.offsetBytes, 4).buffer).getUint32(0, true) === SETTINGS_MAGIC;
}

function bytesWrittenBy(payloads: readonly Uint8Array[], device = new NvmDevice(layout.sizeBytes)): number {
  const before = device.writeCount;
  writeUntilCut(device, payloads);
  return device.writeCount - before;
}

function restart(device: NvmDevice): NvmDevice {
  return NvmDevice.fromBytes(device.snapshot());
}

/**
 * The A/B invariant after a cut during write number `completed` (0-based): the last completed
 * payload, or the one being written if it happened to finish, never anything else; on a fresh
 * device, nothing until the first write completes. Sequence numbers start at 1.
 */
function assertOldOrNew(device: NvmDevice, payloads: readonly Uint8Array[], completed: number): void {
  const r = readSettings(device, layout);
  if (completed === 0) {
    if (r.ok) assert.deepEqual(r.payload, payloads[0]);
    return;
  }
  assert.ok(r.ok, `settings lost after ${completed} completed writes: ${r.ok ? '' : r.detail}`);
  const old = payloads[completed - 1]!;
  const inProgress = payloads[completed];
  const isOld = r.seq === completed && Buffer.from(r.payload).equals(old);
  const isNew = inProgress !== undefined && r.seq === completed + 1 && Buffer.from(r.payload).equals(inProgress);
  assert.ok(isOld || isNew, `got seq ${r.seq} payload [${r.payload.join(',')}]`);
  // The new bank only becomes valid at its final byte, and writeSettings returns right after it.
  assert.ok(isOld, 'a write cut before returning must not be visible');
}

describe('settings banks', () => {
  it('reports a fresh device as never written', () => {
    const r = readSettings(new NvmDevice(layout.sizeBytes), layout);
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.reason, 'never-written');
  });

  it('alternates banks with increasing sequence numbers and keeps the previous copy', () => {
    const d = new NvmDevice(layout.sizeBytes);
    assert.deepEqual(writeSettings(d, layout, pattern(1, 5)), { bank: 'A', seq: 1 });
    assert.deepEqual(writeSettings(d, layout, pattern(2, 0)), { bank: 'B', seq: 2 });
    assert.deepEqual(writeSettings(d, layout, pattern(3, MAX_PAYLOAD)), { bank: 'A', seq: 3 });
    const r = readSettings(d, layout);
    assert.ok(r.ok);
    assert.deepEqual(r.payload, pattern(3, MAX_PAYLOAD));
    assert.equal(r.seq, 3);
    assert.equal(r.bank, 'A');
    assert.equal(r.degraded, false);
    assert.deepEqual(r.faults, []);
  });

  it('works on a zero-filled device as well as an erased one', () => {
    const d = new NvmDevice(layout.sizeBytes, 0);
    assert.equal(readSettings(d, layout).ok, false);
    writeSettings(d, layout, pattern(1, 9));
    const r = readSettings(d, layout);
    assert.ok(r.ok && r.degraded === false);
  });

  it('survives a power cut at every byte of a sequence of writes (sweep)', () => {
    const lengths = [12, 3, MAX_PAYLOAD, 0, 25, MAX_PAYLOAD, 7];
    const payloads = lengths.map((n, i) => pattern(i + 1, n));
    const total = bytesWrittenBy(payloads);
    for (let k = 0; k <= total; k++) {
      const d = new NvmDevice(layout.sizeBytes);
      d.armPowerCut(k);
      const { completed, landedBytes } = writeUntilCutDetailed(d, payloads);
      assert.equal(completed === payloads.length, k === total, `cut at ${k}`);
      if (landedBytes > 0) {
        // Deterministic, not left to the CRC: a bank being rewritten carries no magic until done.
        const target = completed % 2 === 0 ? layout.settings.bankA : layout.settings.bankB;
        assert.equal(hasSettingsMagic(d, target), false, `cut at ${k}: torn bank still has its magic`);
      }
      const reopened = restart(d);
      assertOldOrNew(reopened, payloads, completed);

      // After the restart the next write must succeed and repair any torn bank.
      const next = pattern(99, 10);
      writeSettings(reopened, layout, next);
      const after = readSettings(reopened, layout);
      assert.ok(after.ok);
      assert.deepEqual(after.payload, next);
      if (completed > 0) assert.equal(after.degraded, false, `cut at ${k}: torn bank not repaired`);
    }
  });

  it('survives random cuts with random payloads, across repeated crashes (property)', () => {
    const payloadArb = fc.uint8Array({ maxLength: MAX_PAYLOAD });
    fc.assert(
      fc.property(fc.array(fc.tuple(payloadArb, fc.option(fc.nat({ max: 80 }), { nil: undefined })), { minLength: 1, maxLength: 12 }), (steps) => {
        let d = new NvmDevice(layout.sizeBytes);
        let last: { seq: number; payload: Uint8Array } | null = null;
        for (const [payload, cutAfter] of steps) {
          if (cutAfter !== undefined) d.armPowerCut(cutAfter);
          let committed = false;
          try {
            const w = writeSettings(d, layout, payload);
            committed = true;
            last = { seq: w.seq, payload };
          } catch (e) {
            if (!(e instanceof PowerLossError)) throw e;
          }
          d.disarm();
          if (!committed) d = restart(d);
          const r = readSettings(d, layout);
          if (last === null) {
            assert.equal(r.ok, false);
            continue;
          }
          assert.ok(r.ok, 'settings lost');
          assert.equal(r.seq, last.seq);
          assert.deepEqual(r.payload, last.payload);
        }
      }),
      { numRuns: 300 },
    );
  });

  describe('corruption', () => {
    const older = pattern(1, 20);
    const newer = pattern(2, 30);
    const base = new NvmDevice(layout.sizeBytes);
    writeSettings(base, layout, older); // bank A, seq 1
    writeSettings(base, layout, newer); // bank B, seq 2

    it('any single bit flip in the newest bank falls back to the other bank, degraded', () => {
      const { bankB } = layout.settings;
      for (let byte = 0; byte < SETTINGS_HEADER_BYTES + newer.length; byte++) {
        for (let bit = 0; bit < 8; bit++) {
          const d = restart(base);
          d.corrupt(bankB.offsetBytes + byte, 1 << bit);
          const r = readSettings(d, layout);
          assert.ok(r.ok, `byte ${byte} bit ${bit}`);
          assert.equal(r.bank, 'A');
          assert.equal(r.seq, 1);
          assert.deepEqual(r.payload, older);
          assert.equal(r.degraded, true);
          assert.equal(r.faults.length, 1);
          assert.equal(r.faults[0]?.bank, 'B');
        }
      }
    });

    it('any single bit flip in the older bank keeps the newest, degraded', () => {
      const { bankA } = layout.settings;
      for (let byte = 0; byte < SETTINGS_HEADER_BYTES + older.length; byte++) {
        for (let bit = 0; bit < 8; bit++) {
          const d = restart(base);
          d.corrupt(bankA.offsetBytes + byte, 1 << bit);
          const r = readSettings(d, layout);
          assert.ok(r.ok && r.bank === 'B' && r.seq === 2 && r.degraded, `byte ${byte} bit ${bit}`);
          assert.deepEqual(r.payload, newer);
          assert.equal(r.faults[0]?.bank, 'A');
        }
      }
    });

    it('names the failure reason', () => {
      const { bankB } = layout.settings;
      const cases: [number, string][] = [
        [0, 'bad-magic'],
        [4, 'bad-version'],
        [12, 'bad-length'], // top byte of the length field
        [20, 'bad-crc'],
      ];
      for (const [byte, reason] of cases) {
        const d = restart(base);
        d.corrupt(bankB.offsetBytes + byte, 0x80);
        const r = readSettings(d, layout);
        assert.equal(r.faults[0]?.reason, reason, `byte ${byte}`);
        assert.ok(r.faults[0]?.detail.length);
      }
    });

    it('corrupting both banks yields no-valid-settings, and a new write recovers', () => {
      const d = restart(base);
      d.corrupt(layout.settings.bankA.offsetBytes + 30, 0x01);
      d.corrupt(layout.settings.bankB.offsetBytes + 2, 0x10);
      const r = readSettings(d, layout);
      assert.equal(r.ok, false);
      assert.ok(!r.ok);
      assert.equal(r.reason, 'no-valid-settings');
      assert.deepEqual(r.faults.map((f) => [f.bank, f.reason]), [['A', 'bad-crc'], ['B', 'bad-magic']]);
      assert.match(r.detail, /bank A: bad-crc .*bank B: bad-magic/);
      assert.deepEqual(writeSettings(d, layout, older), { bank: 'A', seq: 1 });
      const again = readSettings(d, layout);
      assert.ok(again.ok && again.degraded && again.faults[0]?.bank === 'B');
    });

    it('a corrupt newest bank is the one overwritten by the next write', () => {
      const d = restart(base);
      d.corrupt(layout.settings.bankB.offsetBytes + 25, 0x04);
      assert.deepEqual(writeSettings(d, layout, pattern(3, 4)), { bank: 'B', seq: 2 });
      const r = readSettings(d, layout);
      assert.ok(r.ok && !r.degraded && r.bank === 'B');
    });
  });

  describe('errors', () => {
    it('rejects a payload too large for a bank, before writing anything', () => {
      const d = new NvmDevice(layout.sizeBytes);
      assert.throws(
        () => writeSettings(d, layout, new Uint8Array(MAX_PAYLOAD + 1)),
        /settings payload is 48 bytes but a settings bank holds at most 47 bytes of payload/,
      );
      assert.equal(d.writeCount, 0);
      assert.equal(maxSettingsPayloadBytes(layout), MAX_PAYLOAD);
    });

    it('rejects a device too small for the layout', () => {
      const d = new NvmDevice(layout.sizeBytes - 1);
      assert.throws(() => readSettings(d, layout), /settings bank B \(64 bytes at offset 64\) does not fit the 127-byte NVM device/);
      assert.throws(() => writeSettings(d, layout, new Uint8Array(1)), RangeError);
      assert.equal(d.writeCount, 0);
    });
  });
});
