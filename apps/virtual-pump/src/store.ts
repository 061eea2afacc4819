/**
 * The virtual pump's files: its non-volatile memory image (`<serial>.nvm`, written through the
 * core's `PumpMemory`, so a restart runs the core's own self-test) and its radio key store
 * (`<serial>.keys.json`, mode 0600). The key store and a first or whole memory image go to a
 * temporary file renamed into place, so a killed process leaves the old or the new file. After
 * that the memory file is the device itself: each save writes only the bytes the core changed,
 * in the order it changed them, so a killed process leaves what a power cut at that write would
 * leave in a real pump's memory, which the core's A/B settings and CRC'd log slots survive.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Pump, PumpMemory, type nvm, type PumpModelId, type SelfTestResult } from '@thecal/pump-core';
import { KeyStore, systemRandom, type Random } from '@thecal/protocol';

export interface PumpFiles {
  nvmPath: string;
  keysPath: string;
}

export function pumpFiles(dataDir: string, serial: string): PumpFiles {
  if (!/^[A-Za-z0-9._-]{1,32}$/.test(serial)) throw new Error(`serial "${serial}" must be 1 to 32 letters, digits, dots, dashes or underscores`);
  return { nvmPath: join(dataDir, `${serial}.nvm`), keysPath: join(dataDir, `${serial}.keys.json`) };
}

function writeAtomic(path: string, data: Uint8Array | string, mode = 0o644): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, data, { mode });
  renameSync(tmp, path);
}

export interface Loaded {
  pump: Pump;
  memory: PumpMemory;
  keys: KeyStore;
  created: boolean;
  selfTest: SelfTestResult | null;
}

/** Open a pump's files, or manufacture a new pump (and its random root key) if there are none. */
export function loadOrManufacture(dataDir: string, serial: string, model: PumpModelId, nowUtcMs: number, random: Random = systemRandom): Loaded {
  mkdirSync(dataDir, { recursive: true });
  const files = pumpFiles(dataDir, serial);
  let keys: KeyStore;
  if (existsSync(files.keysPath)) {
    keys = KeyStore.parse(JSON.parse(readFileSync(files.keysPath, 'utf8')));
    if (keys.serial !== serial) throw new Error(`${files.keysPath} belongs to ${keys.serial}, not ${serial}`);
  } else {
    keys = KeyStore.manufacture(serial, model, random);
    writeAtomic(files.keysPath, JSON.stringify(keys.toJSON(), null, 2) + '\n', 0o600);
  }
  if (existsSync(files.nvmPath)) {
    const memory = PumpMemory.fromBytes(new Uint8Array(readFileSync(files.nvmPath)));
    // The file holds these bytes: from here on, saves write only what changes.
    memory.device.takeChanges();
    // Time 0: the core resumes at the time it last saved (simulated time stood still while the process was down).
    const { pump, selfTest } = memory.restore(0, { serial, model: keys.model });
    if (selfTest.settings !== 'never-written') return { pump, memory, keys, created: false, selfTest };
  }
  const memory = PumpMemory.blank();
  const pump = Pump.manufacture({ serial, model: keys.model, atMs: nowUtcMs });
  saveMemory(files, memory, pump);
  return { pump, memory, keys, created: true, selfTest: null };
}

export function saveMemory(files: PumpFiles, memory: PumpMemory, pump: Pump): void {
  memory.save(pump);
  mirrorMemory(files.nvmPath, memory.device);
}

/** Brings the memory file up to the device: its changes replayed in place, or the whole image. Returns the bytes written. */
export function mirrorMemory(path: string, device: nvm.NvmDevice): number {
  const changes = device.takeChanges();
  if (changes === 'all' || !existsSync(path)) {
    writeAtomic(path, device.read(0, device.sizeBytes));
    return device.sizeBytes;
  }
  let written = 0;
  const fd = openSync(path, 'r+');
  try {
    for (const c of changes) written += writeSync(fd, c.bytes, 0, c.bytes.length, c.offsetBytes);
  } finally {
    closeSync(fd);
  }
  return written;
}

export function saveKeys(files: PumpFiles, keys: KeyStore): void {
  writeAtomic(files.keysPath, JSON.stringify(keys.toJSON(), null, 2) + '\n', 0o600);
}
