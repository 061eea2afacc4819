/**
 * Append-only record store in fixed-size slots. Record s lives in slot s mod (capacity + 1): the
 * slot an append overwrites holds record s - capacity - 1, which is already outside the newest
 * `capacity` records, so a torn append can only destroy a record nobody is owed any more.
 * Records become valid only at their last byte (`writeMagicLast`).
 */
import { crc32 } from './crc32.ts';
import type { NvmDevice } from './device.ts';
import {
  LOG_RECORD_HEADER_BYTES,
  LOG_RECORD_MAGIC,
  MAX_U32,
  assertRegionInDevice,
  isUniform,
  view,
  writeMagicLast,
} from './format.ts';
import type { LogRegion } from './layout.ts';

/** Header bytes covered by the CRC: everything before the CRC field itself. */
const CRC_COVERED_HEADER_BYTES = 12;

export interface StoredLogRecord {
  readonly seq: number;
  readonly payload: Uint8Array;
}

export interface LogRecovery {
  /** Valid records within the newest `capacity` sequence numbers, oldest first. */
  readonly records: readonly StoredLogRecord[];
  /** Sequence number the next append must use: newest valid seq + 1, or 1 for an empty log. */
  readonly nextSeq: number;
  /** Slots holding something that is not a valid record: a torn append or corruption. */
  readonly corruptSlots: number;
  /** Valid records older than the capacity window (the spare slot); ignored. */
  readonly staleSlots: number;
  /** Sequence numbers inside the window with no valid record: committed records lost to corruption. */
  readonly missingSeqs: number;
}

export function maxRecordPayloadBytes(log: LogRegion): number {
  return log.slotBytes - LOG_RECORD_HEADER_BYTES;
}

export function slotIndexForSeq(log: LogRegion, seq: number): number {
  return seq % log.slotCount;
}

/**
 * Writes record `seq` (which must be `recoverRecords(...).nextSeq` or its successors; the store
 * does not track it). Committed once this returns.
 */
export function appendRecord(device: NvmDevice, log: LogRegion, seq: number, payload: Uint8Array): void {
  if (!Number.isSafeInteger(seq) || seq < 1 || seq > MAX_U32) {
    throw new RangeError(`log "${log.name}": record seq must be an integer in 1..${MAX_U32}, got ${seq}`);
  }
  const maxBytes = maxRecordPayloadBytes(log);
  if (payload.length > maxBytes) {
    throw new RangeError(
      `log "${log.name}": record payload is ${payload.length} bytes but a slot holds at most ${maxBytes} bytes ` +
        `(${log.slotBytes}-byte slot minus the ${LOG_RECORD_HEADER_BYTES}-byte header)`,
    );
  }
  assertRegionInDevice(device, log, `log "${log.name}"`);
  const frame = new Uint8Array(LOG_RECORD_HEADER_BYTES + payload.length);
  const dv = view(frame);
  dv.setUint32(0, LOG_RECORD_MAGIC, true);
  dv.setUint32(4, seq, true);
  dv.setUint32(8, payload.length, true);
  frame.set(payload, LOG_RECORD_HEADER_BYTES);
  dv.setUint32(12, crc32(payload, crc32(frame.subarray(0, CRC_COVERED_HEADER_BYTES))), true);
  writeMagicLast(device, log.offsetBytes + slotIndexForSeq(log, seq) * log.slotBytes, frame);
}

export function recoverRecords(device: NvmDevice, log: LogRegion): LogRecovery {
  assertRegionInDevice(device, log, `log "${log.name}"`);
  const valid: StoredLogRecord[] = [];
  let corruptSlots = 0;
  for (let slot = 0; slot < log.slotCount; slot++) {
    const state = inspectSlot(device, log, slot);
    if (state === 'blank') continue;
    if (state === 'invalid') corruptSlots += 1;
    else valid.push(state);
  }
  const newestSeq = valid.reduce((max, r) => Math.max(max, r.seq), 0);
  const nextSeq = newestSeq + 1;
  const oldestSeq = Math.max(1, nextSeq - log.capacity);
  const records = valid.filter((r) => r.seq >= oldestSeq).sort((x, y) => x.seq - y.seq);
  return {
    records,
    nextSeq,
    corruptSlots,
    staleSlots: valid.length - records.length,
    missingSeqs: nextSeq - oldestSeq - records.length,
  };
}

function inspectSlot(device: NvmDevice, log: LogRegion, slot: number): StoredLogRecord | 'blank' | 'invalid' {
  const slotOffsetBytes = log.offsetBytes + slot * log.slotBytes;
  const header = device.read(slotOffsetBytes, LOG_RECORD_HEADER_BYTES);
  if (isUniform(header)) return 'blank';
  const dv = view(header);
  if (dv.getUint32(0, true) !== LOG_RECORD_MAGIC) return 'invalid';
  const seq = dv.getUint32(4, true);
  const lengthBytes = dv.getUint32(8, true);
  if (lengthBytes > maxRecordPayloadBytes(log)) return 'invalid';
  const payload = device.read(slotOffsetBytes + LOG_RECORD_HEADER_BYTES, lengthBytes);
  if (crc32(payload, crc32(header.subarray(0, CRC_COVERED_HEADER_BYTES))) !== dv.getUint32(12, true)) return 'invalid';
  // A CRC-clean record in the wrong slot cannot come from appendRecord: treat it as foreign.
  if (seq < 1 || slotIndexForSeq(log, seq) !== slot) return 'invalid';
  return { seq, payload };
}
