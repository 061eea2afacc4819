/**
 * The world around a pump, as a training instructor sees it: the pump core (what the pump
 * believes), and the ground truth it cannot see: the true time (its oscillator may drift), the
 * true reservoir (an occluded catheter keeps drug in it; a pocket fill never put drug in it), the
 * catheter path and the virtual patient. Faults are injected here, live (the virtual pump's
 * POST /fault) or on a schedule (training scenarios, the fault-table campaign).
 *
 * Time: `trueMs` is the world's time. The pump is driven at `pumpTimeAt(trueMs)`, which differs by
 * the oscillator drift. Everything the patient receives is booked at true time.
 */
import { Pump, PumpMemory, nvm, type DrugId, type PumpModelId, type SelfTestResult } from '@thecal/pump-core';
import type { CatheterState, Fault, PatientTruth, TimelineEntry, WorldTruth } from '@thecal/control-port';

export type { CatheterState, PatientTruth, TimelineEntry, WorldTruth };

/** What the virtual patient must offer the world (an adapter over @thecal/patient). */
export interface PatientPort {
  /** Drug that left the pump outlet over [fromMs, toMs] into a catheter in `catheter` state. */
  outlet(fromMs: number, toMs: number, volumeNl: number, amountPg: number, catheter: CatheterState): void;
  /** Drug put straight into the spine (an access-port injection) or into tissue (a pocket fill). */
  direct(atMs: number, route: 'spine' | 'tissue', volumeNl: number, amountPg: number): void;
  advanceTo(atMs: number): void;
  truth(): PatientTruth;
  /** What changed since the last call, each at the model's own time (condition changes, signs); optional. */
  changes?(): { atMs: number; text: string }[];
}

export interface RefillInput {
  filledNl: number;
  drugId: DrugId;
  concentrationMcgPerMl: number;
  /** The clinician's entry of what was withdrawn; by default the true residual (what the syringe holds). */
  withdrawnNl?: number;
}

const TIMELINE_LIMIT = 2_000;
/** Longest world step when a patient is attached (delivery within a step is spread evenly). */
export const MAX_STEP_MS = 2 * 3_600_000;

export class FaultWorld {
  pump: Pump;
  memory: PumpMemory;
  readonly identity: { serial: string; model: PumpModelId };
  trueMs: number;
  catheter: CatheterState = { kind: 'intact' };
  /** True reservoir minus what the pump believes. */
  private reservoirOffsetNl = 0;
  pocketNl = 0;
  private drift = { ppm: 0, sinceTrueMs: 0, foldedMs: 0 };
  readonly faults: { atMs: number; fault: Fault }[] = [];
  readonly timeline: TimelineEntry[] = [];
  private lastNl: number;
  private lastEventSeq: number;
  private armedRefillFault: Fault | null = null;
  private lastPrescription = '';
  private lastPatientKey = '';
  private cached: { nowMs: number; eventSeq: number; therapySeq: number; pump: Pump; volumeNl: number; concentrationMcgPerMl: number } | null = null;
  /** Self-test result of the last restart, if the world restarted the pump. */
  lastSelfTest: SelfTestResult | null = null;
  /** Called after the pump object is replaced (a restart), so a shell can rewire its radio. */
  onPumpReplaced: (pump: Pump) => void = () => {};

  constructor(
    pump: Pump,
    memory: PumpMemory,
    readonly patient: PatientPort | null,
    trueMs = pump.nowMs,
  ) {
    this.pump = pump;
    this.memory = memory;
    this.identity = { serial: pump.serial, model: pump.model };
    this.trueMs = trueMs;
    this.drift.sinceTrueMs = trueMs;
    this.drift.foldedMs = pump.nowMs - trueMs;
    const d = pump.status().delivered;
    this.lastNl = d.totalNl;
    this.lastEventSeq = pump.events.nextSequence;
    this.lastPrescription = JSON.stringify(pump.status().prescription);
  }

  /** The pump's input time at a true time: its oscillator's view. Never earlier than the pump already is. */
  pumpTimeAt(trueMs: number): number {
    const t = trueMs + this.drift.foldedMs + Math.trunc(((trueMs - this.drift.sinceTrueMs) * this.drift.ppm) / 1_000_000);
    return Math.max(t, this.pump.nowMs);
  }

  /** Called with every timeline entry as it is written (the fault-table campaign listens). */
  onTimeline: (entry: TimelineEntry) => void = () => {};

  log(atMs: number, source: TimelineEntry['source'], text: string): void {
    if (this.timeline.length >= TIMELINE_LIMIT) this.timeline.splice(0, this.timeline.length - TIMELINE_LIMIT + 1);
    const entry = { atMs, source, text };
    this.timeline.push(entry);
    this.onTimeline(entry);
  }

  /** Let true time pass: the pump runs on its own clock, and what leaves it goes where the catheter takes it. */
  advanceTo(trueMs: number): void {
    if (trueMs < this.trueMs) throw new RangeError(`world time went backwards: ${trueMs} < ${this.trueMs}`);
    // What a step delivered is spread evenly over it: with a patient attached, steps are short
    // enough that a pump stopping mid-step (empty, stalled) is seen within MAX_STEP_MS.
    if (this.patient !== null) {
      while (this.trueMs + MAX_STEP_MS < trueMs) this.step(this.trueMs + MAX_STEP_MS);
    }
    this.step(trueMs);
  }

  private step(trueMs: number): void {
    const from = this.trueMs;
    const before = this.reservoirBefore();
    const believedBefore = before.volumeNl;
    // What leaves the outlet is reservoir drug; the patient's catheter path delays it to the tip.
    const outletConc = before.concentrationMcgPerMl;
    this.pump.advanceTo(this.pumpTimeAt(trueMs));
    this.trueMs = trueMs;
    const st = this.pump.status();
    this.cached = { nowMs: this.pump.nowMs, eventSeq: this.pump.events.nextSequence, therapySeq: this.pump.therapyLog.nextSequence, pump: this.pump, volumeNl: st.reservoir.volumeNl, concentrationMcgPerMl: st.reservoir.concentrationMcgPerMl };
    const d = st.delivered;
    const dNl = d.totalNl - this.lastNl;
    this.lastNl = d.totalNl;
    if (dNl > 0) {
      if (this.catheter.kind === 'occluded') {
        // The rotor turns against a blocked catheter: the drug stays in the reservoir.
        this.reservoirOffsetNl += dNl;
        this.patient?.outlet(from, trueMs, 0, 0, this.catheter);
      } else {
        // A reservoir the pump believes full but that is truly empty (a pocket fill) pumps nothing.
        const available = Math.max(0, believedBefore + this.reservoirOffsetNl);
        const realNl = Math.min(dNl, available);
        this.reservoirOffsetNl += dNl - realNl;
        this.patient?.outlet(from, trueMs, realNl, realNl * outletConc, this.catheter);
      }
    } else {
      this.patient?.outlet(from, trueMs, 0, 0, this.catheter);
    }
    if (this.patient !== null) {
      this.patient.advanceTo(trueMs);
      if (this.patient.changes !== undefined) {
        // Every change at its own time, even one that came and went within this step.
        for (const c of this.patient.changes()) this.log(c.atMs, 'patient', c.text);
      } else {
        const p = this.patient.truth();
        const key = `${p.state}|${p.signs.join(', ')}`;
        if (key !== this.lastPatientKey) {
          this.lastPatientKey = key;
          this.log(trueMs, 'patient', `${p.state}${p.signs.length > 0 ? `: ${p.signs.join(', ')}` : ''}`);
        }
      }
    }
    this.collectPumpEvents();
  }

  /** The reservoir as the pump believes it, read once per step (status() is not free) unless something happened since. */
  private reservoirBefore(): { volumeNl: number; concentrationMcgPerMl: number } {
    const c = this.cached;
    if (c !== null && c.pump === this.pump && c.nowMs === this.pump.nowMs && c.eventSeq === this.pump.events.nextSequence && c.therapySeq === this.pump.therapyLog.nextSequence) return c;
    return this.pump.status().reservoir;
  }

  private collectPumpEvents(): void {
    for (const e of this.pump.events.readFrom(this.lastEventSeq)) {
      if (e.type === 'refill') this.onRefill(Number(e.data['filledNl']), Number(e.data['withdrawnNl']));
      const action = traineeAction(e.type, e.data);
      if (action !== null) this.log(this.trueMs, 'action', action);
      if (e.type === 'program-committed') {
        const rx = JSON.stringify(this.pump.status().prescription);
        if (rx !== this.lastPrescription) this.log(this.trueMs, 'action', 'program-change: a new prescription was committed');
        this.lastPrescription = rx;
      }
      if (e.type === 'alarm-raised') this.log(this.trueMs, 'pump', `alarm ${String(e.data['code'])} raised`);
      else if (e.type === 'motor-stall' || e.type === 'motor-stall-recovery' || e.type === 'eri' || e.type === 'end-of-service' || e.type === 'refill-discrepancy' || e.type === 'self-test' || e.type === 'power-restored' || e.type === 'invariant-violation') {
        this.log(this.trueMs, 'pump', `${e.type} ${JSON.stringify(e.data)}`);
      }
    }
    this.lastEventSeq = this.pump.events.nextSequence;
  }

  get trueReservoirNl(): number {
    return Math.max(0, this.pump.status().reservoir.volumeNl + this.reservoirOffsetNl);
  }

  /** Inject a fault now. Refill faults need a refill: use `refill(..., fault)`. */
  inject(fault: Fault): { ok: true } | { ok: false; message: string } {
    const at = this.trueMs;
    const pumpAt = this.pumpTimeAt(at);
    switch (fault.kind) {
      case 'motor-stall': {
        const r = this.pump.injectHardwareFault(pumpAt, { kind: 'motor-stall', recoveryDelayMs: fault.recoveryDelayMs });
        if (!r.ok) return r;
        break;
      }
      case 'battery-drain': {
        const r = this.pump.injectHardwareFault(pumpAt, { kind: 'battery-drain', extraUjPerDay: fault.extraUjPerDay });
        if (!r.ok) return r;
        break;
      }
      case 'mri': {
        const r = this.pump.execute(pumpAt, `world-mri-${at}-${this.faults.length}`, { type: 'magnetic-field', durationMs: fault.fieldMs, recoveryDelayMs: fault.recoveryDelayMs });
        if (!r.ok) return { ok: false, message: r.message };
        break;
      }
      case 'occlusion':
        this.catheter = { kind: 'occluded' };
        break;
      case 'leak':
        this.catheter = { kind: 'leak', fractionPercent: fault.fractionPercent };
        break;
      case 'disconnection':
        this.catheter = { kind: 'disconnected' };
        break;
      case 'catheter-repair':
        this.catheter = { kind: 'intact' };
        break;
      case 'clock-drift':
        this.drift = { ppm: fault.ppm, sinceTrueMs: at, foldedMs: this.pumpTimeAt(at) - at };
        break;
      case 'low-battery-reset':
        this.restart('low-battery-reset', null);
        break;
      case 'memory-corruption':
        this.restart('power-reset', fault.banks);
        break;
      case 'pocket-fill':
      case 'access-port-injection':
        return { ok: false, message: `${fault.kind} happens during a refill: inject it with a refill` };
      default: {
        const never: never = fault;
        return { ok: false, message: `unknown fault ${JSON.stringify(never)}` };
      }
    }
    this.faults.push({ atMs: at, fault });
    this.log(at, 'fault', describeFault(fault));
    this.collectPumpEvents();
    return { ok: true };
  }

  /**
   * The pump loses power and starts again from its memory (the core's own self-test runs). With
   * `corrupt`, bits in the newest settings copy (or both) flip before the restart.
   */
  private restart(why: 'power-reset' | 'low-battery-reset', corrupt: 'newest' | 'both' | null): void {
    const pumpAt = this.pumpTimeAt(this.trueMs);
    this.pump.advanceTo(pumpAt);
    // The drug in the reservoir does not care what the memory says.
    const trueReservoirNl = this.trueReservoirNl;
    this.memory.save(this.pump);
    if (corrupt !== null) {
      const read = nvm.readSettings(this.memory.device, this.memory.layout);
      const banks = this.memory.layout.settings;
      const newest = read.ok ? read.bank : 'A';
      const targets = corrupt === 'both' ? [banks.bankA, banks.bankB] : [newest === 'A' ? banks.bankA : banks.bankB];
      for (const b of targets) this.memory.device.corrupt(b.offsetBytes + 64, 0x5a);
    }
    const memory = PumpMemory.fromBytes(this.memory.device.snapshot(), this.memory.spec);
    const { pump, selfTest } = memory.restore(pumpAt, this.identity, why);
    this.memory = memory;
    this.pump = pump;
    this.lastSelfTest = selfTest;
    this.reservoirOffsetNl = trueReservoirNl - pump.status().reservoir.volumeNl;
    const d = pump.status().delivered;
    this.lastNl = d.totalNl;
    // Read the restart's own records (self-test, alarms): from the restart marker on. A pump whose
    // settings were unreadable starts a new log, so its sequence numbers start again.
    this.lastEventSeq = restartMarkerSeq(pump) ?? pump.events.nextSequence;
    this.onPumpReplaced(pump);
  }

  /**
   * Arm a refill fault: the next refill (by the programmer over the radio, or `refill()`) sends part
   * or all of the new drug elsewhere, while the pump is told the full volume went in.
   */
  armRefillFault(fault: Fault): { ok: true } | { ok: false; message: string } {
    if (fault.kind !== 'pocket-fill' && fault.kind !== 'access-port-injection') return { ok: false, message: `${fault.kind} is not a refill fault` };
    this.armedRefillFault = fault;
    this.log(this.trueMs, 'fault', `armed for the next refill: ${describeFault(fault)}`);
    return { ok: true };
  }

  get refillFaultArmed(): Fault | null {
    return this.armedRefillFault;
  }

  /** The pump logged a refill: the reservoir truly holds the new drug, less any share an armed fault misplaced. */
  private onRefill(filledNl: number, withdrawnNl: number): void {
    const at = this.trueMs;
    const conc = this.pump.status().reservoir.concentrationMcgPerMl;
    const fault = this.armedRefillFault;
    this.armedRefillFault = null;
    let misplacedNl = 0;
    if (fault?.kind === 'pocket-fill') {
      misplacedNl = Math.floor((filledNl * fault.pocketPercent) / 100);
      this.pocketNl += misplacedNl;
      this.patient?.direct(at, 'tissue', misplacedNl, misplacedNl * conc);
    } else if (fault?.kind === 'access-port-injection') {
      misplacedNl = Math.min(fault.volumeNl, filledNl);
      this.patient?.direct(at, 'spine', misplacedNl, misplacedNl * conc);
    }
    // The syringe took the whole residual; the pump now believes it holds exactly what was filled.
    this.reservoirOffsetNl = -misplacedNl;
    if (fault !== null && (fault.kind === 'pocket-fill' || fault.kind === 'access-port-injection')) {
      this.faults.push({ atMs: at, fault });
      this.log(at, 'fault', describeFault(fault));
    }
    this.log(at, 'action', `refill: withdrew ${withdrawnNl} nL, filled ${filledNl} nL at ${conc} mcg/mL`);
  }

  /**
   * A refill as the clinician does it: withdraw the residual (the true one: what is really in the
   * syringe), fill, and enter both on the programmer. With a refill fault, see armRefillFault.
   */
  refill(commandPrefix: string, input: RefillInput, fault: Fault | null = null): { ok: true; discrepancyFlagged: boolean } | { ok: false; message: string } {
    const at = this.trueMs;
    const pumpAt = this.pumpTimeAt(at);
    const withdrawnNl = input.withdrawnNl ?? this.trueReservoirNl;
    if (fault !== null) {
      const armed = this.armRefillFault(fault);
      if (!armed.ok) return armed;
    }
    this.collectPumpEvents();
    const before = this.pump.events.nextSequence;
    const changes = { refill: { withdrawnNl, filledNl: input.filledNl, drugId: input.drugId, concentrationMcgPerMl: input.concentrationMcgPerMl } };
    const staged = this.pump.execute(pumpAt, `${commandPrefix}-stage`, { type: 'stage', changes });
    if (!staged.ok) return { ok: false, message: `${staged.reason}: ${staged.message}` };
    const committed = this.pump.execute(pumpAt, `${commandPrefix}-commit`, { type: 'commit', stagedId: staged.detail['stagedId'] as number, acknowledgedSoftLimits: softCodes(staged.detail) });
    if (!committed.ok) return { ok: false, message: `${committed.reason}: ${committed.message}` };
    const flagged = this.pump.events.readFrom(before).some((e) => e.type === 'refill-discrepancy');
    this.collectPumpEvents();
    return { ok: true, discrepancyFlagged: flagged };
  }

  truth(): WorldTruth {
    const s = this.pump.status();
    return {
      trueMs: this.trueMs,
      pumpUtcMs: s.pumpUtcMs,
      clockErrorMs: s.pumpUtcMs - this.trueMs,
      clockDriftPpm: this.drift.ppm,
      believedReservoirNl: s.reservoir.volumeNl,
      trueReservoirNl: this.trueReservoirNl,
      pocketNl: this.pocketNl,
      catheter: { ...this.catheter },
      faults: this.faults.map((f) => ({ atMs: f.atMs, fault: { ...f.fault } })),
      patient: this.patient?.truth() ?? null,
      pump: {
        running: s.therapy.running,
        suspendedBy: s.therapy.suspendedBy,
        rateNlPerDay: s.therapy.currentRateNlPerDay,
        alarms: s.alarms.map((a) => a.code),
        drugId: s.reservoir.drugId,
        concentrationMcgPerMl: s.reservoir.concentrationMcgPerMl,
      },
      timeline: [...this.timeline],
    };
  }
}

export function describeFault(f: Fault): string {
  switch (f.kind) {
    case 'motor-stall':
      return f.recoveryDelayMs === null ? 'motor stall (no recovery)' : `motor stall (recovers after ${Math.round(f.recoveryDelayMs / 60_000)} min)`;
    case 'mri':
      return `MRI: field ${Math.round(f.fieldMs / 60_000)} min, recovery delay ${Math.round(f.recoveryDelayMs / 60_000)} min`;
    case 'leak':
      return `catheter leak (${f.fractionPercent}% into tissue)`;
    case 'battery-drain':
      return `battery leakage (+${f.extraUjPerDay} µJ/day)`;
    case 'memory-corruption':
      return `memory corruption (${f.banks === 'both' ? 'both settings copies' : 'newest settings copy'})`;
    case 'clock-drift':
      return `clock drift (${f.ppm > 0 ? '+' : ''}${f.ppm} ppm)`;
    case 'pocket-fill':
      return `pocket fill (${f.pocketPercent}% of the refill into the pocket)`;
    case 'access-port-injection':
      return `access-port injection (${f.volumeNl} nL straight to the spine)`;
    default:
      return f.kind;
  }
}

/** The soft-limit codes a stage answer asks to acknowledge (the clinician reads and confirms them). */
export function softCodes(detail: Readonly<Record<string, unknown>>): string[] {
  const list = detail['softLimits'];
  return Array.isArray(list) ? list.map((i) => String((i as { code?: unknown }).code)) : [];
}

/** What a trainee did, from the pump's own log: the debrief's "what the trainee did". Null for the pump's own events. */
function traineeAction(type: string, data: Readonly<Record<string, unknown>>): string | null {
  switch (type) {
    case 'interrogation':
      return `interrogation${data['resumed'] === true ? ' (the pump resumed after it)' : ''}`;
    case 'alarm-cleared':
      return `alarm-cleared: ${String(data['code'])}`;
    case 'therapy-stopped':
      return 'stop-therapy';
    case 'therapy-resumed':
      return 'resume-therapy';
    case 'bolus-started':
      return data['kind'] === 'bridge' ? 'bridge-bolus started' : data['kind'] === 'clinician' ? `clinician-bolus of ${String(data['volumeNl'])} nL started` : `${String(data['kind'])} bolus started`;
    case 'refill-discrepancy':
      return null;
    default:
      return null;
  }
}

/** Sequence number of the newest restart marker (power restored, or a new log after unreadable memory). */
export function restartMarkerSeq(pump: Pump): number | null {
  const all = pump.events.all();
  for (let i = all.length - 1; i >= 0; i--) {
    const r = all[i];
    if (r !== undefined && (r.type === 'power-restored' || r.type === 'manufactured')) return r.seq;
  }
  return null;
}
