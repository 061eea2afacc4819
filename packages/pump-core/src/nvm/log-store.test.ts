import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { NvmDevice, PowerLossError } from './device.ts';
import { LOG_RECORD_HEADER_BYTES, LOG_RECORD_MAGIC } from './format.ts';
import { defaultLayout, logRegion, type LogRegion } from './layout.ts';
import { appendRecord, maxRecordPayloadBytes, recoverRecords, slotIndexForSeq, type LogRecovery } from './log-store.ts';

const CAPACITY = 3;
const MAX_PAYLOAD = 10;
const layout = defaultLayout({
  settingsBankBytes: 32,
  logs: [{ name: 'events', capacity: CAPACITY, slotBytes: LOG_RECORD_HEADER_BYTES + MAX_PAYLOAD }],
});
const log = logRegion(layout, 'events');

/** Distinct for every seq in every byte, so a garbled or misattributed record cannot pass as another. */
function payloadFor(seq: number, lengthBytes = seq % (MAX_PAYLOAD + 1)): Uint8Array {
  return Uint8Array.from({ length: lengthBytes }, (_, j) => (seq * 29 + j * 7 + 3) & 0xff);
}

function restart(device: NvmDevice): NvmDevice {
  return NvmDevice.fromBytes(device.snapshot());
}

/**
 * Appends seq from..to until done or power is lost; returns the last committed seq and how many
 * bytes of the interrupted append had landed.
 */
function appendUntilCutDetailed(device: NvmDevice, region: LogRegion, fromSeq: number, toSeq: number): { committed: number; landedBytes: number } {
  let committed = fromSeq - 1;
  let startCount = device.writeCount;
  try {
    for (let seq = fromSeq; seq <= toSeq; seq++) {
      startCount = device.writeCount;
      appendRecord(device, region, seq, payloadFor(seq));
      committed = seq;
    }
  } catch (e) {
    if (!(e instanceof PowerLossError)) throw e;
    return { committed, landedBytes: device.writeCount - startCount };
  }
  return { committed, landedBytes: 0 };
}

function appendUntilCut(device: NvmDevice, region: LogRegion, fromSeq: number, toSeq: number): number {
  return appendUntilCutDetailed(device, region, fromSeq, toSeq).committed;
}

function slotHasMagic(device: NvmDevice, region: LogRegion, seq: number): boolean {
  const offsetBytes = region.offsetBytes + slotIndexForSeq(region, seq) * region.slotBytes;
  return new DataView(device.read(offsetBytes, 4).buffer).getUint32(0, true) === LOG_RECORD_MAGIC;
}

/** Every committed record in the capacity window is there, intact and in order; nothing else is. */
function assertRecovered(rec: LogRecovery, region: LogRegion, lastCommitted: number, context: string): void {
  assert.equal(rec.nextSeq, lastCommitted + 1, `${context}: nextSeq`);
  const expectedSeqs: number[] = [];
  for (let s = Math.max(1, lastCommitted - region.capacity + 1); s <= lastCommitted; s++) expectedSeqs.push(s);
  assert.deepEqual(rec.records.map((r) => r.seq), expectedSeqs, `${context}: seqs`);
  for (const r of rec.records) assert.deepEqual(r.payload, payloadFor(r.seq), `${context}: payload of seq ${r.seq}`);
  assert.equal(rec.missingSeqs, 0, `${context}: missing`);
}

describe('log store', () => {
  it('recovers nothing from a fresh device', () => {
    const rec = recoverRecords(new NvmDevice(layout.sizeBytes), log);
    assert.deepEqual(rec, { records: [], nextSeq: 1, corruptSlots: 0, staleSlots: 0, missingSeqs: 0 });
  });

  it('appends and recovers records in order', () => {
    const d = new NvmDevice(layout.sizeBytes);
    appendUntilCut(d, log, 1, 2);
    assertRecovered(recoverRecords(d, log), log, 2, 'two records');
  });

  it('keeps exactly the newest `capacity` records after wrapping, ignoring the spare slot', () => {
    const d = new NvmDevice(layout.sizeBytes);
    appendUntilCut(d, log, 1, 10);
    const rec = recoverRecords(d, log);
    assertRecovered(rec, log, 10, 'wrapped');
    assert.equal(rec.staleSlots, 1);
    assert.equal(rec.corruptSlots, 0);
    assert.equal(slotIndexForSeq(log, 10), 10 % (CAPACITY + 1));
  });

  it('survives a power cut at every byte of a wrapping sequence of appends (sweep)', () => {
    const n = 3 * (CAPACITY + 1) + 2;
    const counter = new NvmDevice(layout.sizeBytes);
    appendUntilCut(counter, log, 1, n);
    const total = counter.writeCount;
    for (let k = 0; k <= total; k++) {
      const d = new NvmDevice(layout.sizeBytes);
      d.armPowerCut(k);
      const { committed, landedBytes } = appendUntilCutDetailed(d, log, 1, n);
      assert.equal(committed === n, k === total);
      if (landedBytes > 0) {
        // Deterministic, not left to the CRC: a slot being rewritten carries no magic until done.
        assert.equal(slotHasMagic(d, log, committed + 1), false, `cut at ${k}: torn slot still has its magic`);
      }
      const reopened = restart(d);
      const rec = recoverRecords(reopened, log);
      assertRecovered(rec, log, committed, `cut at ${k}`);
      assert.ok(rec.corruptSlots <= 1, `cut at ${k}: only the slot being written may be torn`);

      // Carry on from the recovered sequence number, as the pump would after restarting.
      const finalSeq = appendUntilCut(reopened, log, rec.nextSeq, n + 2);
      const after = recoverRecords(reopened, log);
      assertRecovered(after, log, finalSeq, `cut at ${k}, after resuming`);
      assert.equal(after.corruptSlots, 0, `cut at ${k}: torn slot is overwritten on resume`);
    }
  });

  it('loses no committed record across repeated random crashes (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.option(fc.nat({ max: 40 }), { nil: undefined }), { minLength: 1, maxLength: 30 }),
        (capacity, cuts) => {
          const l = defaultLayout({ settingsBankBytes: 32, logs: [{ name: 'x', capacity, slotBytes: LOG_RECORD_HEADER_BYTES + MAX_PAYLOAD }] });
          const region = logRegion(l, 'x');
          let d = new NvmDevice(l.sizeBytes);
          let lastCommitted = 0;
          for (const cut of cuts) {
            const rec = recoverRecords(d, region);
            assertRecovered(rec, region, lastCommitted, 'before append');
            if (cut !== undefined) d.armPowerCut(cut);
            try {
              appendRecord(d, region, rec.nextSeq, payloadFor(rec.nextSeq));
              lastCommitted = rec.nextSeq;
            } catch (e) {
              if (!(e instanceof PowerLossError)) throw e;
              d = restart(d);
            }
            d.disarm();
          }
          assertRecovered(recoverRecords(d, region), region, lastCommitted, 'at the end');
        },
      ),
      { numRuns: 300 },
    );
  });

  describe('corruption', () => {
    const base = new NvmDevice(layout.sizeBytes);
    appendUntilCut(base, log, 1, 6); // window 4..6, seq 3 stale in the spare slot
    const slotOffset = (seq: number): number => log.offsetBytes + slotIndexForSeq(log, seq) * log.slotBytes;

    it('any single bit flip in a record drops just that record and counts the slot', () => {
      const seq = 5;
      for (let byte = 0; byte < LOG_RECORD_HEADER_BYTES + payloadFor(seq).length; byte++) {
        for (let bit = 0; bit < 8; bit++) {
          const d = restart(base);
          d.corrupt(slotOffset(seq) + byte, 1 << bit);
          const rec = recoverRecords(d, log);
          assert.deepEqual(rec.records.map((r) => r.seq), [4, 6], `byte ${byte} bit ${bit}`);
          for (const r of rec.records) assert.deepEqual(r.payload, payloadFor(r.seq));
          assert.equal(rec.corruptSlots, 1);
          assert.equal(rec.missingSeqs, 1);
          assert.equal(rec.nextSeq, 7);
        }
      }
    });

    it('a corrupt newest record rolls nextSeq back so its seq is rewritten', () => {
      const d = restart(base);
      d.corrupt(slotOffset(6) + 8, 0x01);
      const rec = recoverRecords(d, log);
      assert.equal(rec.nextSeq, 6);
      assert.deepEqual(rec.records.map((r) => r.seq), [3, 4, 5]);
      assert.equal(rec.corruptSlots, 1);
    });

    it('rejects a CRC-clean record found in the wrong slot', () => {
      const d = restart(base);
      d.write(slotOffset(4), d.read(slotOffset(5), log.slotBytes));
      const rec = recoverRecords(d, log);
      assert.deepEqual(rec.records.map((r) => r.seq), [5, 6]);
      assert.equal(rec.corruptSlots, 1);
    });
  });

  describe('errors', () => {
    it('rejects a payload too large for a slot, before writing anything', () => {
      const d = new NvmDevice(layout.sizeBytes);
      assert.throws(
        () => appendRecord(d, log, 1, new Uint8Array(MAX_PAYLOAD + 1)),
        /log "events": record payload is 11 bytes but a slot holds at most 10 bytes/,
      );
      assert.equal(d.writeCount, 0);
      assert.equal(maxRecordPayloadBytes(log), MAX_PAYLOAD);
    });

    it('rejects sequence numbers outside 1..u32', () => {
      const d = new NvmDevice(layout.sizeBytes);
      for (const seq of [0, -1, 1.5, 2 ** 32]) {
        assert.throws(() => appendRecord(d, log, seq, new Uint8Array(1)), /record seq must be an integer in 1\.\.4294967295/);
      }
      assert.equal(d.writeCount, 0);
    });

    it('rejects a device too small for the log region', () => {
      const d = new NvmDevice(layout.sizeBytes - 1);
      assert.throws(() => recoverRecords(d, log), /log "events" \(104 bytes at offset 64\) does not fit the 167-byte NVM device/);
      assert.throws(() => appendRecord(d, log, 1, new Uint8Array(1)), RangeError);
      assert.equal(d.writeCount, 0);
    });
  });
});
