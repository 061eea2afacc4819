/**
 * The randomised long-run accuracy check: many patients, each 10 years on the real core with a
 * random prescription (continuous or flex with random steps and random integer rates, several
 * drugs and concentrations), random patient-bolus requests, refills, titrations, clinician and
 * priming boluses, therapy stops, MRI motor stalls, pump-clock corrections and UTC-offset changes,
 * and a new pump before each battery's ERI. At every command and at random instants the pump's
 * delivered volume is compared with the exact integral of the commanded profile from
 * ProgrammedModel (BigInt, computed independently of the core's accumulator).
 *
 * Every patient gets its own PRNG seeded from (seed, index), so a run does not depend on how the
 * patients are split between processes.
 */
import {
  DRUG_LIBRARY,
  Pump,
  buildWeekTable,
  maxBasal24hNl,
  validatePrescription,
  type BasalProgram,
  type ChangeSet,
  type CommandResult,
  type DayProgram,
  type DrugId,
  type PatientBolusSettings,
  type Prescription,
} from '@thecal/pump-core';
import { BasalIntegrator, MS_DAY, ProgrammedModel } from './exact.ts';
import { Rng } from './prng.ts';
import { MS_HOUR, MS_MINUTE, NL_PER_ML, RESERVOIR_NL, T0 } from './scenarios.ts';

/** Priming runs at the mechanism's fastest rate (limits.ts: 2 mL/h, placeholder), restated here. */
const PRIMING_RATE_NL_PER_DAY = 48 * NL_PER_ML;
const YEAR_DAYS = 365;
/** Keep at least this much in the reservoir at the planned refill, counting every allowed bolus. */
const RESERVE_NL = 5 * NL_PER_ML;

export interface Violation {
  patient: number;
  atIso: string;
  errorStrokes: number;
  context: string;
  suspendedBy: string | null;
  alarms: string[];
  lastEvents: string[];
}

/** The pump halted therapy itself (an invariant check failed). */
export interface SafeStateIncident {
  patient: number;
  atIso: string;
  reason: string;
  /** The clock / offset commands and refills of the 48 h before, the likely triggers. */
  recentEvents: string[];
  description: string;
}

export interface PatientOutcome {
  index: number;
  description: string;
  simulatedDays: number;
  /** Episodes in which the core's dose guard held delivery back after a risky clock or offset change. */
  doseGuardClamps: number;
  pumps: number;
  checks: number;
  maxErrorStrokes: number;
  minErrorStrokes: number;
  /** Commands sent, by type: accepted, and refused by reason. */
  commands: Record<string, { ok: number; refused: Record<string, number> }>;
  violations: Violation[];
  safeStates: SafeStateIncident[];
  /** Programming refused at implant or refill visits ("what: reason" -> count), before the fallback that followed. */
  refusedProgramming: Record<string, number>;
  segments: number;
  strokes: number;
  aborted: boolean;
}

// ------------------------------------------------------------------ random prescriptions

interface DrugChoice {
  drugId: DrugId;
  conc: number;
}
const DRUG_CHOICES: readonly DrugChoice[] = [
  { drugId: 'morphine', conc: 25_000 },
  { drugId: 'morphine', conc: 10_000 },
  { drugId: 'hydromorphone', conc: 10_000 },
  { drugId: 'hydromorphone', conc: 5_000 },
  { drugId: 'baclofen', conc: 2_000 },
  { drugId: 'baclofen', conc: 500 },
  { drugId: 'ziconotide', conc: 100 },
];

/** Largest rate we let a random program use for a drug: 80 % of the hard daily maximum, and at most 1.1 mL/day so refills stay weeks apart. */
function rateCeiling(d: DrugChoice): number {
  const byDose = Math.floor((DRUG_LIBRARY[d.drugId].limits.hardMaxDailyPg * 0.8) / d.conc);
  return Math.max(60_000, Math.min(1_100_000, byDose));
}

function randomRate(rng: Rng, lo: number, hi: number): number {
  // Log-uniform so low rates (long stroke periods) are as common as high ones; any integer nL/day.
  return Math.round(Math.exp(Math.log(lo) + rng.float() * (Math.log(hi) - Math.log(lo))));
}

function randomBasal(rng: Rng, lo: number, hi: number): BasalProgram {
  if (rng.chance(0.35)) return { kind: 'continuous', rateNlPerDay: randomRate(rng, lo, hi) };
  const nPrograms = rng.int(1, 3);
  const dayPrograms: DayProgram[] = [];
  for (let p = 0; p < nPrograms; p++) {
    const nSteps = rng.int(1, 13);
    const minutes = new Set<number>([0]);
    while (minutes.size < nSteps) minutes.add(rng.int(1, 1439));
    const sorted = [...minutes].sort((a, b) => a - b);
    dayPrograms.push({ name: `day-${p}`, steps: sorted.map((m) => ({ startMinute: m, rateNlPerDay: randomRate(rng, lo, hi) })) });
  }
  const week = Array.from({ length: 7 }, () => rng.int(0, nPrograms - 1));
  return { kind: 'flex', dayPrograms, week };
}

function randomPatientBolus(rng: Rng, d: DrugChoice): PatientBolusSettings | null {
  if (!DRUG_LIBRARY[d.drugId].patientBolusAllowed || rng.chance(0.25)) return null;
  const maxPg = DRUG_LIBRARY[d.drugId].limits.softMaxBolusPg;
  const volumeNl = Math.max(1_000, Math.min(30_000, Math.floor((maxPg * (0.1 + 0.8 * rng.float())) / d.conc)));
  const durationMs = rng.int(1, 60) * MS_MINUTE + rng.int(0, 59_999);
  const lockoutMs = Math.max(durationMs, 15 * MS_MINUTE) + rng.int(0, 6 * 60) * MS_MINUTE;
  return { volumeNl, durationMs, lockoutMs, maxPer24h: rng.int(1, 10) };
}

/** The most a day can take from the reservoir under this prescription (basal peak + every allowed bolus), nL. */
function worstDailyNl(rx: Prescription): number {
  const basal = new BasalIntegrator(rx.basal).maxRate();
  const pb = rx.patientBolus;
  return basal + (pb === null ? 0 : pb.maxPer24h * pb.volumeNl);
}

/**
 * The maximum daily dose that the commit-time projection accepts whatever happened in the last
 * 24 h: the 24 h basal peak, the bolus allowance twice (boluses already given in the trailing window
 * plus every bolus still allowed), one clinician bolus the size of a patient bolus, and a few
 * strokes of quantisation. Prescription validation alone only needs basal peak + allowance.
 */
function commitSafeMaxDailyPg(basal24Pg: number, pb: PatientBolusSettings | null, conc: number): number {
  const allowance = pb === null ? 0 : pb.maxPer24h * pb.volumeNl * conc;
  const clinician = pb === null ? 0 : pb.volumeNl * conc;
  return basal24Pg + 2 * allowance + clinician + 3 * 250 * conc;
}

interface RandomRx {
  rx: Prescription;
  /** A maximum daily dose that commits whatever the last 24 h held (the clinician's fix for a refused commit). */
  safeMaxDailyPg: number;
}

/**
 * A random valid prescription. Its maximum daily dose is sometimes the tightest that validation
 * accepts (basal peak + allowance), sometimes just what commits always accept, sometimes more.
 */
function randomPrescription(rng: Rng, d: DrugChoice, scaleFrom?: Prescription): RandomRx | null {
  const hi = rateCeiling(d);
  for (let attempt = 0; attempt < 60; attempt++) {
    let basal: BasalProgram;
    let patientBolus: PatientBolusSettings | null;
    if (scaleFrom !== undefined) {
      // Titration: every rate times one factor in [0.8, 1.25], then rounded to whole nL/day.
      const f = 0.8 + rng.float() * 0.45;
      const scale = (r: number) => Math.max(48_000, Math.min(hi, Math.round(r * f)));
      const b = scaleFrom.basal;
      basal =
        b.kind === 'continuous'
          ? { kind: 'continuous', rateNlPerDay: scale(b.rateNlPerDay) }
          : { kind: 'flex', week: [...b.week], dayPrograms: b.dayPrograms.map((p) => ({ name: p.name, steps: p.steps.map((s) => ({ startMinute: s.startMinute, rateNlPerDay: scale(s.rateNlPerDay) })) })) };
      patientBolus = scaleFrom.patientBolus === null ? null : { ...scaleFrom.patientBolus };
    } else {
      basal = randomBasal(rng, 48_000, hi);
      patientBolus = randomPatientBolus(rng, d);
    }
    const peak = new BasalIntegrator(basal).maxRate();
    const basal24Pg = maxBasal24hNl(buildWeekTable(basal)) * d.conc;
    const allowancePg = patientBolus === null ? 0 : patientBolus.maxPer24h * patientBolus.volumeNl * d.conc;
    const hard = DRUG_LIBRARY[d.drugId].limits.hardMaxDailyPg;
    const safe = commitSafeMaxDailyPg(basal24Pg, patientBolus, d.conc);
    if (safe > hard) continue;
    const kind = rng.pick(['tightest', 'tightest', 'safe', 'safe', '+10%', '+30%', '+100%'] as const);
    const maxDailyDosePg =
      kind === 'tightest' ? basal24Pg + allowancePg : kind === 'safe' ? safe : Math.min(hard, Math.ceil(safe * (kind === '+10%' ? 1.1 : kind === '+30%' ? 1.3 : 2)));
    const rx: Prescription = {
      drugId: d.drugId,
      concentrationMcgPerMl: d.conc,
      basal,
      maxRateNlPerDay: Math.min(24 * NL_PER_ML, peak + rng.pick([0, 0, 1, 10_000, 500_000])),
      maxDailyDosePg,
      patientBolus,
    };
    const issues = validatePrescription(rx, { current: scaleFrom ?? null });
    if (issues.some((i) => i.severity === 'hard')) continue;
    if (worstDailyNl(rx) * 25 > RESERVOIR_NL - RESERVE_NL) continue; // refills at least ~25 days apart
    return { rx, safeMaxDailyPg: Math.max(safe, maxDailyDosePg) };
  }
  return null;
}

function describe(rx: Prescription): string {
  const b = rx.basal;
  const basal = b.kind === 'continuous' ? `continuous ${b.rateNlPerDay} nL/day` : `flex ${b.dayPrograms.map((p) => p.steps.length).join('+')} steps`;
  const pb = rx.patientBolus;
  return `${rx.drugId} ${rx.concentrationMcgPerMl} mcg/mL, ${basal}, max ${rx.maxDailyDosePg} pg/day` + (pb === null ? '' : `, PCA ${pb.volumeNl} nL/${pb.durationMs} ms, lockout ${pb.lockoutMs} ms, ${pb.maxPer24h}/24h`);
}

// ------------------------------------------------------------------ the core's counter

/**
 * Delivered volume: `status().delivered.totalNl` costs ~50 µs (it deep-copies the prescription),
 * so checks read the same counter directly when it exists; every visit cross-checks the two.
 */
function deliveredNl(pump: Pump): number {
  const v = (pump as unknown as { cumDeliveredNl?: unknown }).cumDeliveredNl;
  return typeof v === 'number' ? v : pump.status().delivered.totalNl;
}

// ------------------------------------------------------------------ one patient

type ActionKind = 'bolus' | 'check' | 'visit' | 'stop' | 'resume' | 'mri' | 'interrogate' | 'clock' | 'offset' | 'travel' | 'recover';
interface Action {
  at: number;
  kind: ActionKind;
}

class Agenda {
  private items: Action[] = [];
  add(a: Action): void {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.items[mid] as Action).at <= a.at) lo = mid + 1;
      else hi = mid;
    }
    this.items.splice(lo, 0, a);
  }
  has(kind: ActionKind): boolean {
    return this.items.some((a) => a.kind === kind);
  }
  nextBefore(t: number): Action | undefined {
    const first = this.items[0];
    if (first === undefined || first.at >= t) return undefined;
    return this.items.shift();
  }
}

export function patientSeed(seed: number, index: number): number {
  return (Math.imul(seed ^ 0x5bd1e995, 0x27d4eb2d) + Math.imul(index + 1, 0x165667b1)) >>> 0;
}

export function runRandomPatient(seed: number, index: number, years: number): PatientOutcome {
  const rng = new Rng(patientSeed(seed, index));
  const drug = rng.pick(DRUG_CHOICES);
  const first = randomPrescription(rng, drug);
  if (first === null) throw new Error(`patient ${index}: no valid random prescription for ${drug.drugId}`);
  /** The prescription committed on the pump now, and the maximum daily dose that always commits. */
  let rx = first.rx;
  let safeMax = first.safeMaxDailyPg;
  const out: PatientOutcome = {
    index,
    description: describe(rx),
    simulatedDays: 0,
    doseGuardClamps: 0,
    pumps: 0,
    checks: 0,
    maxErrorStrokes: 0,
    minErrorStrokes: 0,
    commands: {},
    violations: [],
    safeStates: [],
    refusedProgramming: {},
    segments: 0,
    strokes: 0,
    aborted: false,
  };
  const tally = (type: string, r: CommandResult) => {
    const c = (out.commands[type] ??= { ok: 0, refused: {} });
    if (r.ok) c.ok += 1;
    else c.refused[r.reason] = (c.refused[r.reason] ?? 0) + 1;
  };
  const refused = (what: string, r: CommandResult) => {
    if (r.ok) return;
    const k = `${what}: ${r.reason}`;
    out.refusedProgramming[k] = (out.refusedProgramming[k] ?? 0) + 1;
  };

  const start = T0 + rng.int(0, 6) * MS_DAY + rng.int(0, MS_DAY - 1);
  const end = start + years * YEAR_DAYS * MS_DAY;
  let offset = rng.int(-48, 56) * 15 * MS_MINUTE;
  const bolusDemand = rng.int(0, 8);
  const events = {
    stopPerDay: rng.pick([0, 1 / 400, 1 / 100]),
    mriPerDay: rng.pick([0, 1 / 1000, 1 / 200]),
    clockPerDay: rng.pick([0, 1 / 60, 1 / 10]),
    offsetPerDay: rng.pick([0, 1 / 180, 1 / 30]),
    travelPerDay: rng.pick([0, 1 / 500]),
    clinicianBolusPerVisit: rng.pick([0, 0.1, 0.3]),
    titrationPerVisit: rng.pick([0, 0.2, 0.5]),
  };

  let pump!: Pump;
  let model!: ProgrammedModel;
  let cmdN = 0;
  const id = (k: string) => `${k}-${++cmdN}`;
  const exec = (at: number, type: string, c: Parameters<Pump['execute']>[2]): CommandResult => {
    const r = pump.execute(at, id(type), c);
    tally(type, r);
    return r;
  };
  const program = (at: number, changes: ChangeSet, kind: string): CommandResult => {
    const staged = exec(at, `stage:${kind}`, { type: 'stage', changes });
    if (!staged.ok) return staged;
    const soft = (staged.detail['softLimits'] as { code: string }[] | undefined) ?? [];
    const r = exec(at, `commit:${kind}`, { type: 'commit', stagedId: staged.detail['stagedId'] as number, acknowledgedSoftLimits: soft.map((s) => s.code) });
    if (r.ok) model.leaveSafeState();
    return r;
  };

  /**
   * The core may halt therapy itself when an invariant check fails (safe state). That is a core
   * decision the program definition cannot predict, so the model takes it from the pump's event
   * log (the invariant-violation record and its time) and each one is reported as an incident.
   * Called with the pump already advanced to the current action's time.
   */
  let seenSeq = 1;
  let safeNow = false;
  const syncSafeState = () => {
    const fresh = pump.events.readFrom(seenSeq);
    seenSeq = pump.events.nextSequence;
    for (const e of fresh) {
      if (e.type === 'dose-limit-clamp' || e.type === 'dose-limit-released') {
        // A deliberate, logged deviation from the program: the model follows the pump's record of it.
        model.advance(Math.max(model.t, e.utcMs - model.clockCorrectionMs));
        if (e.type === 'dose-limit-clamp') {
          model.clampFrom();
          out.doseGuardClamps += 1;
        } else model.clampEnd();
        continue;
      }
      if (e.type !== 'invariant-violation') continue;
      const t = e.utcMs - model.clockCorrectionMs;
      model.advance(Math.max(model.t, t));
      model.enterSafeState();
      safeNow = true;
      const recent = pump.events
        .readFrom(Math.max(1, e.seq - 40))
        .filter((x) => x.utcMs > e.utcMs - 2 * MS_DAY && ['clock-set', 'utc-offset-changed', 'refill', 'program-committed', 'therapy-resumed', 'motor-stall-recovery', 'bolus-started'].includes(x.type))
        .map((x) => `${new Date(x.utcMs).toISOString()} ${x.type} ${JSON.stringify(x.data)}`);
      out.safeStates.push({ patient: index, atIso: new Date(t).toISOString(), reason: String(e.data['reason']), recentEvents: recent, description: describe(rx) });
    }
  };

  const check = (at: number, context: string): boolean => {
    model.advance(at);
    const err = model.errorStrokes(deliveredNl(pump));
    out.checks += 1;
    if (err > out.maxErrorStrokes) out.maxErrorStrokes = err;
    if (err < out.minErrorStrokes) out.minErrorStrokes = err;
    if (Math.abs(err) > 1) {
      const st = pump.status();
      out.violations.push({
        patient: index,
        atIso: new Date(at).toISOString(),
        errorStrokes: err,
        context,
        suspendedBy: st.therapy.suspendedBy,
        alarms: st.alarms.map((a) => a.code),
        lastEvents: pump.events.latest(6).map((e) => `${new Date(e.utcMs).toISOString()} ${e.type} ${JSON.stringify(e.data)}`),
      });
      return false;
    }
    return true;
  };

  let nextVisit = 0;
  const planNextVisit = (at: number) => {
    const worst = worstDailyNl(rx);
    const byVolume = Math.floor((RESERVOIR_NL - RESERVE_NL) / worst);
    const cap = Math.min(90, DRUG_LIBRARY[drug.drugId].stabilityDays - 1, byVolume);
    const days = rng.int(Math.min(28, cap), cap);
    nextVisit = at + days * MS_DAY + rng.int(-4, 4) * MS_HOUR;
  };
  /** The clinician's fix for a commit refused on the maximum daily dose: the same prescription with the always-committable maximum. */
  const raised = (p: Prescription): Prescription => ({ ...p, maxDailyDosePg: Math.max(p.maxDailyDosePg, safeMax) });

  const implant = (at: number) => {
    pump = Pump.manufacture({ serial: `rnd-${index}-${out.pumps}`, model: 'thecal-40', atMs: at, utcOffsetMs: offset });
    model = new ProgrammedModel(at, offset);
    seenSeq = 1;
    safeNow = false;
    out.pumps += 1;
    const changes: ChangeSet = { refill: { withdrawnNl: 0, filledNl: RESERVOIR_NL, drugId: drug.drugId, concentrationMcgPerMl: drug.conc }, prescription: rx };
    const prime = rng.chance(0.5);
    const catheterNl = rng.int(100_000, 400_000);
    if (prime) {
      changes.device = { patientId: `patient-${index}`, catheter: { model: 'bench', lengthMm: rng.int(300, 900), volumeNl: catheterNl } };
      changes.bolus = { kind: 'priming' };
    }
    let r = program(at, changes, 'implant');
    refused('implant', r);
    if (!r.ok && r.reason === 'would-exceed-max-daily-dose') {
      rx = raised(rx);
      r = program(at, { ...changes, prescription: rx }, 'implant');
    }
    if (!r.ok) throw new Error(`patient ${index}: implant programming refused: ${r.reason}: ${r.message}`);
    model.setBasal(rx.basal);
    if (prime) model.startPriming(catheterNl, PRIMING_RATE_NL_PER_DAY);
    planNextVisit(at);
  };
  const retire = (at: number) => {
    pump.advanceTo(at);
    syncSafeState();
    check(at, 'retire');
    out.segments += pump.segmentsStepped;
    out.strokes += deliveredNl(pump) / 250;
  };

  implant(start);
  const agenda = new Agenda();
  agenda.add({ at: nextVisit, kind: 'visit' });
  let stopped = false;
  let stalledUntil = Number.NEGATIVE_INFINITY;
  let retrying = false;

  for (let day = 0; day < years * YEAR_DAYS && !out.aborted; day++) {
    const d0 = start + day * MS_DAY;
    const inDay = () => d0 + rng.int(0, MS_DAY - 1);
    if (rx.patientBolus !== null) for (let k = rng.int(0, bolusDemand); k > 0; k--) agenda.add({ at: inDay(), kind: 'bolus' });
    for (let k = rng.int(1, 2); k > 0; k--) agenda.add({ at: inDay(), kind: 'check' });
    if (!stopped && rng.chance(events.stopPerDay)) agenda.add({ at: inDay(), kind: 'stop' });
    if (rng.chance(events.mriPerDay)) agenda.add({ at: inDay(), kind: 'mri' });
    if (rng.chance(events.clockPerDay)) agenda.add({ at: inDay(), kind: 'clock' });
    if (rng.chance(events.offsetPerDay)) agenda.add({ at: inDay(), kind: 'offset' });
    if (rng.chance(events.travelPerDay)) agenda.add({ at: inDay(), kind: 'travel' });

    for (let a = agenda.nextBefore(d0 + MS_DAY); a !== undefined && !out.aborted; a = agenda.nextBefore(d0 + MS_DAY)) {
      const at = a.at;
      pump.advanceTo(at);
      syncSafeState();
      model.advance(at);
      switch (a.kind) {
        case 'check':
          break;
        case 'recover': {
          if (!safeNow) break;
          const r = program(at, { prescription: raised(rx) }, 'recover-from-safe-state');
          refused('recover-from-safe-state', r);
          if (r.ok) {
            rx = raised(rx);
            model.setBasal(rx.basal);
            safeNow = false;
            stopped = false;
          } else agenda.add({ at: at + 25 * MS_HOUR, kind: 'recover' });
          break;
        }
        case 'bolus': {
          const pb = rx.patientBolus;
          const r = exec(at, 'patient-bolus', { type: 'patient-bolus' });
          if (r.ok && pb !== null) model.startPatientBolus(pb.volumeNl, pb.durationMs);
          break;
        }
        case 'stop': {
          const r = exec(at, 'stop-therapy', { type: 'stop-therapy' });
          if (r.ok) {
            model.stop();
            stopped = true;
            agenda.add({ at: at + rng.int(5 * MS_MINUTE, 12 * MS_HOUR), kind: 'resume' });
          }
          break;
        }
        case 'resume': {
          const r = exec(at, 'resume-therapy', { type: 'resume-therapy' });
          if (r.ok) model.resume();
          stopped = false;
          break;
        }
        case 'mri': {
          if (at < stalledUntil) break;
          pump.advanceTo(at);
          for (const al of pump.status().alarms) if (!al.acknowledged) exec(at, 'clear-alarm', { type: 'clear-alarm', code: al.code });
          const durationMs = rng.int(10, 90) * MS_MINUTE;
          const recoveryDelayMs = rng.int(0, 24) * MS_HOUR + rng.int(0, MS_HOUR - 1);
          const r = exec(at, 'magnetic-field', { type: 'magnetic-field', durationMs, recoveryDelayMs });
          if (r.ok) {
            stalledUntil = at + durationMs + recoveryDelayMs;
            model.stall(stalledUntil);
            agenda.add({ at: stalledUntil + rng.int(0, 3 * MS_HOUR), kind: 'interrogate' });
          }
          break;
        }
        case 'interrogate':
          exec(at, 'interrogate', { type: 'interrogate' });
          break;
        case 'clock': {
          const big = rng.chance(0.1);
          const step = (rng.chance(0.5) ? -1 : 1) * (big ? rng.int(1, 3 * 60) * MS_MINUTE : rng.int(1, 600_000));
          const target = at + model.clockCorrectionMs + step;
          const r = exec(at, 'set-clock', { type: 'set-clock', pumpUtcMs: target });
          if (r.ok) model.clockCorrectionMs = target - at;
          break;
        }
        case 'offset':
        case 'travel': {
          const next =
            a.kind === 'offset'
              ? Math.max(-12 * MS_HOUR, Math.min(14 * MS_HOUR, offset + (rng.chance(0.5) ? -1 : 1) * MS_HOUR))
              : rng.int(-48, 56) * 15 * MS_MINUTE;
          const r = exec(at, 'set-utc-offset', { type: 'set-utc-offset', utcOffsetMs: next });
          if (r.ok) {
            offset = next;
            model.utcOffsetMs = next;
          }
          break;
        }
        case 'visit': {
          pump.advanceTo(at);
          const st = pump.status();
          if (st.delivered.totalNl !== deliveredNl(pump)) throw new Error(`patient ${index}: status().delivered.totalNl ${st.delivered.totalNl} differs from the counter read by checks`);
          if (st.delivered.undeliveredNl !== 0 || st.therapy.suspendedBy === 'reservoir-empty') {
            // Ran dry: a scheduling failure of this benchmark, not of the core (it is allowed to stop when empty).
            throw new Error(`patient ${index}: reservoir ran empty before the visit at ${new Date(at).toISOString()} (${out.description})`);
          }
          if (pump.projectedEriMs() < at + 120 * MS_DAY) {
            // Explant before ERI: a new pump, sometimes with a new prescription.
            if (!check(at, 'before replacement')) {
              out.aborted = true;
              break;
            }
            retire(at);
            if (rng.chance(0.3)) {
              const next = randomPrescription(rng, drug);
              if (next !== null) ({ rx, safeMaxDailyPg: safeMax } = next);
            }
            stopped = false;
            stalledUntil = Number.NEGATIVE_INFINITY;
            retrying = false;
            implant(at);
            agenda.add({ at: nextVisit, kind: 'visit' });
            break;
          }
          const refillChange = { withdrawnNl: st.reservoir.volumeNl, filledNl: RESERVOIR_NL, drugId: drug.drugId, concentrationMcgPerMl: drug.conc };
          let newRx: RandomRx | null = null;
          let clinician: { volumeNl: number; durationMs: number } | null = null;
          if (!retrying && rng.chance(events.titrationPerVisit)) newRx = randomPrescription(rng, drug, rx);
          const pbAfter = (newRx?.rx ?? rx).patientBolus;
          if (!retrying && pbAfter !== null && rng.chance(events.clinicianBolusPerVisit)) clinician = { volumeNl: pbAfter.volumeNl, durationMs: rng.int(5, 120) * MS_MINUTE };
          const attempt = (what: string, changes: ChangeSet): CommandResult => {
            const r = program(at, changes, what);
            refused(what, r);
            return r;
          };
          // 1: what the clinician planned; 2: the refill alone; 3: the refill with the maximum daily dose raised.
          let r: CommandResult | null = null;
          let committedRx: Prescription | null = null;
          if (newRx !== null || clinician !== null) {
            const changes: ChangeSet = { refill: refillChange };
            if (newRx !== null) changes.prescription = newRx.rx;
            if (clinician !== null) changes.bolus = { kind: 'clinician', ...clinician };
            r = attempt(newRx !== null ? (clinician !== null ? 'refill+titration+clinician-bolus' : 'refill+titration') : 'refill+clinician-bolus', changes);
            if (r.ok) committedRx = newRx?.rx ?? null;
            else clinician = null;
          }
          if (r === null || !r.ok) {
            newRx = null;
            r = attempt('refill', { refill: refillChange });
          }
          if (!r.ok && r.reason === 'would-exceed-max-daily-dose') {
            committedRx = raised(rx);
            r = attempt('refill+raised-max-daily-dose', { refill: refillChange, prescription: committedRx });
          }
          if (!r.ok) {
            retrying = true;
            agenda.add({ at: at + 6 * MS_HOUR, kind: 'visit' });
            break;
          }
          retrying = false;
          safeNow = false;
          if (newRx !== null && r.ok) safeMax = newRx.safeMaxDailyPg;
          if (committedRx !== null) {
            rx = committedRx;
            model.setBasal(rx.basal);
            stopped = false;
          }
          if (clinician !== null) {
            model.startClinicianBolus(clinician.volumeNl, clinician.durationMs);
            stopped = false;
          }
          planNextVisit(at);
          agenda.add({ at: nextVisit, kind: 'visit' });
          break;
        }
      }
      syncSafeState();
      if (safeNow && a.kind !== 'recover' && !agenda.has('recover')) agenda.add({ at: at + rng.int(1, 12) * MS_HOUR, kind: 'recover' });
      if (!out.aborted && !check(at, a.kind)) out.aborted = true;
    }
    out.simulatedDays = day + 1;
  }
  if (!out.aborted) retire(end);
  return out;
}
