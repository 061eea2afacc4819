/**
 * The fault-detection campaign behind docs/fault-table.md: each fault, injected into a simulated
 * world (FaultWorld: the pump core, the true reservoir, the catheter, the virtual patient) at
 * several programmed rates, and for each of the four parts of the system the time from injection
 * to the first moment it could know:
 *
 *   pump        a critical alarm or ERI raised by the pump itself (its event log, exact time);
 *   programmer  an interrogation (every scheduled refill visit, and the check after an MRI) that
 *               shows an alarm, a fault in the log, a clock more than PROGRAMMER_CLOCK_TOLERANCE_MS
 *               off the programmer's, or a refill residual the pump flags as a discrepancy;
 *   patient     an alarm tone the patient hears, or the first sign the virtual patient shows;
 *               A patient who hears a critical alarm or shows signs is seen within a day, one who
 *               hears a single tone within a week (an unscheduled visit, interrogation only).
 *   clinic      the session upload after that visit, read by the clinic server's rules: a critical
 *               alarm, a flagged refill discrepancy, or ERI more than FORECAST_MISMATCH_MS before
 *               the date forecast at the previous upload.
 *
 * Visits follow the clinic's plan: each refill on the date the pump's forecast recommends.
 */
import { DRUG_LIBRARY, MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE, NL_PER_ML, Pump, PumpMemory, type DrugId, type EventType, type LogRecord } from '@thecal/pump-core';
import { FaultWorld, restartMarkerSeq, softCodes, type Fault, type PatientPort } from '@thecal/virtual-pump';

export const T0 = Date.UTC(2026, 0, 5);
export const PROGRAMMER_CLOCK_TOLERANCE_MS = 5 * MS_PER_MINUTE;
export const FORECAST_MISMATCH_MS = 30 * MS_PER_DAY;
export const INJECT_AFTER_MS = 7 * MS_PER_DAY;
export const HORIZON_MS = 200 * MS_PER_DAY;
/** A patient who hears a critical alarm or feels unwell is seen within a day (placeholder); a single tone, within a week. */
export const UNSCHEDULED_VISIT_CRITICAL_MS = MS_PER_DAY;
export const UNSCHEDULED_VISIT_NON_CRITICAL_MS = 7 * MS_PER_DAY;

export type Component = 'pump' | 'programmer' | 'patient' | 'clinic';
export const COMPONENTS: readonly Component[] = ['pump', 'programmer', 'patient', 'clinic'];

export interface FaultCase {
  id: string;
  label: string;
  fault: Fault;
}

export const FAULT_CASES: readonly FaultCase[] = [
  { id: 'motor-stall', label: 'motor stall, no recovery', fault: { kind: 'motor-stall', recoveryDelayMs: null } },
  { id: 'motor-stall-intermittent', label: 'motor stall, recovers after 6 h', fault: { kind: 'motor-stall', recoveryDelayMs: 6 * MS_PER_HOUR } },
  { id: 'mri', label: 'MRI, 30 min field, recovery delayed 12 h', fault: { kind: 'mri', fieldMs: 30 * MS_PER_MINUTE, recoveryDelayMs: 12 * MS_PER_HOUR } },
  { id: 'occlusion', label: 'catheter occlusion', fault: { kind: 'occlusion' } },
  { id: 'leak', label: 'catheter leak, 50% into tissue', fault: { kind: 'leak', fractionPercent: 50 } },
  { id: 'disconnection', label: 'catheter disconnection', fault: { kind: 'disconnection' } },
  { id: 'battery-drain', label: 'battery leakage, +100 J/day (20x the quiescent draw)', fault: { kind: 'battery-drain', extraUjPerDay: 100_000_000 } },
  { id: 'low-battery-reset', label: 'low-battery reset', fault: { kind: 'low-battery-reset' } },
  { id: 'memory-corruption', label: 'memory corruption, newest settings copy', fault: { kind: 'memory-corruption', banks: 'newest' } },
  { id: 'memory-corruption-both', label: 'memory corruption, both settings copies', fault: { kind: 'memory-corruption', banks: 'both' } },
  { id: 'clock-drift', label: 'clock drift, +500 ppm', fault: { kind: 'clock-drift', ppm: 500 } },
  { id: 'pocket-fill', label: 'pocket fill (whole refill)', fault: { kind: 'pocket-fill', pocketPercent: 100 } },
  { id: 'access-port-injection', label: 'access-port injection of 2 mL', fault: { kind: 'access-port-injection', volumeNl: 2 * NL_PER_ML } },
];

/** Programmed rates of the table, each with a baclofen concentration that keeps the daily dose therapeutic. */
export interface RateCase {
  rateNlPerDay: number;
  concentrationMcgPerMl: number;
}
export const RATE_CASES: readonly RateCase[] = [
  { rateNlPerDay: 48_000, concentrationMcgPerMl: 2000 },
  { rateNlPerDay: 200_000, concentrationMcgPerMl: 2000 },
  { rateNlPerDay: 1_000_000, concentrationMcgPerMl: 500 },
  { rateNlPerDay: 2_000_000, concentrationMcgPerMl: 500 },
];

export interface Detection {
  detected: boolean;
  /** From injection to detection, ms; null when not detected within the horizon. */
  afterMs: number | null;
  how: string;
}
export interface FaultRow {
  caseId: string;
  label: string;
  fault: Fault;
  rateNlPerDay: number;
  concentrationMcgPerMl: number;
  drugId: DrugId;
  horizonMs: number;
  detections: Record<Component, Detection>;
}

export type PatientFactory = (o: { drugId: DrugId; concentrationMcgPerMl: number; rateNlPerDay: number; atMs: number; seed: number }) => PatientPort | null;

const PUMP_ALARMS = new Set(['motor-stall', 'low-battery-reset', 'memory-error', 'safe-state', 'eri', 'end-of-service', 'reservoir-empty']);
const CLINIC_CRITICAL = new Set(['motor-stall', 'low-battery-reset', 'memory-error', 'safe-state', 'end-of-service', 'reservoir-empty']);
const LOG_SIGNS: ReadonlySet<EventType> = new Set(['motor-stall', 'power-restored', 'eri', 'end-of-service', 'invariant-violation']);

/** A world at T0: a 40 mL pump filled with 40 mL baclofen, running `rate` continuously. */
export function startWorld(rate: RateCase, patientFactory: PatientFactory | null, seed = 1): FaultWorld {
  const pump = Pump.manufacture({ serial: 'FAULT-1', model: 'thecal-40', atMs: T0 });
  const drugId: DrugId = 'baclofen';
  const dailyPg = rate.rateNlPerDay * rate.concentrationMcgPerMl;
  const changes = {
    refill: { withdrawnNl: 0, filledNl: 40 * NL_PER_ML, drugId, concentrationMcgPerMl: rate.concentrationMcgPerMl },
    prescription: {
      drugId,
      concentrationMcgPerMl: rate.concentrationMcgPerMl,
      basal: { kind: 'continuous' as const, rateNlPerDay: rate.rateNlPerDay },
      maxRateNlPerDay: Math.max(rate.rateNlPerDay, 4 * NL_PER_ML),
      maxDailyDosePg: Math.min(DRUG_LIBRARY[drugId].limits.hardMaxDailyPg, Math.ceil(dailyPg * 1.25)),
      patientBolus: null,
    },
  };
  const staged = pump.execute(T0, 'setup-stage', { type: 'stage', changes });
  if (!staged.ok) throw new Error(`fault campaign setup refused: ${staged.message}`);
  const committed = pump.execute(T0, 'setup-commit', { type: 'commit', stagedId: staged.detail['stagedId'] as number, acknowledgedSoftLimits: softCodes(staged.detail) });
  if (!committed.ok) throw new Error(`fault campaign setup refused: ${committed.message}`);
  const memory = PumpMemory.blank();
  memory.save(pump);
  const patient = patientFactory?.({ drugId, concentrationMcgPerMl: rate.concentrationMcgPerMl, rateNlPerDay: rate.rateNlPerDay, atMs: T0, seed }) ?? null;
  return new FaultWorld(pump, memory, patient, T0);
}

/** Step lengths: fine while the first signs may appear, coarser later (patient-sign resolution). */
function stepAfter(sinceInjectMs: number): number {
  if (sinceInjectMs < 3 * MS_PER_DAY) return 10 * MS_PER_MINUTE;
  if (sinceInjectMs < 14 * MS_PER_DAY) return MS_PER_HOUR;
  return 6 * MS_PER_HOUR;
}

/** Pump UTC of a log record back to true time, using the clock error at the time it is read. */
function trueTimeOf(world: FaultWorld, r: LogRecord): number {
  return r.utcMs - (world.pump.status().pumpUtcMs - world.trueMs);
}

interface RunOptions {
  patientFactory: PatientFactory | null;
  horizonMs?: number;
  /** Stop once every component has detected (the table); the tests run to a given time instead. */
  stopWhenAllDetected?: boolean;
  seed?: number;
}

/** Run one fault at one rate and time each component's detection. */
export function runFaultCase(fc: FaultCase, rate: RateCase, o: RunOptions): FaultRow {
  const horizon = o.horizonMs ?? HORIZON_MS;
  const world = startWorld(rate, o.patientFactory, o.seed ?? 1);
  const det: Record<Component, Detection> = {
    pump: { detected: false, afterMs: null, how: 'not detected' },
    programmer: { detected: false, afterMs: null, how: 'not detected' },
    patient: { detected: false, afterMs: null, how: 'not noticed' },
    clinic: { detected: false, afterMs: null, how: 'not detected' },
  };
  const injectAt = T0 + INJECT_AFTER_MS;
  const mark = (c: Component, atMs: number, how: string) => {
    if (det[c].detected) return;
    det[c] = { detected: true, afterMs: Math.max(0, atMs - injectAt), how };
  };
  // The first refill visit is on the date the forecast recommends.
  let nextVisit = world.pump.forecast().nextRefillByMs ?? T0 + 90 * MS_PER_DAY;
  let eriForecast = world.pump.forecast().eriAtMs;
  let injected = false;
  let eventSeqAtInject = 0;
  const refillFault = fc.fault.kind === 'pocket-fill' || fc.fault.kind === 'access-port-injection';
  let visits = 0;
  // The patient's first change of condition after the injection, at the model's own time.
  let firstSign: { atMs: number; text: string } | null = null;
  world.onTimeline = (e) => {
    if (firstSign === null && injected && e.source === 'patient' && e.atMs >= injectAt && /^(under-dosed|withdrawal|overdose)$/.test(e.text)) firstSign = { atMs: e.atMs, text: e.text };
  };

  const visit = (atMs: number, withRefill: boolean) => {
    visits += 1;
    world.pump.execute(world.pumpTimeAt(atMs), `visit-${visits}-interrogate`, { type: 'interrogate' });
    const s = world.pump.status();
    const since = world.pump.events.readFrom(eventSeqAtInject);
    const alarms = s.alarms.filter((a) => PUMP_ALARMS.has(a.code)).map((a) => a.code);
    const logSigns = since.filter((e) => LOG_SIGNS.has(e.type) || (e.type === 'self-test' && e.data['result'] !== 'ok')).map((e) => e.type);
    const clockOff = Math.abs(s.pumpUtcMs - atMs);
    let discrepancy = false;
    if (withRefill) {
      const r = world.refill(`visit-${visits}`, { filledNl: 40 * NL_PER_ML, drugId: 'baclofen', concentrationMcgPerMl: rate.concentrationMcgPerMl });
      discrepancy = r.ok && r.discrepancyFlagged;
    }
    if (!injected) return;
    if (alarms.length > 0) mark('programmer', atMs, `interrogation shows alarm ${alarms.join(', ')}`);
    else if (logSigns.length > 0) mark('programmer', atMs, `interrogation shows ${[...new Set(logSigns)].join(', ')} in the event log`);
    else if (clockOff > PROGRAMMER_CLOCK_TOLERANCE_MS) mark('programmer', atMs, `pump clock ${Math.round(clockOff / 60_000)} min off the programmer's`);
    else if (discrepancy) mark('programmer', atMs, 'refill residual flagged as a discrepancy');
    // The clinic server reads the session upload.
    const critical = s.alarms.some((a) => CLINIC_CRITICAL.has(a.code)) || since.some((e) => e.type === 'alarm-raised' && CLINIC_CRITICAL.has(String(e.data['code'])));
    const eriNow = s.battery.eriAtMs ?? world.pump.forecast().eriAtMs;
    if (critical) mark('clinic', atMs, 'critical alarm in the uploaded log (worklist: critical-alarm)');
    else if (discrepancy) mark('clinic', atMs, 'refill discrepancy flagged (worklist: refill-discrepancy)');
    else if (eriNow < eriForecast - FORECAST_MISMATCH_MS) mark('clinic', atMs, `ERI ${Math.round((eriForecast - eriNow) / MS_PER_DAY)} days earlier than forecast (worklist: replacement)`);
    eriForecast = world.pump.forecast().eriAtMs;
  };

  let t = T0;
  let extraVisit: number | null = null;
  let called = false;
  const callClinic = (atMs: number) => {
    if (called) return;
    called = true;
    extraVisit = Math.min(extraVisit ?? Number.POSITIVE_INFINITY, Math.max(atMs, t));
  };
  while (t < injectAt + horizon) {
    const target = Math.min(
      !injected ? injectAt : Number.POSITIVE_INFINITY,
      nextVisit,
      extraVisit ?? Number.POSITIVE_INFINITY,
      t + (injected ? stepAfter(t - injectAt) : MS_PER_DAY),
      injectAt + horizon,
    );
    world.advanceTo(target);
    t = target;
    if (!injected && t >= injectAt) {
      eventSeqAtInject = world.pump.events.nextSequence;
      if (refillFault) {
        // The fault happens at an extra refill visit on the injection day.
        const r = world.refill('inject-refill', { filledNl: 40 * NL_PER_ML, drugId: 'baclofen', concentrationMcgPerMl: rate.concentrationMcgPerMl }, fc.fault);
        if (!r.ok) throw new Error(`${fc.id}: refill refused: ${r.message}`);
        // A refill moves the forecast, and so the next visit.
        nextVisit = world.pump.forecast().nextRefillByMs ?? nextVisit;
      } else {
        const pumpBefore = world.pump;
        const r = world.inject(fc.fault);
        if (!r.ok) throw new Error(`${fc.id}: ${r.message}`);
        // A restart replaced the pump: read its log from the restart on (a new log restarts its numbering).
        if (world.pump !== pumpBefore) eventSeqAtInject = restartMarkerSeq(world.pump) ?? world.pump.events.nextSequence;
        if (fc.fault.kind === 'mri') extraVisit = t + fc.fault.fieldMs + MS_PER_HOUR;
      }
      injected = true;
    }
    if (injected) {
      for (const e of world.pump.events.readFrom(eventSeqAtInject)) {
        if (e.type === 'alarm-raised' && PUMP_ALARMS.has(String(e.data['code']))) {
          const when = Math.max(injectAt, Math.min(t, trueTimeOf(world, e)));
          mark('pump', when, `alarm ${String(e.data['code'])}`);
          mark('patient', when, `hears the ${e.data['critical'] === true ? 'critical two-tone' : 'single-tone'} ${String(e.data['code'])} alarm`);
          callClinic(when + (e.data['critical'] === true ? UNSCHEDULED_VISIT_CRITICAL_MS : UNSCHEDULED_VISIT_NON_CRITICAL_MS));
        }
      }
      if (firstSign !== null && !det.patient.detected) {
        const { atMs, text } = firstSign;
        const signs = world.timeline.filter((e) => e.source === 'patient' && e.text.includes(' sign: ') && e.atMs >= atMs && e.atMs <= t).map((e) => e.text.replace(/^.* sign: /, ''));
        mark('patient', atMs, signs.length > 0 ? `${text}: ${[...new Set(signs)].join(', ')}` : `${text} (the effect wears off)`);
        callClinic(atMs + UNSCHEDULED_VISIT_CRITICAL_MS);
      }
    }
    if (extraVisit !== null && t >= extraVisit) {
      visit(t, false);
      extraVisit = null;
    }
    if (t >= nextVisit) {
      visit(t, true);
      nextVisit = world.pump.forecast().nextRefillByMs ?? t + 90 * MS_PER_DAY;
      if (nextVisit <= t) nextVisit = t + MS_PER_DAY;
    }
    if (o.stopWhenAllDetected !== false && COMPONENTS.every((c) => det[c].detected)) break;
  }
  return {
    caseId: fc.id,
    label: fc.label,
    fault: fc.fault,
    rateNlPerDay: rate.rateNlPerDay,
    concentrationMcgPerMl: rate.concentrationMcgPerMl,
    drugId: 'baclofen',
    horizonMs: horizon,
    detections: det,
  };
}

export interface FaultTable {
  generatedBy: string;
  injectAfterMs: number;
  horizonMs: number;
  programmerClockToleranceMs: number;
  forecastMismatchMs: number;
  patientModel: string;
  rows: FaultRow[];
}

export function buildFaultTable(o: { patientFactory: PatientFactory | null; patientModel: string; cases?: readonly FaultCase[]; rates?: readonly RateCase[]; onRow?: (row: FaultRow, done: number, total: number) => void }): FaultTable {
  const cases = o.cases ?? FAULT_CASES;
  const rates = o.rates ?? RATE_CASES;
  const rows: FaultRow[] = [];
  const total = cases.length * rates.length;
  for (const fc of cases) {
    for (const rate of rates) {
      const row = runFaultCase(fc, rate, { patientFactory: o.patientFactory });
      rows.push(row);
      o.onRow?.(row, rows.length, total);
    }
  }
  return {
    generatedBy: 'npx thecal faults',
    injectAfterMs: INJECT_AFTER_MS,
    horizonMs: HORIZON_MS,
    programmerClockToleranceMs: PROGRAMMER_CLOCK_TOLERANCE_MS,
    forecastMismatchMs: FORECAST_MISMATCH_MS,
    patientModel: o.patientModel,
    rows,
  };
}
