/**
 * Byte-level model of the pump's non-volatile memory. Writes land one byte at a time so that a
 * power cut can be injected between any two bytes: the persistence code above must survive
 * every such torn write. A single byte is assumed to be written atomically.
 */

/** Thrown from inside `NvmDevice.write` when an armed power cut fires. */
export class PowerLossError extends Error {
  override readonly name = 'PowerLossError';
  /** Offset of the first byte that was NOT written. */
  readonly offsetBytes: number;
  /** Device write count at the moment of the cut. */
  readonly writeCount: number;

  constructor(offsetBytes: number, writeCount: number) {
    super(`power lost before writing byte at offset ${offsetBytes} (after ${writeCount} byte writes)`);
    this.offsetBytes = offsetBytes;
    this.writeCount = writeCount;
  }
}

/** Erased flash reads as 0xFF, so a fresh device defaults to that. */
export const ERASED_BYTE = 0xff;

/** Beyond this many changes since the last take, a mirror is simply rewritten whole. */
const MAX_CHANGES = 4_096;

export class NvmDevice {
  readonly sizeBytes: number;
  private readonly bytes: Uint8Array;
  private writes = 0;
  /** Byte writes still allowed before the armed cut fires; null when disarmed. */
  private writesBeforeCut: number | null = null;
  /** Once the cut fired the pump is off: nothing more can be written until it is restarted. */
  private powerLost = false;
  /**
   * The changes since the last `takeChanges()`, oldest first, each with the bytes as they were
   * written (a later write to the same place is a later entry), so a shell can mirror the memory
   * into a file by replaying them in order: a process killed between two file writes then leaves
   * the file as the device was after some prefix of its writes, which the layout above is built
   * to survive. 'all' once more piled up than a whole rewrite would cost.
   */
  private changes: { offsetBytes: number; bytes: Uint8Array }[] | 'all' | null = null;
  private changedBytes = 0;

  constructor(sizeBytes: number, fillByte: number = ERASED_BYTE) {
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0) {
      throw new RangeError(`NVM size must be a positive integer number of bytes, got ${sizeBytes}`);
    }
    assertByte(fillByte, 'NVM fill byte');
    this.sizeBytes = sizeBytes;
    this.bytes = new Uint8Array(sizeBytes).fill(fillByte);
  }

  /** Reopens memory captured with `snapshot()`, as a restarted pump would. Copies the bytes. */
  static fromBytes(bytes: Uint8Array): NvmDevice {
    const device = new NvmDevice(bytes.length);
    device.bytes.set(bytes);
    return device;
  }

  /** Bytes written since this device object was created (not persisted across `fromBytes`). */
  get writeCount(): number {
    return this.writes;
  }

  /** True once an armed power cut has fired and until `disarm()`. */
  get poweredOff(): boolean {
    return this.powerLost;
  }

  read(offsetBytes: number, lengthBytes: number): Uint8Array {
    this.assertRange('read', offsetBytes, lengthBytes);
    return this.bytes.slice(offsetBytes, offsetBytes + lengthBytes);
  }

  write(offsetBytes: number, bytes: Uint8Array): void {
    // Checked before the first byte: an out-of-range write is a programming error, not a torn write.
    this.assertRange('write', offsetBytes, bytes.length);
    if (this.powerLost) throw new PowerLossError(offsetBytes, this.writes);
    for (let i = 0; i < bytes.length; i++) {
      if (this.writesBeforeCut !== null) {
        if (this.writesBeforeCut === 0) {
          this.writesBeforeCut = null;
          this.powerLost = true;
          // Exactly the bytes that landed before the cut.
          if (i > 0) this.noteChange(offsetBytes, bytes.subarray(0, i));
          throw new PowerLossError(offsetBytes + i, this.writes);
        }
        this.writesBeforeCut -= 1;
      }
      this.bytes[offsetBytes + i] = bytes[i]!;
      this.writes += 1;
    }
    if (bytes.length > 0) this.noteChange(offsetBytes, bytes);
  }

  /**
   * The changes since the last call (or since the first call, which starts the record: devices
   * nobody mirrors pay nothing), oldest first, or 'all' when the whole memory should be rewritten.
   */
  takeChanges(): { offsetBytes: number; bytes: Uint8Array }[] | 'all' {
    const changes = this.changes ?? 'all';
    this.changes = [];
    this.changedBytes = 0;
    return changes;
  }

  private noteChange(offsetBytes: number, bytes: Uint8Array): void {
    if (this.changes === null || this.changes === 'all') return;
    this.changedBytes += bytes.length;
    if (this.changes.length >= MAX_CHANGES || this.changedBytes >= this.sizeBytes) this.changes = 'all';
    else this.changes.push({ offsetBytes, bytes: bytes.slice() });
  }

  /** After `afterByteWrites` more bytes have been written, the next byte write throws PowerLossError. */
  armPowerCut(afterByteWrites: number): void {
    if (!Number.isSafeInteger(afterByteWrites) || afterByteWrites < 0) {
      throw new RangeError(`power cut must be armed after a non-negative integer number of byte writes, got ${afterByteWrites}`);
    }
    this.writesBeforeCut = afterByteWrites;
  }

  /** Cancels an armed cut and restores power after one has fired. */
  disarm(): void {
    this.writesBeforeCut = null;
    this.powerLost = false;
  }

  /** Fault injection: flips bits in place without counting as a write or honouring a power cut. */
  corrupt(offsetBytes: number, xorMask: number): void {
    this.assertRange('corrupt', offsetBytes, 1);
    if (!Number.isInteger(xorMask) || xorMask < 1 || xorMask > 0xff) {
      throw new RangeError(`corrupt xorMask must be an integer in 1..255 (0 would flip nothing), got ${xorMask}`);
    }
    this.bytes[offsetBytes] = this.bytes[offsetBytes]! ^ xorMask;
    // Not a write to the device, but a change a mirror of it must see.
    this.noteChange(offsetBytes, this.bytes.subarray(offsetBytes, offsetBytes + 1));
  }

  /** Copy of the whole memory. */
  snapshot(): Uint8Array {
    return this.bytes.slice();
  }

  private assertRange(op: string, offsetBytes: number, lengthBytes: number): void {
    if (!Number.isSafeInteger(offsetBytes) || offsetBytes < 0) {
      throw new RangeError(`NVM ${op}: offset must be a non-negative integer, got ${offsetBytes}`);
    }
    if (!Number.isSafeInteger(lengthBytes) || lengthBytes < 0) {
      throw new RangeError(`NVM ${op}: length must be a non-negative integer, got ${lengthBytes}`);
    }
    if (offsetBytes + lengthBytes > this.sizeBytes) {
      throw new RangeError(
        `NVM ${op}: ${lengthBytes} bytes at offset ${offsetBytes} run past the end of the ${this.sizeBytes}-byte device`,
      );
    }
  }
}

function assertByte(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) {
    throw new RangeError(`${what} must be an integer in 0..255, got ${value}`);
  }
}
