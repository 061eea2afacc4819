/**
 * Scenarios shared by the benchmarks: prescriptions, programming through the real command path
 * (stage + commit), and the "patient" run behind the speed and memory figures.
 */
import { Pump, type BasalProgram, type ChangeSet, type CommandResult, type DrugId, type FlexStep, type Prescription } from '@thecal/pump-core';
import { MS_DAY, ProgrammedModel } from './exact.ts';

export const MS_MINUTE = 60_000;
export const MS_HOUR = 3_600_000;
export const MS_YEAR = 365 * MS_DAY;
export const NL_PER_ML = 1_000_000;
/** Runs start on Thursday 2026-01-01 00:00 UTC. */
export const T0 = Date.UTC(2026, 0, 1);
export const RESERVOIR_NL = 40 * NL_PER_ML;

export const MORPHINE_MCG_PER_ML = 25_000;

/** Stage a change set and commit it, acknowledging every soft limit; returns the commit result. */
export class Programmer {
  private n = 0;
  /** `${prefix}-${kind}-` of the last kind asked for: a run asks for the same kind over and over. */
  private stemKind = '';
  private stem = '';
  constructor(private readonly prefix: string) {}

  /** A new command id, `${prefix}-${kind}-${n}`, built as stem + n: one concatenation, not three. */
  id(kind: string): string {
    this.n += 1;
    if (kind !== this.stemKind) {
      this.stemKind = kind;
      this.stem = `${this.prefix}-${kind}-`;
    }
    return this.stem + this.n;
  }

  apply(pump: Pump, atMs: number, changes: ChangeSet): CommandResult {
    const staged = pump.execute(atMs, this.id('stage'), { type: 'stage', changes });
    if (!staged.ok) return staged;
    const soft = (staged.detail['softLimits'] as { code: string }[] | undefined) ?? [];
    return pump.execute(atMs, this.id('commit'), { type: 'commit', stagedId: staged.detail['stagedId'] as number, acknowledgedSoftLimits: soft.map((s) => s.code) });
  }

  /** Like apply, but a refusal is a broken benchmark. */
  must(pump: Pump, atMs: number, changes: ChangeSet): void {
    const r = this.apply(pump, atMs, changes);
    if (!r.ok) throw new Error(`programming refused at ${new Date(atMs).toISOString()}: ${r.reason}: ${r.message}`);
  }
}

export function refill(withdrawnNl: number, drugId: DrugId, concentrationMcgPerMl: number, filledNl = RESERVOIR_NL): ChangeSet {
  return { refill: { withdrawnNl, filledNl, drugId, concentrationMcgPerMl } };
}

/**
 * The speed benchmark's flex program: 13 steps a day, two day programs (a weekday and a
 * physiotherapy day on Wednesday and Saturday), mean about 0.5 mL/day of morphine 25 mg/mL.
 */
export function flex13Basal(): BasalProgram {
  const starts = [0, 90, 240, 360, 420, 510, 630, 720, 840, 960, 1080, 1200, 1320];
  const weekday = [380, 420, 460, 540, 600, 560, 520, 500, 540, 580, 520, 460, 400];
  const physio = [380, 420, 460, 560, 640, 620, 600, 560, 560, 600, 520, 460, 400];
  const steps = (rates: number[]): FlexStep[] => starts.map((m, i) => ({ startMinute: m, rateNlPerDay: (rates[i] ?? 0) * 1_000 }));
  return {
    kind: 'flex',
    dayPrograms: [
      { name: 'weekday', steps: steps(weekday) },
      { name: 'physiotherapy day', steps: steps(physio) },
    ],
    week: [0, 0, 0, 1, 0, 0, 1],
  };
}

/** Patient bolus: 10 µL (0.25 mg morphine) over 10 min, 60 min lockout, 8 per rolling 24 h. */
export const SPEED_BOLUS = { volumeNl: 10_000, durationMs: 10 * MS_MINUTE, lockoutMs: 60 * MS_MINUTE, maxPer24h: 8 } as const;

export function morphinePrescription(basal: BasalProgram, withBolus: boolean): Prescription {
  return {
    drugId: 'morphine',
    concentrationMcgPerMl: MORPHINE_MCG_PER_ML,
    basal,
    maxRateNlPerDay: 1_000_000,
    // Basal at most ~0.54 mL/day (13.5 mg) + 8 boluses (2 mg) fits under 18 mg, with room for the
    // commit-time projection (see README: it adds the full allowance on top of boluses already given).
    maxDailyDosePg: 18_000_000_000,
    patientBolus: withBolus ? { ...SPEED_BOLUS } : null,
  };
}

export interface PatientRunOptions {
  years: number;
  basal: BasalProgram;
  /** Local hours of the day at which the patient asks for a bolus (empty: none). */
  bolusHours: readonly number[];
  refillEveryDays: number;
  /** Called at these whole-year marks (e.g. to measure the heap); its time is not excluded from wallMs. */
  checkpointYears?: readonly number[];
  onCheckpoint?: (year: number) => void;
  serial?: string;
  /** Keep each granted bolus time for verification (default true; off for the memory run, where it would be the only thing growing). */
  recordBoluses?: boolean;
  /**
   * Called before every command and retirement with the time the core is about to be taken to.
   * The default does nothing (the core jumps from event to event); the naive "polled" baseline
   * steps the core there one stroke at a time.
   */
  approach?: (pump: Pump, toMs: number) => void;
}

export interface PumpLife {
  serial: string;
  fromMs: number;
  toMs: number;
  deliveredNl: number;
  segments: number;
  basal: BasalProgram;
  grantedStartsMs: number[];
}

export interface PatientRunStats {
  wallMs: number;
  days: number;
  segments: number;
  requested: number;
  granted: number;
  refills: number;
  replacements: number;
  lives: PumpLife[];
  /** The pump in service at the end (for inspection). */
  last: Pump;
}

/** Refill visits are at 08:30 local. */
const VISIT_HOUR = 8.5;

/** The default `approach`: nothing (the core jumps from event to event). Module level, see PatientRun. */
function jumpStraight(_pump: Pump, _toMs: number): void {}

interface InService {
  pump: Pump;
  life: PumpLife;
}

/**
 * The state of one runPatient call. Methods rather than closures made inside runPatient: a
 * closure is a new function object on every call, so the optimised loop compiled in one run met
 * "wrong call target" in the next, was thrown away and compiled again (with the whole inlined
 * core) in every measured run. That compile work was the shell's, not the pump's.
 */
class PatientRun {
  readonly lives: PumpLife[] = [];
  serialN = 0;
  refills = 0;
  replacements = 0;
  segmentsDone = 0;
  readonly rx: Prescription;
  readonly prog: Programmer;
  readonly approach: (pump: Pump, toMs: number) => void;
  readonly hours: number[];
  readonly record: boolean;
  readonly checkpoints: Set<number>;
  requested = 0;
  granted = 0;
  /** The pump in service (set by runPatient before the first day). */
  cur!: InService;

  constructor(readonly o: PatientRunOptions) {
    this.rx = morphinePrescription(o.basal, o.bolusHours.length > 0);
    this.prog = new Programmer(o.serial ?? 'pt');
    this.approach = o.approach ?? jumpStraight;
    this.hours = [...o.bolusHours].sort((a, b) => a - b);
    this.record = o.recordBoluses ?? true;
    this.checkpoints = new Set((o.checkpointYears ?? []).map((y) => Math.round(y * 365)));
  }

  /** Day `d` of the run: the patient's boluses, the refill visit on visit days, the day's outputs drained. */
  day(d: number): void {
    const dayMs = T0 + d * MS_DAY;
    const visitAt = dayMs + VISIT_HOUR * MS_HOUR;
    const visit = d > 0 && d % this.o.refillEveryDays === 0;
    let visited = false;
    for (let i = 0; i < this.hours.length; i++) {
      const h = this.hours[i] as number;
      if (visit && !visited && h > VISIT_HOUR) {
        this.cur = this.visit(this.cur, visitAt);
        visited = true;
      }
      const at = dayMs + h * MS_HOUR;
      this.requested += 1;
      const cur = this.cur;
      this.approach(cur.pump, at);
      const r = cur.pump.execute(at, this.prog.id('pb'), { type: 'patient-bolus' });
      if (r.ok) {
        this.granted += 1;
        if (this.record) cur.life.grantedStartsMs.push(at);
      }
    }
    if (visit && !visited) this.cur = this.visit(this.cur, visitAt);
    this.cur.pump.drainOutputs();
    if (this.checkpoints.has(d + 1)) {
      this.approach(this.cur.pump, dayMs + MS_DAY);
      this.cur.pump.advanceTo(dayMs + MS_DAY);
      this.o.onCheckpoint?.((d + 1) / 365);
    }
  }

  implant(atMs: number): InService {
    this.serialN += 1;
    const serial = `${this.o.serial ?? 'pt'}-${this.serialN}`;
    const pump = Pump.manufacture({ serial, model: 'thecal-40', atMs });
    this.prog.must(pump, atMs, { ...refill(0, 'morphine', MORPHINE_MCG_PER_ML), prescription: this.rx });
    const life: PumpLife = { serial, fromMs: atMs, toMs: atMs, deliveredNl: 0, segments: 0, basal: this.o.basal, grantedStartsMs: [] };
    return { pump, life };
  }

  retire(cur: InService, atMs: number): void {
    this.approach(cur.pump, atMs);
    cur.pump.advanceTo(atMs);
    cur.life.toMs = atMs;
    cur.life.deliveredNl = cur.pump.status().delivered.totalNl;
    cur.life.segments = cur.pump.segmentsStepped;
    this.segmentsDone += cur.pump.segmentsStepped;
    this.lives.push(cur.life);
  }

  /** The refill visit at `atMs`: a new pump if the battery's projected ERI comes before the next visit, else a refill. */
  visit(cur: InService, atMs: number): InService {
    if (cur.pump.projectedEriMs() < atMs + this.o.refillEveryDays * MS_DAY) {
      this.retire(cur, atMs);
      this.replacements += 1;
      return this.implant(atMs);
    }
    this.approach(cur.pump, atMs);
    cur.pump.advanceTo(atMs);
    this.prog.must(cur.pump, atMs, refill(cur.pump.status().reservoir.volumeNl, 'morphine', MORPHINE_MCG_PER_ML));
    this.refills += 1;
    return cur;
  }
}

/**
 * One patient's years of therapy on the real core: refills every `refillEveryDays` at 08:30, a
 * patient bolus at each of `bolusHours`, and a new pump (explant / implant) at the refill visit
 * before the battery's projected ERI, as a clinic would do. All through `execute` / `advanceTo`.
 */
export function runPatient(o: PatientRunOptions): PatientRunStats {
  const days = Math.round(o.years * 365);
  const run = new PatientRun(o);
  const started = performance.now();
  run.cur = run.implant(T0);
  // One call per simulated day: this loop stays small, so the engine's on-stack replacement of it
  // is cheap; the day's work is a method that stays optimised from one run to the next.
  for (let d = 0; d < days; d++) run.day(d);
  run.retire(run.cur, T0 + days * MS_DAY);
  const wallMs = performance.now() - started;
  return { wallMs, days, segments: run.segmentsDone, requested: run.requested, granted: run.granted, refills: run.refills, replacements: run.replacements, lives: run.lives, last: run.cur.pump };
}

/**
 * Independent check of a patient run: each pump's delivered volume must be within one stroke of
 * the exact integral of its commanded profile (basal + every granted bolus in full).
 */
export function verifyPatientRun(s: PatientRunStats, bolusVolumeNl: number, bolusDurationMs: number): { maxErrorStrokes: number; programmedNl: number; deliveredNl: number } {
  let maxErr = 0;
  let programmed = 0;
  let delivered = 0;
  for (const life of s.lives) {
    const m = new ProgrammedModel(life.fromMs, 0);
    m.setBasal(life.basal);
    for (const t of life.grantedStartsMs) {
      m.advance(t);
      m.startPatientBolus(bolusVolumeNl, bolusDurationMs);
    }
    m.advance(life.toMs);
    const err = m.errorStrokes(life.deliveredNl);
    if (Math.abs(err) > Math.abs(maxErr)) maxErr = err;
    programmed += m.programmedNl();
    delivered += life.deliveredNl;
  }
  return { maxErrorStrokes: maxErr, programmedNl: programmed, deliveredNl: delivered };
}
