/**
 * Settings kept as two copies (banks A and B). An update always overwrites the bank that does
 * NOT hold the newest valid copy, and that bank only becomes valid at its last byte
 * (`writeMagicLast`), so a power cut at any byte leaves either the previous settings intact in
 * the other bank or the new settings complete: never a mix, never nothing.
 */
import { crc32 } from './crc32.ts';
import type { NvmDevice } from './device.ts';
import {
  MAX_U32,
  SETTINGS_FORMAT_VERSION,
  SETTINGS_HEADER_BYTES,
  SETTINGS_MAGIC,
  assertRegionInDevice,
  hex32,
  isUniform,
  view,
  writeMagicLast,
} from './format.ts';
import type { NvmLayout, NvmRegion } from './layout.ts';

/** Header bytes covered by the CRC: everything before the CRC field itself. */
const CRC_COVERED_HEADER_BYTES = 13;

export type BankId = 'A' | 'B';
export type BankInvalidReason = 'bad-magic' | 'bad-version' | 'bad-length' | 'bad-crc';

/** A bank that holds something but nothing usable: torn by a power cut or corrupted. */
export interface BankFault {
  readonly bank: BankId;
  readonly reason: BankInvalidReason;
  readonly detail: string;
}

export type SettingsReadResult =
  | {
      readonly ok: true;
      readonly payload: Uint8Array;
      readonly seq: number;
      readonly bank: BankId;
      /** The other bank is torn or corrupt (not merely blank or older): worth a log entry. */
      readonly degraded: boolean;
      readonly faults: readonly BankFault[];
    }
  | {
      readonly ok: false;
      /** never-written: both banks blank (fresh device). no-valid-settings: something is there but none of it checks out. */
      readonly reason: 'never-written' | 'no-valid-settings';
      readonly detail: string;
      readonly faults: readonly BankFault[];
    };

export interface SettingsWriteResult {
  readonly bank: BankId;
  readonly seq: number;
}

type BankState =
  | { readonly status: 'valid'; readonly seq: number; readonly payload: Uint8Array }
  | { readonly status: 'blank' }
  | { readonly status: 'invalid'; readonly reason: BankInvalidReason; readonly detail: string };

type SettingsLayout = Pick<NvmLayout, 'settings'>;

/** Largest payload either bank can hold; both must, since updates alternate between them. */
export function maxSettingsPayloadBytes(layout: SettingsLayout): number {
  return Math.min(layout.settings.bankA.sizeBytes, layout.settings.bankB.sizeBytes) - SETTINGS_HEADER_BYTES;
}

export function readSettings(device: NvmDevice, layout: SettingsLayout): SettingsReadResult {
  assertBanksInDevice(device, layout);
  const a = inspectBank(device, layout.settings.bankA);
  const b = inspectBank(device, layout.settings.bankB);
  const faults: BankFault[] = [];
  if (a.status === 'invalid') faults.push({ bank: 'A', reason: a.reason, detail: a.detail });
  if (b.status === 'invalid') faults.push({ bank: 'B', reason: b.reason, detail: b.detail });

  let best: { bank: BankId; seq: number; payload: Uint8Array } | null = null;
  if (a.status === 'valid') best = { bank: 'A', seq: a.seq, payload: a.payload };
  // Ties cannot arise from writeSettings; preferring A just keeps the choice deterministic.
  if (b.status === 'valid' && (best === null || b.seq > best.seq)) best = { bank: 'B', seq: b.seq, payload: b.payload };

  if (best !== null) return { ok: true, ...best, degraded: faults.length > 0, faults };
  if (faults.length === 0) {
    return { ok: false, reason: 'never-written', detail: 'both settings banks are blank', faults };
  }
  const describe = (bank: BankId, s: BankState): string =>
    `bank ${bank}: ${s.status === 'invalid' ? `${s.reason} (${s.detail})` : s.status}`;
  return {
    ok: false,
    reason: 'no-valid-settings',
    detail: `no valid settings bank; ${describe('A', a)}; ${describe('B', b)}`,
    faults,
  };
}

/**
 * Stores `payload` as the new newest settings. Reads the banks first to pick the target bank and
 * the next sequence number; if neither bank is valid, starts over in bank A with seq 1.
 */
export function writeSettings(device: NvmDevice, layout: SettingsLayout, payload: Uint8Array): SettingsWriteResult {
  const maxBytes = maxSettingsPayloadBytes(layout);
  if (payload.length > maxBytes) {
    throw new RangeError(
      `settings payload is ${payload.length} bytes but a settings bank holds at most ${maxBytes} bytes of payload ` +
        `(bank size minus the ${SETTINGS_HEADER_BYTES}-byte header)`,
    );
  }
  const current = readSettings(device, layout);
  let bank: BankId = 'A';
  let seq = 1;
  if (current.ok) {
    if (current.seq >= MAX_U32) {
      throw new RangeError(`settings sequence number exhausted (newest is ${current.seq}, the u32 maximum)`);
    }
    bank = current.bank === 'A' ? 'B' : 'A';
    seq = current.seq + 1;
  }
  const region = bank === 'A' ? layout.settings.bankA : layout.settings.bankB;
  writeMagicLast(device, region.offsetBytes, encodeBank(seq, payload));
  return { bank, seq };
}

function encodeBank(seq: number, payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(SETTINGS_HEADER_BYTES + payload.length);
  const dv = view(frame);
  dv.setUint32(0, SETTINGS_MAGIC, true);
  dv.setUint8(4, SETTINGS_FORMAT_VERSION);
  dv.setUint32(5, seq, true);
  dv.setUint32(9, payload.length, true);
  frame.set(payload, SETTINGS_HEADER_BYTES);
  dv.setUint32(13, frameCrc(frame.subarray(0, CRC_COVERED_HEADER_BYTES), payload), true);
  return frame;
}

function frameCrc(coveredHeader: Uint8Array, payload: Uint8Array): number {
  return crc32(payload, crc32(coveredHeader));
}

function inspectBank(device: NvmDevice, region: NvmRegion): BankState {
  const header = device.read(region.offsetBytes, SETTINGS_HEADER_BYTES);
  if (isUniform(header)) return { status: 'blank' };
  const dv = view(header);
  const magic = dv.getUint32(0, true);
  if (magic !== SETTINGS_MAGIC) {
    return { status: 'invalid', reason: 'bad-magic', detail: `magic ${hex32(magic)}, expected ${hex32(SETTINGS_MAGIC)}` };
  }
  const version = dv.getUint8(4);
  if (version !== SETTINGS_FORMAT_VERSION) {
    return { status: 'invalid', reason: 'bad-version', detail: `format version ${version}, expected ${SETTINGS_FORMAT_VERSION}` };
  }
  const seq = dv.getUint32(5, true);
  const lengthBytes = dv.getUint32(9, true);
  const capacityBytes = region.sizeBytes - SETTINGS_HEADER_BYTES;
  if (lengthBytes > capacityBytes) {
    return { status: 'invalid', reason: 'bad-length', detail: `payload length ${lengthBytes} exceeds bank capacity ${capacityBytes}` };
  }
  const storedCrc = dv.getUint32(13, true);
  const payload = device.read(region.offsetBytes + SETTINGS_HEADER_BYTES, lengthBytes);
  const actualCrc = frameCrc(header.subarray(0, CRC_COVERED_HEADER_BYTES), payload);
  if (actualCrc !== storedCrc) {
    return { status: 'invalid', reason: 'bad-crc', detail: `crc ${hex32(actualCrc)}, stored ${hex32(storedCrc)} (seq field ${seq})` };
  }
  return { status: 'valid', seq, payload };
}

function assertBanksInDevice(device: NvmDevice, layout: SettingsLayout): void {
  assertRegionInDevice(device, layout.settings.bankA, 'settings bank A');
  assertRegionInDevice(device, layout.settings.bankB, 'settings bank B');
}
