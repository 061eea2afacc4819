/**
 * The fault-detection campaign behind docs/fault-table.md: each fault, injected into a simulated
 * world (FaultWorld: the pump core, the true reservoir, the catheter, the virtual patient) at
 * several programmed rates, and for each of the four parts of the system the time from injection
 * to the first moment it knows. The programmer and clinic columns are the real code's answers:
 *
 *   pump        a critical alarm or ERI raised by the pump itself (its event log, exact time);
 *   programmer  an interrogation (every scheduled refill visit, an unscheduled visit, the check
 *               after an MRI) for which `interrogationFindings` (@thecal/therapy-calc, the function
 *               the programmer's Summary lists) returns a problem the fault caused: an alarm, a
 *               fault in the recent log page the programmer reads, a refill residual discrepancy
 *               (the end-of-session re-read after the refill), or a pump clock more than
 *               CLOCK_TOLERANCE_MS off the programmer's;
 *   patient     an alarm tone the patient hears, or the first sign the virtual patient shows;
 *               A patient who hears a critical alarm or shows signs is seen within a day, one who
 *               hears a single tone within a week (an unscheduled visit, interrogation only).
 *   clinic      the programmer's upload of that session (`uploadFromPump` without a snapshot,
 *               from the log sequences last uploaded), ingested by the clinic server's own
 *               `ingestUpload` into a real SQLite clinic database (FaultClinic, clinic.ts); the
 *               clinic detects the fault when its real worklist (`buildWorklist`, default horizons)
 *               first shows a non-routine entry (critical alarm, refill discrepancy, replacement,
 *               overdue refill) that was not there before the injection.
 *
 * "Caused by the fault": a finding or entry counts only if it refers to something after the
 * injection (a log record from the injection on, an alarm raised since); the fault-free run in the
 * tests shows no finding and no non-routine entry at all over the horizon, so nothing is counted
 * that the fault did not cause.
 *
 * Visits follow the clinic's plan: each refill on the date the pump's forecast recommends. A run
 * is deterministic (seeded patient, simulated time; the clinic's generated ids never reach the table).
 */
import { DRUG_LIBRARY, MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE, NL_PER_ML, Pump, PumpMemory, type DrugId, type LogRecord } from '@thecal/pump-core';
import { DEFAULT_CONFIG } from '@thecal/clinic-server';
import { CLOCK_TOLERANCE_MS, INTERROGATION_RECENT_EVENTS, interrogationFindings, type InterrogationFinding } from '@thecal/therapy-calc';
import { FaultWorld, restartMarkerSeq, softCodes, type Fault, type PatientPort } from '@thecal/virtual-pump';
import { FaultClinic, ROUTINE_WORKLIST_KINDS, worklistKey } from './clinic.ts';

export const T0 = Date.UTC(2026, 0, 5);
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

/** The pump serial of every campaign world (each run has its own clinic database). */
export const CAMPAIGN_SERIAL = 'FAULT-1';

/** A world at T0: a 40 mL pump filled with 40 mL baclofen, running `rate` continuously. */
export function startWorld(rate: RateCase, patientFactory: PatientFactory | null, seed = 1): FaultWorld {
  const pump = Pump.manufacture({ serial: CAMPAIGN_SERIAL, model: 'thecal-40', atMs: T0 });
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
export async function runFaultCase(fc: FaultCase, rate: RateCase, o: RunOptions): Promise<FaultRow> {
  const horizon = o.horizonMs ?? HORIZON_MS;
  return { caseId: fc.id, label: fc.label, fault: fc.fault, rateNlPerDay: rate.rateNlPerDay, concentrationMcgPerMl: rate.concentrationMcgPerMl, drugId: 'baclofen', horizonMs: horizon, detections: await detect(fc.fault, rate, o, horizon) };
}

/**
 * The same run with nothing injected: the control. Whatever a component "detects" here is a
 * false alarm of the campaign's criteria, and the tests require there is none.
 */
export async function runFaultFree(rate: RateCase, o: RunOptions): Promise<Record<Component, Detection>> {
  return detect(null, rate, { ...o, stopWhenAllDetected: false }, o.horizonMs ?? HORIZON_MS);
}

async function detect(fault: Fault | null, rate: RateCase, o: RunOptions, horizon: number): Promise<Record<Component, Detection>> {
  const world = startWorld(rate, o.patientFactory, o.seed ?? 1);
  const clinic = await FaultClinic.open(CAMPAIGN_SERIAL, world.pump.model, T0);
  try {
    return await runInWorld(fault, rate, o, horizon, world, clinic);
  } finally {
    await clinic.close();
  }
}

/** What the programmer shows at an interrogation now (true time `atMs`, the programmer's clock). */
function interrogate(world: FaultWorld, atMs: number, commandId: string): InterrogationFinding[] {
  world.pump.execute(world.pumpTimeAt(atMs), commandId, { type: 'interrogate' });
  const status = world.pump.status();
  // The programmer reads only the newest page of the event log at an interrogation.
  const from = Math.max(1, status.log.eventNextSeq - INTERROGATION_RECENT_EVENTS);
  return interrogationFindings({ status, events: world.pump.events.readFrom(from), programmerUtcMs: atMs });
}

async function runInWorld(fault: Fault | null, rate: RateCase, o: RunOptions, horizon: number, world: FaultWorld, clinic: FaultClinic): Promise<Record<Component, Detection>> {
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
  // The implant session's upload: the clinic knows the pump from the start.
  const worklistBefore = new Set<string>();
  for (const e of (await clinic.uploadSession(world.pump, T0)).worklist) worklistBefore.add(worklistKey(e));
  // The first refill visit is on the date the forecast recommends.
  let nextVisit = world.pump.forecast().nextRefillByMs ?? T0 + 90 * MS_PER_DAY;
  let injected = false;
  let eventSeqAtInject = 0;
  let pumpMsAtInject = 0;
  const refillFault = fault?.kind === 'pocket-fill' || fault?.kind === 'access-port-injection';
  let visits = 0;
  // The patient's first change of condition after the injection, at the model's own time.
  let firstSign: { atMs: number; text: string } | null = null;
  world.onTimeline = (e) => {
    if (firstSign === null && injected && e.source === 'patient' && e.atMs >= injectAt && /^(under-dosed|withdrawal|overdose)$/.test(e.text)) firstSign = { atMs: e.atMs, text: e.text };
  };
  /** A finding the fault caused: from a log record or an alarm since the injection (the clock has no earlier state to blame). */
  const sinceInjection = (f: InterrogationFinding) => (f.seq !== null ? f.seq >= eventSeqAtInject : f.atPumpUtcMs === null || f.atPumpUtcMs >= pumpMsAtInject);

  const visit = async (atMs: number, withRefill: boolean) => {
    visits += 1;
    const shown = interrogate(world, atMs, `visit-${visits}-interrogate`);
    if (withRefill) {
      world.refill(`visit-${visits}`, { filledNl: 40 * NL_PER_ML, drugId: 'baclofen', concentrationMcgPerMl: rate.concentrationMcgPerMl });
      // The programmer reads the pump again after the refill (the Finish screen's read-back).
      shown.push(...interrogate(world, atMs, `visit-${visits}-read-back`));
    }
    const upload = await clinic.uploadSession(world.pump, atMs);
    if (!injected) {
      for (const e of upload.worklist) worklistBefore.add(worklistKey(e));
      return;
    }
    const caused = shown.filter(sinceInjection);
    if (caused.length > 0) mark('programmer', atMs, `shows ${[...new Set(caused.map((f) => f.message))].join('; ')}`);
    // The worklist's own order leaves ties (two alarms raised at the same instant) to the database:
    // break them by the message so the table does not depend on generated ids.
    const entry = upload.worklist
      .filter((e) => !ROUTINE_WORKLIST_KINDS.has(e.kind) && !worklistBefore.has(worklistKey(e)))
      .sort((a, b) => a.priority - b.priority || a.dueAtMs - b.dueAtMs || a.message.localeCompare(b.message))[0];
    if (entry !== undefined) mark('clinic', atMs, `worklist ${entry.kind}: ${entry.message}`);
    else if (!upload.stored && !det.clinic.detected) det.clinic = { ...det.clinic, how: `not detected (an upload was refused: ${upload.refusal ?? ''})` };
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
      pumpMsAtInject = world.pumpTimeAt(t);
      if (fault === null) {
        // The control run: nothing happens at the injection time.
      } else if (refillFault) {
        // The fault happens at an extra refill visit on the injection day.
        const r = world.refill('inject-refill', { filledNl: 40 * NL_PER_ML, drugId: 'baclofen', concentrationMcgPerMl: rate.concentrationMcgPerMl }, fault);
        if (!r.ok) throw new Error(`${fault.kind}: refill refused: ${r.message}`);
        // A refill moves the forecast, and so the next visit.
        nextVisit = world.pump.forecast().nextRefillByMs ?? nextVisit;
      } else {
        const pumpBefore = world.pump;
        const r = world.inject(fault);
        if (!r.ok) throw new Error(`${fault.kind}: ${r.message}`);
        // A restart replaced the pump: read its log from the restart on (a new log restarts its numbering).
        if (world.pump !== pumpBefore) eventSeqAtInject = restartMarkerSeq(world.pump) ?? world.pump.events.nextSequence;
        if (fault.kind === 'mri') extraVisit = t + fault.fieldMs + MS_PER_HOUR;
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
      await visit(t, false);
      extraVisit = null;
    }
    if (t >= nextVisit) {
      await visit(t, true);
      nextVisit = world.pump.forecast().nextRefillByMs ?? t + 90 * MS_PER_DAY;
      if (nextVisit <= t) nextVisit = t + MS_PER_DAY;
    }
    if (o.stopWhenAllDetected !== false && COMPONENTS.every((c) => det[c].detected)) break;
  }
  return det;
}

export interface FaultTable {
  generatedBy: string;
  injectAfterMs: number;
  horizonMs: number;
  programmerClockToleranceMs: number;
  /** The programmer reads this many of the newest event-log records at an interrogation. */
  programmerRecentEvents: number;
  /** The clinic worklist lists a replacement when the forecast ERI is within this horizon. */
  clinicReplacementHorizonMs: number;
  patientModel: string;
  rows: FaultRow[];
}

export async function buildFaultTable(o: { patientFactory: PatientFactory | null; patientModel: string; cases?: readonly FaultCase[]; rates?: readonly RateCase[]; onRow?: (row: FaultRow, done: number, total: number) => void }): Promise<FaultTable> {
  const cases = o.cases ?? FAULT_CASES;
  const rates = o.rates ?? RATE_CASES;
  const rows: FaultRow[] = [];
  const total = cases.length * rates.length;
  for (const fc of cases) {
    for (const rate of rates) {
      const row = await runFaultCase(fc, rate, { patientFactory: o.patientFactory });
      rows.push(row);
      o.onRow?.(row, rows.length, total);
    }
  }
  return {
    generatedBy: 'npx thecal faults',
    injectAfterMs: INJECT_AFTER_MS,
    horizonMs: HORIZON_MS,
    programmerClockToleranceMs: CLOCK_TOLERANCE_MS,
    programmerRecentEvents: INTERROGATION_RECENT_EVENTS,
    clinicReplacementHorizonMs: DEFAULT_CONFIG.replacementHorizonMs,
    patientModel: o.patientModel,
    rows,
  };
}
