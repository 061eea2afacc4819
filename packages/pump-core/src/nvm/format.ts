/**
 * On-NVM framing shared by the settings banks and the log slots, and the one write discipline
 * that makes both crash-safe: a frame only becomes valid when its final magic byte lands.
 * All multi-byte integers are little-endian.
 */
import type { NvmDevice } from './device.ts';
import type { NvmRegion } from './layout.ts';

export const MAGIC_BYTES = 4;

/** Bytes "TSET" on the medium. No byte is 0x00, which `writeMagicLast` relies on. */
export const SETTINGS_MAGIC = 0x54455354;
export const SETTINGS_FORMAT_VERSION = 1;
/** magic u32 @0, version u8 @4, seq u32 @5, payload length u32 @9, crc32 u32 @13. */
export const SETTINGS_HEADER_BYTES = 17;

/** Bytes "TLOG" on the medium. No byte is 0x00, which `writeMagicLast` relies on. */
export const LOG_RECORD_MAGIC = 0x474f4c54;
/** magic u32 @0, seq u32 @4, payload length u32 @8, crc32 u32 @12. */
export const LOG_RECORD_HEADER_BYTES = 16;

export const MAX_U32 = 0xffffffff;

/**
 * Writes a frame whose first MAGIC_BYTES bytes are its magic so that it is never observable as
 * valid before it is complete: the old magic is zeroed first (the old frame is invalid from the
 * first byte on, so no old/new mix can pass), the body follows, and the magic goes last. The
 * final magic byte is non-zero, so the frame cannot look valid until that very last byte is
 * written, whatever the CRC would say about a partial body.
 */
export function writeMagicLast(device: NvmDevice, offsetBytes: number, frame: Uint8Array): void {
  if (frame.length < MAGIC_BYTES || frame[MAGIC_BYTES - 1] === 0) {
    throw new Error('writeMagicLast: frame must start with a magic whose last byte is non-zero');
  }
  device.write(offsetBytes, new Uint8Array(MAGIC_BYTES));
  device.write(offsetBytes + MAGIC_BYTES, frame.subarray(MAGIC_BYTES));
  device.write(offsetBytes, frame.subarray(0, MAGIC_BYTES));
}

/** A header whose bytes are all equal was never written (erased or zero-filled), as opposed to torn or corrupt. */
export function isUniform(bytes: Uint8Array): boolean {
  const first = bytes[0];
  for (let i = 1; i < bytes.length; i++) if (bytes[i] !== first) return false;
  return true;
}

export function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Checked up front so a misconfigured layout fails before any byte is changed, not half-way. */
export function assertRegionInDevice(device: NvmDevice, region: NvmRegion, what: string): void {
  if (region.offsetBytes + region.sizeBytes > device.sizeBytes) {
    throw new RangeError(
      `${what} (${region.sizeBytes} bytes at offset ${region.offsetBytes}) does not fit the ${device.sizeBytes}-byte NVM device`,
    );
  }
}

export function hex32(value: number): string {
  return '0x' + value.toString(16).padStart(8, '0');
}
