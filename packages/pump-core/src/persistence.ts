/**
 * The pump's non-volatile memory: how the core's state and logs are laid out on the byte-level
 * NVM model, saved, and restored with a self-test at start-up. Still pure: the "memory" is a
 * byte array the shell may keep in a file.
 *
 * Save order: new log records first (a record is committed once its slot is written), then the
 * settings bank (A/B with sequence number and CRC). A power cut anywhere leaves the previous or
 * the new settings, and every log record that was written in full.
 */
import {
  NvmDevice,
  appendRecord,
  defaultLayout,
  logRegion,
  maxRecordPayloadBytes,
  readSettings,
  recoverRecords,
  writeSettings,
  type NvmLayout,
} from './nvm/index.ts';
import { LIMITS, type PumpModelId } from './limits.ts';
import { Pump, type EventType, type PumpSnapshot, type TherapyType } from './pump.ts';
import type { LogRecord } from './ring-log.ts';
import { MS_PER_DAY } from './units.ts';

export interface MemorySpec {
  settingsBankBytes: number;
  eventCapacity: number;
  therapyCapacity: number;
  slotBytes: number;
}
export const DEFAULT_MEMORY_SPEC: MemorySpec = {
  settingsBankBytes: 64 * 1024,
  eventCapacity: LIMITS.eventLogCapacity,
  therapyCapacity: LIMITS.therapyLogCapacity,
  slotBytes: 384,
};

export interface SelfTestResult {
  settings: 'ok' | 'degraded' | 'never-written' | 'failed';
  settingsSeq: number | null;
  detail: string;
  eventRecords: number;
  therapyRecords: number;
  corruptLogSlots: number;
}

/** Delivery history saved with the settings: enough for every 24 h window the pump will check after a restart. */
const HISTORY_KEPT_MS = 2 * MS_PER_DAY;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function memoryLayout(spec: MemorySpec): NvmLayout {
  return defaultLayout({
    settingsBankBytes: spec.settingsBankBytes,
    logs: [
      { name: 'events', capacity: spec.eventCapacity, slotBytes: spec.slotBytes },
      { name: 'therapy', capacity: spec.therapyCapacity, slotBytes: spec.slotBytes },
    ],
  });
}

export class PumpMemory {
  readonly device: NvmDevice;
  readonly layout: NvmLayout;
  readonly spec: MemorySpec;
  /** Next sequence number of each log not yet on the memory. */
  private savedEventSeq = 1;
  private savedTherapySeq = 1;

  private constructor(device: NvmDevice, spec: MemorySpec) {
    this.spec = spec;
    this.layout = memoryLayout(spec);
    if (device.sizeBytes < this.layout.sizeBytes) throw new RangeError(`memory of ${device.sizeBytes} bytes is smaller than the layout's ${this.layout.sizeBytes}`);
    this.device = device;
  }

  /** A blank (erased) memory. */
  static blank(spec: MemorySpec = DEFAULT_MEMORY_SPEC): PumpMemory {
    return new PumpMemory(new NvmDevice(memoryLayout(spec).sizeBytes), spec);
  }

  /** Memory holding these bytes (e.g. read back from a file after a restart). */
  static fromBytes(bytes: Uint8Array, spec: MemorySpec = DEFAULT_MEMORY_SPEC): PumpMemory {
    const mem = new PumpMemory(NvmDevice.fromBytes(bytes), spec);
    for (const [name, key] of [['events', 'savedEventSeq'], ['therapy', 'savedTherapySeq']] as const) {
      mem[key] = recoverRecords(mem.device, logRegion(mem.layout, name)).nextSeq;
    }
    return mem;
  }

  /** Write every log record not yet saved, then the settings. */
  save(pump: Pump): { logRecords: number; settingsBytes: number } {
    let written = 0;
    written += this.saveLog('events', pump.events.readFrom(this.savedEventSeq), (seq) => (this.savedEventSeq = seq));
    written += this.saveLog('therapy', pump.therapyLog.readFrom(this.savedTherapySeq), (seq) => (this.savedTherapySeq = seq));
    const payload = encoder.encode(JSON.stringify(pump.snapshot({ withLogs: false, historySinceMs: pump.nowMs - HISTORY_KEPT_MS })));
    writeSettings(this.device, this.layout, payload);
    return { logRecords: written, settingsBytes: payload.length };
  }

  private saveLog(name: 'events' | 'therapy', records: LogRecord[], done: (nextSeq: number) => void): number {
    const region = logRegion(this.layout, name);
    const max = maxRecordPayloadBytes(region);
    for (const r of records) {
      let bytes = encoder.encode(JSON.stringify({ utcMs: r.utcMs, utcOffsetMs: r.utcOffsetMs, type: r.type, data: r.data }));
      if (bytes.length > max) {
        // Never drop a record: keep its type and time, and say that its details did not fit.
        bytes = encoder.encode(JSON.stringify({ utcMs: r.utcMs, utcOffsetMs: r.utcOffsetMs, type: r.type, data: { truncated: true } }));
      }
      appendRecord(this.device, region, r.seq, bytes);
      done(r.seq + 1);
    }
    return records.length;
  }

  /**
   * Start-up after power returns: self-test the memory and rebuild the pump. Settings that cannot
   * be trusted leave a pump in its safe state with the critical memory alarm, never a guess.
   */
  restore(atMs: number, identity: { serial: string; model: PumpModelId }, why: 'power-reset' | 'low-battery-reset' = 'power-reset'): { pump: Pump; selfTest: SelfTestResult } {
    const events = this.recoverLog<EventType>('events');
    const therapy = this.recoverLog<TherapyType>('therapy');
    const corrupt = events.corrupt + therapy.corrupt;
    const settings = readSettings(this.device, this.layout);
    const base = { eventRecords: events.records.length, therapyRecords: therapy.records.length, corruptLogSlots: corrupt };
    // Settings lost but logs readable: the logs and their numbering carry on in the faulted pump.
    const faulted = (detail: string): Pump => {
      const pump = Pump.withRecoveredLogs(identity, atMs, events, therapy);
      pump.memoryFault(pump.nowMs, detail);
      return pump;
    };
    if (!settings.ok) {
      const selfTest: SelfTestResult = { settings: settings.reason === 'never-written' ? 'never-written' : 'failed', settingsSeq: null, detail: settings.detail, ...base };
      if (settings.reason === 'never-written' && events.records.length === 0 && therapy.records.length === 0) {
        return { pump: Pump.manufacture({ serial: identity.serial, model: identity.model, atMs }), selfTest };
      }
      return { pump: faulted(`settings unreadable: ${settings.detail}`), selfTest };
    }
    let snapshot: PumpSnapshot;
    try {
      snapshot = JSON.parse(decoder.decode(settings.payload)) as PumpSnapshot;
    } catch (e) {
      return { pump: faulted(`settings payload not decodable: ${(e as Error).message}`), selfTest: { settings: 'failed', settingsSeq: settings.seq, detail: 'payload not decodable', ...base } };
    }
    snapshot.events = { records: events.records, nextSeq: events.nextSeq };
    snapshot.therapy = { records: therapy.records, nextSeq: therapy.nextSeq };
    const pump = Pump.restoreAfterPowerLoss(snapshot, Math.max(atMs, Number(snapshot.fields['nowMs'])), why);
    const selfTest: SelfTestResult = {
      settings: settings.degraded ? 'degraded' : 'ok',
      settingsSeq: settings.seq,
      detail: settings.faults.map((f) => `bank ${f.bank}: ${f.reason}`).join('; '),
      ...base,
    };
    // A bank whose magic is missing was being written when power went: expected, not a fault.
    const corrupted = settings.faults.some((f) => f.reason !== 'bad-magic');
    pump.logSelfTest(corrupted ? 'degraded' : selfTest.settings === 'degraded' ? 'interrupted-write' : 'ok', selfTest.settingsSeq ?? 0, corrupt);
    return { pump, selfTest };
  }

  private recoverLog<T extends string>(name: 'events' | 'therapy'): { records: LogRecord<T>[]; nextSeq: number; corrupt: number } {
    const rec = recoverRecords(this.device, logRegion(this.layout, name));
    const records: LogRecord<T>[] = [];
    let corrupt = rec.corruptSlots;
    for (const r of rec.records) {
      try {
        const body = JSON.parse(decoder.decode(r.payload)) as Omit<LogRecord<T>, 'seq'>;
        records.push({ seq: r.seq, ...body });
      } catch {
        corrupt += 1;
      }
    }
    return { records, nextSeq: rec.nextSeq, corrupt };
  }
}
