/**
 * Where each persistent structure lives in NVM. Regions are fixed at build time so that a
 * restarted pump finds everything at the same offsets without any directory on the medium.
 */
import { LOG_RECORD_HEADER_BYTES, SETTINGS_HEADER_BYTES } from './format.ts';

export interface NvmRegion {
  readonly offsetBytes: number;
  readonly sizeBytes: number;
}

export interface SettingsRegion {
  readonly bankA: NvmRegion;
  readonly bankB: NvmRegion;
}

export interface LogRegion extends NvmRegion {
  readonly name: string;
  /** Records guaranteed to survive: the newest `capacity` committed records. */
  readonly capacity: number;
  readonly slotBytes: number;
  /** capacity + 1: the spare slot is the one a torn append may destroy. */
  readonly slotCount: number;
}

export interface NvmLayout {
  readonly sizeBytes: number;
  readonly settings: SettingsRegion;
  readonly logs: readonly LogRegion[];
}

export interface LogSpec {
  readonly name: string;
  readonly capacity: number;
  readonly slotBytes: number;
}

export interface LayoutSpec {
  /** Size of each of the two settings banks, header included. */
  readonly settingsBankBytes: number;
  readonly logs: readonly LogSpec[];
}

/** Packs bank A, bank B, then each log in the order given, with no gaps. */
export function defaultLayout(spec: LayoutSpec): NvmLayout {
  const bankBytes = spec.settingsBankBytes;
  if (!Number.isSafeInteger(bankBytes) || bankBytes <= SETTINGS_HEADER_BYTES) {
    throw new RangeError(
      `settingsBankBytes must be an integer greater than the ${SETTINGS_HEADER_BYTES}-byte bank header, got ${bankBytes}`,
    );
  }
  let offsetBytes = 0;
  const bankA: NvmRegion = { offsetBytes, sizeBytes: bankBytes };
  offsetBytes += bankBytes;
  const bankB: NvmRegion = { offsetBytes, sizeBytes: bankBytes };
  offsetBytes += bankBytes;

  const logs: LogRegion[] = [];
  const names = new Set<string>();
  for (const log of spec.logs) {
    if (typeof log.name !== 'string' || log.name.length === 0) throw new RangeError('log name must be a non-empty string');
    if (names.has(log.name)) throw new RangeError(`log name "${log.name}" is used twice`);
    names.add(log.name);
    if (!Number.isSafeInteger(log.capacity) || log.capacity < 1) {
      throw new RangeError(`log "${log.name}": capacity must be a positive integer, got ${log.capacity}`);
    }
    if (!Number.isSafeInteger(log.slotBytes) || log.slotBytes <= LOG_RECORD_HEADER_BYTES) {
      throw new RangeError(
        `log "${log.name}": slotBytes must be an integer greater than the ${LOG_RECORD_HEADER_BYTES}-byte record header, got ${log.slotBytes}`,
      );
    }
    const slotCount = log.capacity + 1;
    const sizeBytes = slotCount * log.slotBytes;
    if (!Number.isSafeInteger(offsetBytes + sizeBytes)) throw new RangeError(`log "${log.name}" makes the layout too large`);
    logs.push({ name: log.name, capacity: log.capacity, slotBytes: log.slotBytes, slotCount, offsetBytes, sizeBytes });
    offsetBytes += sizeBytes;
  }
  const layout: NvmLayout = { sizeBytes: offsetBytes, settings: { bankA, bankB }, logs };
  validateLayout(layout);
  return layout;
}

/** Checks a layout (hand-built or computed): sane sizes, every region inside, no two overlapping. */
export function validateLayout(layout: NvmLayout): void {
  if (!Number.isSafeInteger(layout.sizeBytes) || layout.sizeBytes <= 0) {
    throw new RangeError(`layout sizeBytes must be a positive integer, got ${layout.sizeBytes}`);
  }
  const named: { what: string; region: NvmRegion }[] = [
    { what: 'settings bank A', region: layout.settings.bankA },
    { what: 'settings bank B', region: layout.settings.bankB },
  ];
  for (const { what, region } of named) {
    if (region.sizeBytes <= SETTINGS_HEADER_BYTES) {
      throw new RangeError(`${what} is ${region.sizeBytes} bytes, not more than the ${SETTINGS_HEADER_BYTES}-byte bank header`);
    }
  }
  for (const log of layout.logs) {
    const what = `log "${log.name}"`;
    if (!Number.isSafeInteger(log.capacity) || log.capacity < 1) throw new RangeError(`${what}: capacity must be a positive integer`);
    if (log.slotCount !== log.capacity + 1) {
      throw new RangeError(`${what}: slotCount must be capacity + 1 = ${log.capacity + 1}, got ${log.slotCount}`);
    }
    if (!Number.isSafeInteger(log.slotBytes) || log.slotBytes <= LOG_RECORD_HEADER_BYTES) {
      throw new RangeError(`${what}: slotBytes must exceed the ${LOG_RECORD_HEADER_BYTES}-byte record header`);
    }
    if (log.sizeBytes !== log.slotCount * log.slotBytes) {
      throw new RangeError(`${what}: sizeBytes must be slotCount * slotBytes = ${log.slotCount * log.slotBytes}, got ${log.sizeBytes}`);
    }
    named.push({ what, region: log });
  }
  for (const { what, region } of named) {
    if (!Number.isSafeInteger(region.offsetBytes) || region.offsetBytes < 0) {
      throw new RangeError(`${what}: offsetBytes must be a non-negative integer, got ${region.offsetBytes}`);
    }
    if (!Number.isSafeInteger(region.sizeBytes) || region.sizeBytes <= 0) {
      throw new RangeError(`${what}: sizeBytes must be a positive integer, got ${region.sizeBytes}`);
    }
    if (region.offsetBytes + region.sizeBytes > layout.sizeBytes) {
      throw new RangeError(`${what} (bytes ${region.offsetBytes}..${region.offsetBytes + region.sizeBytes - 1}) lies outside the ${layout.sizeBytes}-byte layout`);
    }
  }
  const sorted = [...named].sort((x, y) => x.region.offsetBytes - y.region.offsetBytes);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (prev.region.offsetBytes + prev.region.sizeBytes > cur.region.offsetBytes) {
      throw new RangeError(`${prev.what} overlaps ${cur.what}`);
    }
  }
}

/** The log region called `name`; throws if the layout has none, since that is a wiring bug. */
export function logRegion(layout: NvmLayout, name: string): LogRegion {
  const log = layout.logs.find((l) => l.name === name);
  if (log === undefined) {
    throw new RangeError(`no log named "${name}" in the NVM layout (have: ${layout.logs.map((l) => l.name).join(', ') || 'none'})`);
  }
  return log;
}
