/**
 * One virtual patient of the cohort, for a number of years, on the real pump core with the patient
 * model on. Deterministic in (seed, index): the same patient comes out whichever worker runs it.
 *
 * The clinic policy (documented in docs/patient.md, "The cohort"):
 * - drug mix 60 % baclofen, 30 % morphine, 10 % ziconotide; 40 mL or 20 mL pump (half each);
 *   concentration the lowest in the library that lets a full reservoir last 90 days;
 * - continuous (60 %) or a 4-step flex program (40 %) with the patient's maintenance dose as mean;
 * - half the morphine patients have a patient-bolus app and use it 0-4 times a day;
 * - refills on the pump's recommended date (Prometra rule, drug stability) less a week, at most
 *   every 180 days; a reservoir-low or empty alarm brings the visit forward to within 1-7 days;
 * - 3 % of visits are missed and happen 7-28 days late (holiday, illness): alarms are ignored
 *   meanwhile; that is where most withdrawal comes from;
 * - the pump is replaced at the visit before its projected ERI, or right after ERI / end of service;
 * - a catheter occlusion strikes 1 % of patient-years and is found (refill discrepancy) and
 *   repaired at the next visit.
 */
import {
  DRUG_LIBRARY,
  LIMITS,
  MS_PER_DAY,
  MS_PER_HOUR,
  MS_PER_MINUTE,
  NL_PER_ML,
  Pump,
  seededUniform,
  type AlarmCode,
  type BasalProgram,
  type ChangeSet,
  type DrugId,
  type PatientBolusSettings,
  type Prescription,
  type PumpModelId,
} from '@thecal/pump-core';
import { PumpPatientLink, VirtualPatient, drawPatient, pathVolumeNl, type PatientParams } from '@thecal/patient';

/** Cohort runs start on Monday 2026-01-05 00:00 UTC. */
export const COHORT_T0 = Date.UTC(2026, 0, 5);
const MONTH_MS = 30.436875 * MS_PER_DAY;
/** Catheter volume per cm (assumption for a typical intrathecal catheter, ~2.2 µL/cm). */
const CATHETER_NL_PER_CM = 2_200;
const MISSED_VISIT_PROBABILITY = 0.03;
const OCCLUSIONS_PER_PATIENT_YEAR = 0.01;

export interface PatientOutcome {
  index: number;
  patientId: string;
  drugId: DrugId;
  program: 'continuous' | 'flex';
  reservoirMl: number;
  patientBolusApp: boolean;
  years: number;
  implants: number;
  refills: number;
  /** Pump 'refill' events read from the pumps' event logs (implant fills included). */
  pumpRefillEvents: number;
  replacements: number;
  replacementsAfterEri: number;
  endOfServiceReached: number;
  missedVisits: number;
  catheterOcclusions: number;
  alarms: Partial<Record<AlarmCode, number>>;
  withdrawalEpisodes: number;
  overdoseEpisodes: number;
  signOnsets: Record<string, number>;
  /** Refill visits per month since the start (index 0 = first month). */
  refillsByMonth: number[];
  replacementsByMonth: number[];
  /** Days spent in each condition. */
  daysByCondition: Record<'therapeutic' | 'sub-therapeutic' | 'withdrawal' | 'overdose', number>;
  pumpSegments: number;
  patientPieces: number;
}

/** A 32-bit seed per patient from the cohort seed and the index (splitmix-style mixing). */
export function patientSeed(seed: number, index: number): number {
  let z = (seed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.min(items.length - 1, Math.floor(rand() * items.length))] as T;
}

interface Plan {
  params: PatientParams;
  model: PumpModelId;
  rx: Prescription;
  flexMinutes: number[];
  bolusesPerDay: number;
  catheterNl: number;
}

function plan(rand: () => number, index: number): Plan {
  const u = rand();
  const drugId: DrugId = u < 0.6 ? 'baclofen' : u < 0.9 ? 'morphine' : 'ziconotide';
  const params = drawPatient(rand, { id: `VP-${String(index + 1).padStart(5, '0')}`, drugId });
  const lib = DRUG_LIBRARY[drugId];
  const model: PumpModelId = rand() < 0.5 ? 'thecal-40' : 'thecal-20';
  // The clinic titrated to a dose near the patient's need (+-10 %), within the library's soft range.
  let dailyPg = params.maintenanceDailyPg * (0.9 + 0.2 * rand());
  dailyPg = Math.min(Math.max(dailyPg, lib.limits.softMinDailyPg), lib.limits.softMaxDailyPg * 0.9);
  // The lowest concentration that lets a full reservoir last 90 days (else the strongest).
  const concs = [...lib.concentrationsMcgPerMl].sort((a, b) => a - b);
  const usableNl = (model === 'thecal-40' ? 37 : 17) * NL_PER_ML;
  const conc = concs.find((c) => (dailyPg / c) * 90 <= usableNl) ?? (concs.at(-1) as number);
  const meanRate = Math.max(LIMITS.minRateNlPerDay, Math.round(dailyPg / conc));
  const flex = rand() < 0.4;
  const flexMinutes = flex ? [0, 7 * 60, 12 * 60, 19 * 60] : [];
  // Night lower, day higher, mean exactly the prescribed daily volume (weights x hours = 24).
  const weights = [0.8, 1.15, 1.1, 0.95];
  const hours = [7, 5, 7, 5];
  const norm = weights.reduce((s, w, i) => s + w * (hours[i] ?? 0), 0) / 24;
  const basal: BasalProgram = flex
    ? {
        kind: 'flex',
        dayPrograms: [{ name: 'day', steps: flexMinutes.map((m, i) => ({ startMinute: m, rateNlPerDay: Math.max(LIMITS.minRateNlPerDay, Math.round((meanRate * (weights[i] ?? 1)) / norm)) })) }],
        week: [0, 0, 0, 0, 0, 0, 0],
      }
    : { kind: 'continuous', rateNlPerDay: meanRate };
  const app = drugId === 'morphine' && lib.patientBolusAllowed && rand() < 0.5;
  const bolus: PatientBolusSettings | null = app
    ? { volumeNl: Math.max(LIMITS.strokeNl, Math.round((meanRate * 0.1) / LIMITS.strokeNl) * LIMITS.strokeNl), durationMs: 10 * MS_PER_MINUTE, lockoutMs: 2 * MS_PER_HOUR, maxPer24h: 4 }
    : null;
  const maxBasal = basal.kind === 'continuous' ? basal.rateNlPerDay : Math.max(...basal.dayPrograms[0]!.steps.map((s) => s.rateNlPerDay));
  const allowanceNl = bolus === null ? 0 : bolus.volumeNl * bolus.maxPer24h;
  const maxDailyDosePg = Math.min(lib.limits.hardMaxDailyPg, Math.ceil((maxBasal + allowanceNl) * conc * 1.5));
  const rx: Prescription = { drugId, concentrationMcgPerMl: conc, basal, maxRateNlPerDay: LIMITS.defaultMaxRateNlPerDay, maxDailyDosePg, patientBolus: bolus };
  const bolusesPerDay = app ? Math.floor(rand() * 5) : 0;
  const catheterNl = Math.round((50 + 40 * rand()) * CATHETER_NL_PER_CM);
  return { params, model, rx, flexMinutes, bolusesPerDay, catheterNl };
}

class Programmer {
  private n = 0;
  id(kind: string): string {
    this.n += 1;
    return `${kind}-${this.n}`;
  }
  must(pump: Pump, atMs: number, changes: ChangeSet): void {
    const staged = pump.execute(atMs, this.id('stage'), { type: 'stage', changes });
    if (!staged.ok) throw new Error(`cohort: staging refused at ${new Date(atMs).toISOString()}: ${staged.reason}: ${staged.message}`);
    const soft = (staged.detail['softLimits'] as { code: string }[] | undefined) ?? [];
    const c = pump.execute(atMs, this.id('commit'), { type: 'commit', stagedId: staged.detail['stagedId'] as number, acknowledgedSoftLimits: soft.map((s) => s.code) });
    if (!c.ok) throw new Error(`cohort: commit refused at ${new Date(atMs).toISOString()}: ${c.reason}: ${c.message}`);
  }
}

/** `patientModel: false` runs the same pumps and clinic with the body switched off (for the bench's cost split). */
export function simulatePatient(seed: number, index: number, years: number, opts: { patientModel?: boolean } = {}): PatientOutcome {
  const body = opts.patientModel ?? true;
  const rand = seededUniform(patientSeed(seed, index));
  const p = plan(rand, index);
  const rx = p.rx;
  const capacityNl = (p.model === 'thecal-40' ? 40 : 20) * NL_PER_ML;
  const prog = new Programmer();
  const endMs = COHORT_T0 + Math.round(years * 365 * MS_PER_DAY);
  const months = Math.ceil((endMs - COHORT_T0) / MONTH_MS);
  const out: PatientOutcome = {
    index,
    patientId: p.params.id,
    drugId: rx.drugId,
    program: rx.basal.kind,
    reservoirMl: capacityNl / NL_PER_ML,
    patientBolusApp: rx.patientBolus !== null,
    years,
    implants: 0,
    refills: 0,
    pumpRefillEvents: 0,
    replacements: 0,
    replacementsAfterEri: 0,
    endOfServiceReached: 0,
    missedVisits: 0,
    catheterOcclusions: 0,
    alarms: {},
    withdrawalEpisodes: 0,
    overdoseEpisodes: 0,
    signOnsets: {},
    refillsByMonth: new Array<number>(months).fill(0),
    replacementsByMonth: new Array<number>(months).fill(0),
    daysByCondition: { therapeutic: 0, 'sub-therapeutic': 0, withdrawal: 0, overdose: 0 },
    pumpSegments: 0,
    patientPieces: 0,
  };
  const monthOf = (t: number) => Math.min(months - 1, Math.floor((t - COHORT_T0) / MONTH_MS));

  const dailyPg = (rx.basal.kind === 'continuous' ? rx.basal.rateNlPerDay : p.flexMinutes.length > 0 ? meanFlexRate(rx.basal) : 0) * rx.concentrationMcgPerMl;
  const patient = new VirtualPatient(p.params, {
    startMs: COHORT_T0,
    catheter: { deadVolumeNl: pathVolumeNl(p.catheterNl), fillConcentrationMcgPerMl: rx.concentrationMcgPerMl },
    steadyDailyPg: dailyPg,
  });

  let serialN = 0;
  let eventSeq = 1;
  const implant = (atMs: number): Pump => {
    serialN += 1;
    out.implants += 1;
    const pump = Pump.manufacture({ serial: `${p.params.id}-${serialN}`, model: p.model, atMs });
    prog.must(pump, atMs, { refill: { withdrawnNl: 0, filledNl: capacityNl, drugId: rx.drugId, concentrationMcgPerMl: rx.concentrationMcgPerMl }, prescription: rx });
    eventSeq = 1;
    return pump;
  };
  const readRefillEvents = (pump: Pump) => {
    for (const r of pump.events.readFrom(eventSeq)) {
      if (r.type === 'refill') out.pumpRefillEvents += 1;
      eventSeq = r.seq + 1;
    }
  };

  let pump = implant(COHORT_T0);
  let link = new PumpPatientLink(pump, patient);
  const nextVisitAfter = (atMs: number): number => {
    const f = pump.forecast();
    const by = f.nextRefillByMs ?? atMs + 180 * MS_PER_DAY;
    const days = Math.max(14, Math.min(180, Math.floor((by - atMs) / MS_PER_DAY) - 7));
    return dayStart(atMs) + days * MS_PER_DAY + 9 * MS_PER_HOUR;
  };
  let visitMs = nextVisitAfter(COHORT_T0);
  let missing = false;
  let urgent = false;
  let eriSeen = false;
  let eosSeen = false;
  const toClear: AlarmCode[] = [];
  // Occlusions: a Poisson process at OCCLUSIONS_PER_PATIENT_YEAR, drawn up front.
  const occlusions: number[] = [];
  for (let t = COHORT_T0; ; ) {
    t += Math.round((-Math.log(1 - rand()) / OCCLUSIONS_PER_PATIENT_YEAR) * 365 * MS_PER_DAY);
    if (t >= endMs) break;
    occlusions.push(t);
  }
  let occluded = false;

  const step = (atMs: number) => {
    pump.advanceTo(atMs);
    if (body) link.sync(pump);
    for (const o of pump.drainOutputs()) {
      if (o.type !== 'alarm-raised') continue;
      out.alarms[o.code] = (out.alarms[o.code] ?? 0) + 1;
      toClear.push(o.code);
      if (o.code === 'eri') eriSeen = true;
      if (o.code === 'end-of-service') {
        eosSeen = true;
        out.endOfServiceReached += 1;
      }
      if (!missing && (o.code === 'reservoir-low' || o.code === 'reservoir-empty' || o.code === 'end-of-service')) {
        // The patient calls the clinic: a visit within 1-7 days (the next day when critical).
        const within = o.code === 'reservoir-low' ? 1 + Math.floor(rand() * 7) : 1;
        const v = dayStart(atMs) + within * MS_PER_DAY + 9 * MS_PER_HOUR;
        if (v < visitMs) {
          visitMs = v;
          urgent = true;
        }
      }
    }
  };
  const clearAlarms = (atMs: number) => {
    // The patient silences what sounded (the condition stays until it ends).
    while (toClear.length > 0) {
      const code = toClear.shift() as AlarmCode;
      pump.execute(atMs, prog.id('clear'), { type: 'clear-alarm', code });
    }
  };

  const visit = (atMs: number) => {
    const st = pump.status();
    const replace = eosSeen || eriSeen || pump.projectedEriMs() < atMs + 180 * MS_PER_DAY;
    if (replace) {
      readRefillEvents(pump);
      out.pumpSegments += pump.segmentsStepped;
      out.replacements += 1;
      if (eriSeen || eosSeen) out.replacementsAfterEri += 1;
      out.replacementsByMonth[monthOf(atMs)] = (out.replacementsByMonth[monthOf(atMs)] ?? 0) + 1;
      pump = implant(atMs);
      if (body) link = new PumpPatientLink(pump, patient);
      eriSeen = false;
      eosSeen = false;
    } else {
      // The clinician withdraws what is really there: the pump's count plus what an occlusion kept back.
      const blocked = patient.path.blockedNl;
      const withdrawnNl = Math.min(capacityNl, st.reservoir.volumeNl + Math.round(blocked));
      prog.must(pump, atMs, { refill: { withdrawnNl, filledNl: capacityNl, drugId: rx.drugId, concentrationMcgPerMl: rx.concentrationMcgPerMl } });
      out.refills += 1;
      out.refillsByMonth[monthOf(atMs)] = (out.refillsByMonth[monthOf(atMs)] ?? 0) + 1;
      if (body) link.sync(pump);
      readRefillEvents(pump);
    }
    if (occluded) {
      // Found by the discrepancy or the patient's complaint: the catheter is revised.
      if (body) patient.setCatheterFault(atMs, null);
      patient.path.blockedNl = 0;
      occluded = false;
    }
    visitMs = nextVisitAfter(atMs);
    urgent = false;
    missing = false;
  };

  const bolusTimes = (day: number): number[] => {
    const out: number[] = [];
    for (let i = 0; i < p.bolusesPerDay; i++) out.push(day + (8 + i * 3.5) * MS_PER_HOUR);
    return out;
  };

  let lastCondition = patient.state().condition;
  let lastConditionMs = COHORT_T0;
  const noteCondition = () => {
    for (const e of patient.drainEvents()) {
      if (e.type === 'condition-changed') {
        out.daysByCondition[e.from] += (e.atMs - lastConditionMs) / MS_PER_DAY;
        lastConditionMs = e.atMs;
        lastCondition = e.to;
      } else if (e.type === 'sign-began') out.signOnsets[e.sign] = (out.signOnsets[e.sign] ?? 0) + 1;
    }
  };

  for (let day = COHORT_T0; day < endMs; day += MS_PER_DAY) {
    const times: { at: number; what: 'sync' | 'bolus' | 'visit' | 'occlusion' }[] = [];
    for (const m of p.flexMinutes) if (m > 0) times.push({ at: day + m * MS_PER_MINUTE, what: 'sync' });
    for (const t of bolusTimes(day)) times.push({ at: t, what: 'bolus' });
    if (visitMs >= day && visitMs < day + MS_PER_DAY) times.push({ at: visitMs, what: 'visit' });
    while (occlusions.length > 0 && (occlusions[0] ?? Infinity) < day + MS_PER_DAY) times.push({ at: occlusions.shift() as number, what: 'occlusion' });
    times.sort((a, b) => a.at - b.at);
    for (const t of times) {
      // A fractional last year ends mid-day.
      if (t.at >= endMs) break;
      step(t.at);
      if (!missing) clearAlarms(t.at);
      if (t.what === 'bolus') pump.execute(t.at, prog.id('pb'), { type: 'patient-bolus' });
      else if (t.what === 'occlusion' && !occluded) {
        occluded = true;
        out.catheterOcclusions += 1;
        if (body) patient.setCatheterFault(t.at, { kind: 'occlusion' });
      } else if (t.what === 'visit') {
        if (!urgent && !missing && rand() < MISSED_VISIT_PROBABILITY) {
          // Missed: the patient comes 7-28 days late and ignores alarms meanwhile.
          missing = true;
          out.missedVisits += 1;
          visitMs = dayStart(t.at) + (7 + Math.floor(rand() * 22)) * MS_PER_DAY + 9 * MS_PER_HOUR;
        } else visit(t.at);
      }
      noteCondition();
    }
    const end = Math.min(day + MS_PER_DAY, endMs);
    step(end);
    if (!missing) clearAlarms(end);
    noteCondition();
  }
  out.daysByCondition[lastCondition] += (endMs - lastConditionMs) / MS_PER_DAY;
  readRefillEvents(pump);
  out.pumpSegments += pump.segmentsStepped;
  out.patientPieces = patient.piecesSolved;
  out.withdrawalEpisodes = patient.episodes.withdrawal;
  out.overdoseEpisodes = patient.episodes.overdose;
  return out;
}

function dayStart(t: number): number {
  return Math.floor(t / MS_PER_DAY) * MS_PER_DAY;
}

function meanFlexRate(b: BasalProgram): number {
  if (b.kind !== 'flex') return b.rateNlPerDay;
  const steps = b.dayPrograms[0]?.steps ?? [];
  let s = 0;
  for (let i = 0; i < steps.length; i++) {
    const from = steps[i]?.startMinute ?? 0;
    const to = steps[i + 1]?.startMinute ?? 1440;
    s += (steps[i]?.rateNlPerDay ?? 0) * (to - from);
  }
  return s / 1440;
}
