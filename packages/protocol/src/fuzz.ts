/**
 * The fuzz campaign over the pump's radio: the frame decoder, the session layer and every command
 * handler. Three kinds of input, from a seeded generator (a failure prints its seed and frame):
 *
 *  - random bytes (sometimes with a valid version and frame type, to get past the first checks);
 *  - structure-aware mutations of valid frames already sent: bit flips, byte changes, truncation,
 *    extension, splices, altered header fields (version, type, session id, counter);
 *  - authentic frames of a real session carrying hostile plaintext: random message types, random
 *    bodies, and valid bodies whose numbers are pushed to extremes, so every handler and the pump
 *    core's own validation are exercised.
 *
 * Invariants checked: nothing throws and nothing takes long; an unauthentic frame is rejected and
 * changes nothing but the security log; the logs only grow; the maximum daily dose is never
 * exceeded and the pump never reaches its safe state.
 */
import type { Pump } from '@thecal/pump-core';
import { LIMITS } from '@thecal/pump-core';
import { toHex } from './bytes.ts';
import { decodeFrame } from './frame.ts';
import { REQUEST_TYPES, REQUEST_TYPE_NAMES, encodeRequest, type RequestType } from './messages.ts';
import { makeRig, RawSession, T0 } from './testkit.ts';
import { encodeValue, type Value } from './value-codec.ts';
import { seededUniform } from '@thecal/pump-core';

export interface FuzzOptions {
  frames: number;
  seed: number;
  /** Check the full state fingerprint on every n-th unauthentic frame (1 = every one). */
  fingerprintEvery?: number;
}
export interface FuzzStats {
  frames: number;
  unauthentic: number;
  authentic: number;
  rejected: number;
  accepted: number;
  acceptedByType: Record<string, number>;
  securityCounts: Record<string, number>;
  sessionsOpened: number;
  maxFrameMs: number;
  wallMs: number;
  eventLogGrewBy: number;
}

export class FuzzFailure extends Error {
  constructor(
    message: string,
    readonly frameHex: string,
    readonly iteration: number,
    readonly seed: number,
  ) {
    super(`${message} (seed ${seed}, frame #${iteration}: ${frameHex.slice(0, 200)})`);
    this.name = 'FuzzFailure';
  }
}


/** Valid bodies to start from when pushing numbers to extremes. */
const SHAPES: Partial<Record<RequestType, Value>> = {
  'read-log': { log: 'therapy', fromSeq: 1, maxRecords: 10 },
  'get-outcome': { commandId: 'r:0000000000000001' },
  'stage-program': { changes: { prescription: { drugId: 'morphine', concentrationMcgPerMl: 25_000, basal: { kind: 'flex', dayPrograms: [{ name: 'a', steps: [{ startMinute: 0, rateNlPerDay: 400_000 }, { startMinute: 600, rateNlPerDay: 700_000 }] }], week: [0, 0, 0, 0, 0, 0, 0] }, maxRateNlPerDay: 1_000_000, maxDailyDosePg: 18_000_000_000, patientBolus: { volumeNl: 10_000, durationMs: 600_000, lockoutMs: 3_600_000, maxPer24h: 8 } } } },
  commit: { stagedId: 1, acknowledgedSoftLimits: [] },
  'stage-refill': { refill: { withdrawnNl: 0, filledNl: 5_000_000, drugId: 'morphine', concentrationMcgPerMl: 25_000 } },
  'stage-bolus': { bolus: { kind: 'clinician', volumeNl: 50_000, durationMs: 600_000 } },
  'stage-alarm-settings': { alarms: { lowReservoirNl: 2_000_000, refillReminderUtcMs: T0 + 86_400_000 } },
  'clear-alarm': { code: 'reservoir-low' },
  'set-clock': { pumpUtcMs: T0 },
  'set-utc-offset': { utcOffsetMs: 3_600_000 },
};
const EXTREMES = [0, 1, -1, 2 ** 31, 2 ** 53 - 1, -(2 ** 53) + 1, 0.5, 1e308, Number.NaN, Number.POSITIVE_INFINITY, 59, 61, 1439, 1440, 86_400_000];

export function runFuzz(opts: FuzzOptions): FuzzStats {
  const rand = seededUniform(opts.seed);
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const bytes = (n: number) => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = int(256);
    return b;
  };
  const rig = makeRig(`fuzz-${opts.seed}`);
  const { pump, radio, at } = rig;
  const stats: FuzzStats = { frames: 0, unauthentic: 0, authentic: 0, rejected: 0, accepted: 0, acceptedByType: {}, securityCounts: {}, sessionsOpened: 0, maxFrameMs: 0, wallMs: 0, eventLogGrewBy: 0 };
  const startEvents = pump.events.nextSequence;
  const open = (who: 'clinician' | 'patient'): RawSession => {
    stats.sessionsOpened += 1;
    try {
      return new RawSession(rig.send, who === 'clinician' ? rig.clinician : rig.patient, rig.random);
    } catch (e) {
      // The fuzzer's own forged HELLOs can trip the brute-force lockout: wait it out, as a real client would.
      if (!(e instanceof Error) || !/busy/.test(e.message)) throw e;
      at.linkMs += 61_000;
      return new RawSession(rig.send, who === 'clinician' ? rig.clinician : rig.patient, rig.random);
    }
  };
  const sessions = { clinician: open('clinician'), patient: open('patient') };

  // A corpus of valid frames of every kind, each sent once so that any copy of one is stale.
  const corpus: Uint8Array[] = [sessions.clinician.helloFrame, sessions.patient.helloFrame];
  for (const type of REQUEST_TYPE_NAMES) {
    if (type === 'end-telemetry' || type === 'revoke-credential') continue;
    const s = sessions[type === 'patient-bolus' ? 'patient' : 'clinician'];
    const f = s.frame(type, SHAPES[type] ?? {});
    rig.send(f);
    corpus.push(f);
  }

  const fingerprint = (p: Pump) => {
    const { log, ...st } = p.status();
    void log;
    return JSON.stringify(st);
  };
  const every = opts.fingerprintEvery ?? 25;
  let eventSeq = pump.events.nextSequence;
  let therapySeq = pump.therapyLog.nextSequence;

  const mutate = (src: Uint8Array): Uint8Array => {
    let f = src.slice();
    const rounds = 1 + int(3);
    for (let r = 0; r < rounds; r++) {
      switch (int(9)) {
        case 0: {
          const bit = int(Math.max(1, f.length * 8));
          if (f.length > 0) f[bit >> 3] = (f[bit >> 3] ?? 0) ^ (1 << (bit & 7));
          break;
        }
        case 1:
          if (f.length > 0) f[int(f.length)] = int(256);
          break;
        case 2:
          f = f.slice(0, int(f.length + 1));
          break;
        case 3: {
          const extra = bytes(1 + int(32));
          const g = new Uint8Array(f.length + extra.length);
          g.set(f);
          g.set(extra, f.length);
          f = g;
          break;
        }
        case 4: {
          const other = pick(corpus);
          const cut = int(Math.min(f.length, other.length) + 1);
          const g = new Uint8Array(other.length);
          g.set(f.subarray(0, cut));
          g.set(other.subarray(cut), cut);
          f = g;
          break;
        }
        case 5:
          if (f.length > 0) f[0] = pick([0, 2, 255, 1]);
          break;
        case 6:
          if (f.length > 1) f[1] = int(8);
          break;
        case 7:
          // Session id of a live session on someone else's frame, or a counter far ahead.
          if (f.length >= 14) {
            const dv = new DataView(f.buffer, f.byteOffset);
            if (rand() < 0.5) dv.setUint32(2, pick([sessions.clinician.id, sessions.patient.id, int(2 ** 32)]));
            else dv.setUint32(10, (dv.getUint32(10) + 1 + int(1000)) >>> 0);
          }
          break;
        default:
          if (f.length > 2) f = f.slice(int(2) + 1);
      }
    }
    return f;
  };

  const randomValue = (depth: number): Value => {
    switch (int(depth > 2 ? 5 : 8)) {
      case 0:
        return null;
      case 1:
        return rand() < 0.5;
      case 2:
        return pick(EXTREMES);
      case 3:
        return pick(['', 'morphine', 'continuous', 'x'.repeat(int(100)), 'r:0000000000000001', 'events', 'therapy', 'reservoir-low']);
      case 4:
        return int(1_000_000);
      case 5:
        return Array.from({ length: int(4) }, () => randomValue(depth + 1));
      case 6:
        return bytes(int(12));
      default: {
        const o: Record<string, Value> = {};
        for (let i = int(4); i > 0; i--) o[pick(['changes', 'refill', 'bolus', 'kind', 'log', 'fromSeq', 'code', 'stagedId', 'x', 'alarms', 'volumeNl'])] = randomValue(depth + 1);
        return o;
      }
    }
  };
  const pushExtremes = (v: Value): Value => {
    if (typeof v === 'number') return rand() < 0.3 ? pick(EXTREMES) : v;
    if (Array.isArray(v)) return v.map(pushExtremes);
    if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) {
      const o: Record<string, Value> = {};
      for (const [k, x] of Object.entries(v)) if (rand() > 0.05) o[k] = pushExtremes(x);
      return o;
    }
    return v;
  };
  const hostilePlaintext = (): Uint8Array => {
    const k = int(4);
    if (k === 0) return bytes(int(64));
    const type = pick(REQUEST_TYPE_NAMES.filter((t) => t !== 'end-telemetry' && t !== 'revoke-credential'));
    const commandId = `r:${toHex(bytes(8))}`;
    const body = k === 1 ? randomValue(0) : pushExtremes(SHAPES[type] ?? {});
    const plain = encodeRequest({ type, commandId, body });
    if (k === 3 && plain.length > 9) plain[9 + int(plain.length - 9)] = int(256);
    if (rand() < 0.02) plain[0] = int(256);
    return rand() < 0.01 ? encodeValue(body) : plain;
  };

  const started = performance.now();
  for (let i = 0; i < opts.frames; i++) {
    // Time passes between frames: the pump delivers, sessions stay alive.
    if (rand() < 0.01) at.pumpMs += int(3_600_000);
    at.linkMs += int(50);
    pump.advanceTo(at.pumpMs);
    // What time itself wrote (daily totals, bolus ends) is not the frame's doing.
    eventSeq = pump.events.nextSequence;
    therapySeq = pump.therapyLog.nextSequence;
    const r = rand();
    let frame: Uint8Array;
    let authentic = false;
    let who: 'clinician' | 'patient' = 'clinician';
    if (r < 0.25) {
      frame = bytes(int(160));
      if (frame.length > 1 && rand() < 0.6) frame[0] = 1;
      if (frame.length > 1 && rand() < 0.6) frame[1] = 1 + int(6);
    } else if (r < 0.7) {
      frame = mutate(pick(corpus));
    } else {
      authentic = true;
      who = rand() < 0.5 ? 'clinician' : 'patient';
      frame = sessions[who].seal(hostilePlaintext());
    }
    const before = !authentic && i % every === 0 ? fingerprint(pump) : null;
    const t0 = performance.now();
    let result: ReturnType<typeof rig.send>;
    try {
      result = rig.send(frame);
    } catch (e) {
      throw new FuzzFailure(`radio threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`, toHex(frame), i, opts.seed);
    }
    const dt = performance.now() - t0;
    stats.maxFrameMs = Math.max(stats.maxFrameMs, dt);
    if (dt > 2_000) throw new FuzzFailure(`one frame took ${dt.toFixed(0)} ms`, toHex(frame), i, opts.seed);
    stats.frames += 1;
    if (result.rejected === null) {
      stats.accepted += 1;
      if (result.request !== null) stats.acceptedByType[result.request] = (stats.acceptedByType[result.request] ?? 0) + 1;
    } else stats.rejected += 1;

    if (!authentic) {
      stats.unauthentic += 1;
      if (result.rejected === null) throw new FuzzFailure('an unauthentic frame was accepted', toHex(frame), i, opts.seed);
      if (pump.therapyLog.nextSequence !== therapySeq) throw new FuzzFailure('an unauthentic frame wrote to the therapy log', toHex(frame), i, opts.seed);
      for (const rec of pump.events.readFrom(eventSeq)) {
        if (rec.type !== 'security') throw new FuzzFailure(`an unauthentic frame caused a "${rec.type}" event`, toHex(frame), i, opts.seed);
      }
      if (before !== null && fingerprint(pump) !== before) throw new FuzzFailure('an unauthentic frame changed the pump', toHex(frame), i, opts.seed);
    } else {
      stats.authentic += 1;
      // The session may have ended (end-telemetry is never generated, but a reply can say so): reopen it.
      const reply = result.reply === null ? null : decodeFrame(result.reply);
      if (reply?.type === 'error') sessions[who] = open(who);
    }
    if (radio.internalErrors > 0) throw new FuzzFailure('a request failed inside the pump', toHex(frame), i, opts.seed);
    if (pump.events.nextSequence < eventSeq || pump.therapyLog.nextSequence < therapySeq) throw new FuzzFailure('a log went backwards', toHex(frame), i, opts.seed);
    if (i % 200 === 0) checkDose(pump, toHex(frame), i, opts.seed);
  }
  checkDose(pump, '', opts.frames, opts.seed);
  if (radio.internalErrors > 0) throw new FuzzFailure(`${radio.internalErrors} request(s) failed inside the pump`, '', opts.frames, opts.seed);
  stats.wallMs = performance.now() - started;
  stats.securityCounts = Object.fromEntries(radio.security.counts);
  stats.eventLogGrewBy = pump.events.nextSequence - startEvents;
  return stats;
}

function checkDose(pump: Pump, frameHex: string, i: number, seed: number): void {
  const s = pump.status();
  if (s.alarms.some((a) => a.code === 'safe-state')) throw new FuzzFailure('the pump entered its safe state', frameHex, i, seed);
  const rx = s.prescription;
  const trailing = s.delivered.trailing24hPg;
  if (rx !== null && trailing !== null) {
    const quantum = LIMITS.strokeNl * Math.max(s.reservoir.concentrationMcgPerMl, rx.concentrationMcgPerMl);
    if (trailing > rx.maxDailyDosePg + quantum) throw new FuzzFailure(`24 h dose ${trailing} pg above the maximum ${rx.maxDailyDosePg} pg`, frameHex, i, seed);
  }
}

export const FUZZ_REQUEST_TYPE_COUNT = Object.keys(REQUEST_TYPES).length;
