/**
 * Simulation speed and memory of the pump core (see bench/README.md, "pump-speed").
 *
 *  (a) continuous 0.5 mL/day morphine, refills every 60 days, 10 simulated years;
 *  (b) 13-step flex program (two day programs) + 6 patient boluses a day, refills every 60 days,
 *      10 simulated years;
 *  naive baselines on the same flex scenario: a standalone per-stroke stepper (60 days) and the
 *  real core polled at every stroke time (30 days);
 *  a cost breakdown (segment, patient-bolus command, refill commit) to point at what to optimise;
 *  heap after GC at 1, 5, 10 and 50 years of the flex scenario.
 *
 * Every timed run is checked afterwards: each pump delivered within one stroke of the exact
 * integral of what it was commanded, and every requested bolus was granted.
 */
import os from 'node:os';
import { Pump, buildWeekTable, rateAt, type BasalProgram } from '@thecal/pump-core';
import { MS_DAY, STROKE_CREDIT_N } from './lib/exact.ts';
import { check, printTable, result, ratioResult, writeResults, type BenchResult } from './lib/results.ts';
import {
  MORPHINE_MCG_PER_ML,
  MS_HOUR,
  NL_PER_ML,
  Programmer,
  RESERVOIR_NL,
  SPEED_BOLUS,
  T0,
  flex13Basal,
  morphinePrescription,
  refill,
  runPatient,
  verifyPatientRun,
  type PatientRunOptions,
  type PatientRunStats,
} from './lib/scenarios.ts';

const YEARS = 10;
const REPS = 5;
const NAIVE_REPS = 7;
const POLLED_REPS = 3;
/** Alternating (flex, polled core) pairs behind the flex speed and its ratio to the polled core. */
const PAIRS = 15;
const BOLUS_HOURS = [7, 10, 13, 16, 19, 22] as const;
const REFILL_DAYS = 60;
const NAIVE_STANDALONE_DAYS = 60;
const NAIVE_POLLED_DAYS = 30;
const MEMORY_YEARS = 50;
const MEMORY_CHECKPOINTS = [1, 5, 10, 50] as const;
const TARGET_FLEX_PUMP_YEARS_PER_S = 500;
const TARGET_VS_NAIVE = 100;
const TARGET_HEAP_RATIO = 1.5;
const STROKE_CREDIT = Number(STROKE_CREDIT_N);

const continuousBasal: BasalProgram = { kind: 'continuous', rateNlPerDay: 500_000 };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

interface Measured {
  pumpYearsPerS: number;
  segmentsPerS: number;
  runs: PatientRunStats[];
  wallMs: number[];
}

/** Run a patient scenario `reps` times (after the caller's warm-up), verify each, keep the median. */
function measure(label: string, opts: PatientRunOptions, reps: number, expectBoluses: boolean): Measured {
  const runs: PatientRunStats[] = [];
  for (let i = 0; i < reps; i++) {
    const s = runPatient(opts);
    verifyRun(label, s, expectBoluses);
    runs.push(s);
  }
  return summarize(runs);
}

/** Median speed of verified runs of one scenario. */
function summarize(runs: PatientRunStats[]): Measured {
  const wall = runs.map((r) => r.wallMs);
  const med = median(wall);
  const years = (runs[0]?.days ?? 0) / 365;
  const segs = median(runs.map((r) => r.segments / (r.wallMs / 1000)));
  return { pumpYearsPerS: years / (med / 1000), segmentsPerS: segs, runs, wallMs: wall };
}

function verifyRun(label: string, s: PatientRunStats, expectBoluses: boolean): void {
  const v = verifyPatientRun(s, SPEED_BOLUS.volumeNl, SPEED_BOLUS.durationMs);
  check(Math.abs(v.maxErrorStrokes) <= 1, `${label}: a pump's delivered volume is ${v.maxErrorStrokes} strokes from its programmed volume`);
  check(v.deliveredNl > 0.99 * v.programmedNl && v.deliveredNl > 0, `${label}: delivered ${v.deliveredNl} nL of ${v.programmedNl} nL programmed`);
  const expectedRequests = expectBoluses ? s.days * BOLUS_HOURS.length : 0;
  check(s.requested === expectedRequests, `${label}: ${s.requested} bolus requests, expected ${expectedRequests}`);
  check(s.granted === s.requested, `${label}: only ${s.granted} of ${s.requested} patient boluses were granted`);
  check(s.refills + s.replacements >= Math.floor(s.days / REFILL_DAYS) - 1, `${label}: too few refills (${s.refills})`);
  for (const life of s.lives) check(life.segments > 0, `${label}: pump ${life.serial} stepped no segments`);
}

// ------------------------------------------------------------------ naive baselines

/**
 * Naive baseline 1: a standalone per-stroke stepper, the way a polling firmware loop would run
 * the same prescription. One loop iteration per stroke: look up the rate now (`rateAt` on the
 * week table from program.ts, built once), add the time the next stroke needs at that rate,
 * deliver it, run the bolus / refill bookkeeping. Same flex program, same boluses, same refills.
 * It does much less per stroke than the core does per event (no max-dose guard, no logs, no
 * alarms, no battery), so it is a generous baseline.
 */
function naiveStandalone(basal: BasalProgram, days: number): { wallMs: number; deliveredNl: number; strokes: number; boluses: number } {
  const table = buildWeekTable(basal);
  const bolusRate = Math.ceil((SPEED_BOLUS.volumeNl * MS_DAY) / SPEED_BOLUS.durationMs);
  const bolusTimes: number[] = [];
  for (let d = 0; d < days; d++) for (const h of BOLUS_HOURS) bolusTimes.push(T0 + d * MS_DAY + h * MS_HOUR);
  const end = T0 + days * MS_DAY;
  const started = performance.now();
  let t = T0;
  let credit = 0;
  let strokes = 0;
  let reservoir = RESERVOIR_NL;
  let nextRefill = T0 + REFILL_DAYS * MS_DAY + 8.5 * MS_HOUR;
  let bi = 0;
  let bolusRemaining = 0;
  let boluses = 0;
  while (t < end) {
    const rate = rateAt(table, t) + (bolusRemaining > 0 ? bolusRate : 0);
    const dt = Math.max(1, Math.ceil((STROKE_CREDIT - credit) / rate));
    credit += rate * dt;
    if (bolusRemaining > 0) bolusRemaining -= bolusRate * dt;
    t += dt;
    while (credit >= STROKE_CREDIT && reservoir >= 250) {
      credit -= STROKE_CREDIT;
      reservoir -= 250;
      strokes += 1;
    }
    if (bi < bolusTimes.length && t >= (bolusTimes[bi] ?? Infinity)) {
      bi += 1;
      if (bolusRemaining <= 0) {
        bolusRemaining = SPEED_BOLUS.volumeNl * MS_DAY;
        boluses += 1;
      }
    }
    if (t >= nextRefill) {
      reservoir = RESERVOIR_NL;
      nextRefill += REFILL_DAYS * MS_DAY;
    }
  }
  return { wallMs: performance.now() - started, deliveredNl: strokes * 250, strokes, boluses };
}

/**
 * Naive baseline 2, "what if we polled": the same scenario on the real core, but the shell calls
 * `pump.advanceTo(t)` at every stroke time (t += one stroke period at the current commanded rate)
 * instead of letting the core jump from event to event.
 */
function pollEveryStroke(pump: Pump, toMs: number): void {
  while (pump.nowMs < toMs) {
    const rate = pump.commandedRateNlPerDay();
    const step = rate > 0 ? Math.max(1, Math.ceil(STROKE_CREDIT / rate)) : toMs - pump.nowMs;
    pump.advanceTo(Math.min(toMs, pump.nowMs + step));
  }
}

// ------------------------------------------------------------------ cost breakdown

interface Breakdown {
  segmentUs: number;
  patientBolusUs: number;
  refillCommitMs: number;
  stageOnlyMs: number;
  statusUs: number;
  segments: number;
  boluses: number;
  commits: number;
}

/** Where the time goes: the core's three kinds of work, each timed on its own. */
function costBreakdown(): Breakdown {
  const rx = morphinePrescription(flex13Basal(), true);
  let segMs = 0;
  let segs = 0;
  let bolusMs = 0;
  let boluses = 0;
  let commitMs = 0;
  let commits = 0;
  let stageMs = 0;
  let statusMs = 0;
  let statuses = 0;
  for (let rep = 0; rep < 6; rep++) {
    const pump = Pump.manufacture({ serial: `cost-${rep}`, model: 'thecal-40', atMs: T0 });
    const prog = new Programmer(`cost-${rep}`);
    prog.must(pump, T0, { ...refill(0, 'morphine', MORPHINE_MCG_PER_ML), prescription: rx });
    for (let d = 0; d < 50; d++) {
      for (const h of BOLUS_HOURS) {
        const at = T0 + d * MS_DAY + h * MS_HOUR;
        const before = pump.segmentsStepped;
        let t = performance.now();
        pump.advanceTo(at);
        segMs += performance.now() - t;
        segs += pump.segmentsStepped - before;
        t = performance.now();
        const r = pump.execute(at, prog.id('pb'), { type: 'patient-bolus' });
        bolusMs += performance.now() - t;
        boluses += 1;
        check(r.ok, `cost breakdown: bolus refused: ${r.ok ? '' : r.message}`);
      }
      pump.drainOutputs();
    }
    // Refill commits on a pump with 50 days of history (each re-runs the 48 h peak-dose projection).
    const at = T0 + 50 * MS_DAY + 8.5 * MS_HOUR;
    pump.advanceTo(at);
    for (let k = 0; k < 10; k++) {
      let t = performance.now();
      const changes = refill(pump.status().reservoir.volumeNl, 'morphine', MORPHINE_MCG_PER_ML);
      const staged = pump.execute(at, prog.id('stage'), { type: 'stage', changes });
      stageMs += performance.now() - t;
      check(staged.ok, 'cost breakdown: refill staging refused');
      t = performance.now();
      const c = pump.execute(at, prog.id('commit'), { type: 'commit', stagedId: staged.detail['stagedId'] as number, acknowledgedSoftLimits: [] });
      commitMs += performance.now() - t;
      commits += 1;
      check(c.ok, `cost breakdown: refill commit refused: ${c.ok ? '' : c.message}`);
    }
    const t = performance.now();
    for (let k = 0; k < 200; k++) pump.status();
    statusMs += performance.now() - t;
    statuses += 200;
  }
  return {
    segmentUs: (segMs * 1000) / segs,
    patientBolusUs: (bolusMs * 1000) / boluses,
    refillCommitMs: commitMs / commits,
    stageOnlyMs: stageMs / commits,
    statusUs: (statusMs * 1000) / statuses,
    segments: segs,
    boluses,
    commits,
  };
}

// ------------------------------------------------------------------ cost per simulated day

interface DayCosts {
  flexBolusUs: number;
  continuousBolusUs: number;
  flexUs: number;
  continuousUs: number;
}

/**
 * Microseconds per simulated day of four programs (flex or continuous, with or without the 6
 * boluses), each the fastest of 40 batches of 50 days on one pump: the quietest batch is the
 * closest to what the code costs, apart from the collector and the machine's slow spells, which
 * the median runs above include. The differences price a granted bolus (its request, its end and
 * the two extra events) and a basal step change.
 */
function costPerDay(): DayCosts {
  const quietest = (flex: boolean, boluses: boolean): number => {
    const prog = new Programmer(`day-${flex ? 'f' : 'c'}${boluses ? 'b' : ''}`);
    const pump = Pump.manufacture({ serial: 'cost-day', model: 'thecal-40', atMs: T0 });
    prog.must(pump, T0, { ...refill(0, 'morphine', MORPHINE_MCG_PER_ML), prescription: morphinePrescription(flex ? flex13Basal() : continuousBasal, boluses) });
    const command = { type: 'patient-bolus' } as const;
    let day = 0;
    const runDay = (): void => {
      const d0 = T0 + day * MS_DAY;
      if (boluses) for (const h of BOLUS_HOURS) check(pump.execute(d0 + h * MS_HOUR, prog.id('pb'), command).ok, 'cost per day: a bolus was refused');
      if (day % REFILL_DAYS === REFILL_DAYS - 1) {
        pump.advanceTo(d0 + MS_DAY);
        prog.must(pump, d0 + MS_DAY, refill(pump.status().reservoir.volumeNl, 'morphine', MORPHINE_MCG_PER_ML));
      }
      pump.advanceTo(d0 + MS_DAY);
      pump.drainOutputs();
      day += 1;
    };
    for (let i = 0; i < 300; i++) runDay();
    let best = Number.POSITIVE_INFINITY;
    for (let b = 0; b < 40; b++) {
      const t = performance.now();
      for (let i = 0; i < 50; i++) runDay();
      best = Math.min(best, ((performance.now() - t) * 1000) / 50);
    }
    return best;
  };
  return { flexBolusUs: quietest(true, true), continuousBolusUs: quietest(false, true), flexUs: quietest(true, false), continuousUs: quietest(false, false) };
}

// ------------------------------------------------------------------ memory

interface HeapPoint {
  years: number;
  heapUsedBytes: number;
  eventLogSize: number;
  therapyLogSize: number;
}

/** Strokes a day of a patient run's basal (its mean over the week) plus its boluses. */
function flexOptsStrokesPerDay(o: PatientRunOptions): number {
  const table = buildWeekTable(o.basal);
  return table.weekCredit / (7 * MS_DAY) / 250 + (o.bolusHours.length * SPEED_BOLUS.volumeNl) / 250;
}

function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) {
    gc();
    gc();
  }
  return process.memoryUsage().heapUsed;
}

// ------------------------------------------------------------------ main

function main(): void {
  const started = performance.now();
  const loadAtStart = os.loadavg();
  const results: BenchResult[] = [];
  const flexOpts: PatientRunOptions = { years: YEARS, basal: flex13Basal(), bolusHours: BOLUS_HOURS, refillEveryDays: REFILL_DAYS };
  const contOpts: PatientRunOptions = { years: YEARS, basal: continuousBasal, bolusHours: [], refillEveryDays: REFILL_DAYS };

  // Warm-up (JIT) on both scenarios: one full run each, not timed.
  verifyRun('warm-up flex', runPatient(flexOpts), true);
  verifyRun('warm-up continuous', runPatient(contOpts), false);

  const cont = measure('continuous', contOpts, REPS, false);

  // The flex runs and the polled-core baseline alternate, one of each per pair, and each pair gives
  // a ratio: the same code measures up to twice as slow from one minute to the next on these shared
  // machines, and a slow spell that hit only one side would skew a ratio of separate medians.
  runPatient({ ...flexOpts, years: 10 / 365, approach: pollEveryStroke });
  const flexRuns: PatientRunStats[] = [];
  const polledRuns: PatientRunStats[] = [];
  const pairRatios: number[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const f = runPatient(flexOpts);
    verifyRun('flex', f, true);
    const p = runPatient({ ...flexOpts, years: NAIVE_POLLED_DAYS / 365, approach: pollEveryStroke });
    verifyRun('polled core', p, true);
    flexRuns.push(f);
    polledRuns.push(p);
    pairRatios.push(f.days / f.wallMs / (p.days / p.wallMs));
  }
  const flex = summarize(flexRuns);

  // Naive baselines, warmed up the same way (their first runs are not timed), median of repetitions.
  for (let i = 0; i < 3; i++) naiveStandalone(flex13Basal(), NAIVE_STANDALONE_DAYS);
  const naiveRuns = Array.from({ length: NAIVE_REPS }, () => naiveStandalone(flex13Basal(), NAIVE_STANDALONE_DAYS));
  const naive = naiveRuns[0] as ReturnType<typeof naiveStandalone>;
  const naiveWall = median(naiveRuns.map((r) => r.wallMs));
  const naiveYearsPerS = NAIVE_STANDALONE_DAYS / 365 / (naiveWall / 1000);
  const naiveProgrammed = verifyPatientRun(runPatient({ ...flexOpts, years: NAIVE_STANDALONE_DAYS / 365 }), SPEED_BOLUS.volumeNl, SPEED_BOLUS.durationMs);
  const naiveRelErr = (naive.deliveredNl - naiveProgrammed.programmedNl) / naiveProgrammed.programmedNl;
  check(naive.boluses === NAIVE_STANDALONE_DAYS * BOLUS_HOURS.length, `naive stepper gave ${naive.boluses} boluses`);
  check(Math.abs(naiveRelErr) < 0.01, `naive stepper delivered ${naive.deliveredNl} nL vs ${naiveProgrammed.programmedNl} nL programmed`);

  const polled = polledRuns[0] as PatientRunStats;
  const polledWall = median(polledRuns.map((r) => r.wallMs));
  const polledYearsPerS = NAIVE_POLLED_DAYS / 365 / (polledWall / 1000);

  // The same polled baseline on the continuous program: with one event a day against about 2,000
  // strokes, this is where computing the next stroke instead of polling pays most.
  const contPolledRuns = Array.from({ length: POLLED_REPS }, () => runPatient({ ...contOpts, years: NAIVE_POLLED_DAYS / 365, approach: pollEveryStroke }));
  for (const r of contPolledRuns) verifyRun('polled core (continuous)', r, false);
  const contPolledYearsPerS = NAIVE_POLLED_DAYS / 365 / (median(contPolledRuns.map((r) => r.wallMs)) / 1000);
  // Strokes per event bound any speed-up over a per-stroke loop whose step costs what an event costs.
  const flexStrokesPerEvent = (flexOptsStrokesPerDay(flexOpts) * 365 * YEARS) / ((flex.runs[0] as PatientRunStats).segments);

  const breakdown = costBreakdown();
  const perDay = costPerDay();
  const bolusUs = (perDay.continuousBolusUs - perDay.continuousUs) / BOLUS_HOURS.length;
  // flex13Basal has 13 steps a day; the first starts at midnight, where the continuous day has its one event.
  const basalStepUs = (perDay.flexUs - perDay.continuousUs) / 12;

  const flexRun = flex.runs[0] as PatientRunStats;
  const contRun = cont.runs[0] as PatientRunStats;
  const common = { simulatedYears: YEARS, repetitions: REPS, statistic: 'median wall time' };
  const flexCommon = { ...common, repetitions: PAIRS, fastestPumpYearsPerS: (YEARS * 1000) / Math.min(...flex.wallMs), slowestPumpYearsPerS: (YEARS * 1000) / Math.max(...flex.wallMs) };

  results.push(
    result({
      name: 'continuous-0.5mL/day: pump-years per wall-second',
      value: cont.pumpYearsPerS,
      unit: 'pump-years/s',
      details: { ...common, wallMs: cont.wallMs, segments: contRun.segments, refills: contRun.refills, pumpReplacements: contRun.replacements, segmentsPerS: cont.segmentsPerS },
    }),
    result({
      name: 'flex-13-step+6 boluses/day: pump-years per wall-second',
      value: flex.pumpYearsPerS,
      unit: 'pump-years/s',
      baseline: { name: 'naive per-stroke stepper (standalone)', value: naiveYearsPerS, unit: 'pump-years/s' },
      target: { op: '>=', value: TARGET_FLEX_PUMP_YEARS_PER_S },
      details: {
        ...flexCommon,
        wallMs: flex.wallMs,
        segments: flexRun.segments,
        bolusesGranted: flexRun.granted,
        bolusesRequested: flexRun.requested,
        refills: flexRun.refills,
        pumpReplacements: flexRun.replacements,
      },
    }),
    result({ name: 'flex: events (segments stepped) per wall-second', value: flex.segmentsPerS, unit: 'segments/s', details: { segmentsPer10Years: flexRun.segments } }),
    result({ name: 'continuous: events (segments stepped) per wall-second', value: cont.segmentsPerS, unit: 'segments/s', details: { segmentsPer10Years: contRun.segments } }),
    result({
      name: 'naive per-stroke stepper (standalone): pump-years per wall-second',
      value: naiveYearsPerS,
      unit: 'pump-years/s',
      details: {
        method: 'one loop iteration per stroke: rateAt(buildWeekTable(basal) [built once], t), credit += rate x time-to-next-stroke; same flex program, boluses and refills',
        simulatedDays: NAIVE_STANDALONE_DAYS,
        repetitions: NAIVE_REPS,
        wallMs: naiveRuns.map((r) => r.wallMs),
        strokes: naive.strokes,
        nsPerStroke: (naiveWall * 1e6) / naive.strokes,
        deliveredVsExactProgrammedRelError: naiveRelErr,
      },
    }),
    result({
      name: 'naive polled core (advanceTo at every stroke): pump-years per wall-second',
      value: polledYearsPerS,
      unit: 'pump-years/s',
      details: {
        method: 'same runPatient scenario on the real core; before each command the shell calls pump.advanceTo at every stroke time (period at the commanded rate)',
        simulatedDays: NAIVE_POLLED_DAYS,
        repetitions: POLLED_REPS,
        wallMs: polledRuns.map((r) => r.wallMs),
        segments: polled.segments,
        usPerAdvanceTo: (polledWall * 1000) / polled.segments,
      },
    }),
    ratioResult({
      name: 'flex speed-up over naive standalone stepper',
      value: flex.pumpYearsPerS,
      baseline: { name: 'naive per-stroke stepper (standalone)', value: naiveYearsPerS, unit: 'pump-years/s' },
      target: { op: '>=', value: TARGET_VS_NAIVE },
    }),
    ratioResult({
      name: 'flex speed-up over naive polled core',
      value: flex.pumpYearsPerS,
      baseline: { name: 'naive polled core (advanceTo every stroke)', value: polledYearsPerS, unit: 'pump-years/s' },
      measuredRatio: median(pairRatios),
      target: { op: '>=', value: TARGET_VS_NAIVE },
      details: { statistic: 'median of the ratios of alternating pairs (one flex run, one polled run)', pairRatios, pairs: PAIRS },
    }),
    ratioResult({
      name: 'continuous speed-up over naive polled core',
      value: cont.pumpYearsPerS,
      baseline: { name: 'naive polled core (advanceTo every stroke), continuous', value: contPolledYearsPerS, unit: 'pump-years/s' },
      target: { op: '>=', value: TARGET_VS_NAIVE },
    }),
    result({
      name: 'flex: strokes per event (ceiling of any speed-up over per-stroke polling at equal step cost)',
      value: flexStrokesPerEvent,
      unit: 'strokes/event',
    }),
    result({ name: 'cost: one delivery segment (advanceTo, per event)', value: breakdown.segmentUs, unit: 'us', details: { segmentsTimed: breakdown.segments } }),
    result({ name: 'cost: one patient-bolus command (execute)', value: breakdown.patientBolusUs, unit: 'us', details: { commandsTimed: breakdown.boluses } }),
    result({
      name: 'cost: one refill commit (execute commit)',
      value: breakdown.refillCommitMs,
      unit: 'ms',
      details: { commitsTimed: breakdown.commits, stageMs: breakdown.stageOnlyMs, note: 'commit re-validates and runs projectPeakDose: a snapshot/fromSnapshot clone of the pump advanced 48 h' },
    }),
    result({ name: 'cost: pump.status()', value: breakdown.statusUs, unit: 'us' }),
    result({
      name: 'cost per simulated day, flex + 6 boluses (quietest batch)',
      value: perDay.flexBolusUs,
      unit: 'us/day',
      baseline: { name: 'the day the flex target allows (1 / (500 pump-years/s x 365 days))', value: 1e6 / (TARGET_FLEX_PUMP_YEARS_PER_S * 365), unit: 'us/day' },
      details: { ...perDay, statistic: 'fastest of 40 batches of 50 days on one pump, after 300 warm-up days' },
    }),
    result({ name: 'cost: one granted patient bolus, all in (request, end, extra events; quietest batches)', value: bolusUs, unit: 'us', details: { from: '(continuous + 6 boluses - continuous) / 6' } }),
    result({ name: 'cost: one basal step change (quietest batches)', value: basalStepUs, unit: 'us', details: { from: '(flex - continuous) / 12 extra step boundaries a day' } }),
    result({ name: 'cost: one simulated day with no step change and no bolus (quietest batches)', value: perDay.continuousUs, unit: 'us' }),
  );

  // Predicted 10-year flex time from the breakdown, to show what dominates.
  const predictedMs =
    (flexRun.segments * breakdown.segmentUs) / 1000 + (flexRun.granted * breakdown.patientBolusUs) / 1000 + (flexRun.refills + flexRun.replacements + 1) * breakdown.refillCommitMs;
  const flexMedianMs = median(flex.wallMs);
  const share = {
    segmentsMs: (flexRun.segments * breakdown.segmentUs) / 1000,
    patientBolusCommandsMs: (flexRun.granted * breakdown.patientBolusUs) / 1000,
    commitsMs: (flexRun.refills + flexRun.replacements + 1) * breakdown.refillCommitMs,
  };
  results.push(
    result({
      name: 'flex 10 y: wall time explained by the cost breakdown',
      value: predictedMs,
      unit: 'ms',
      baseline: { name: 'measured flex 10-year median wall time', value: flexMedianMs, unit: 'ms' },
      details: share,
    }),
  );

  // Memory: 50 years of the flex scenario, heap after GC at checkpoints.
  const gcAvailable = typeof (globalThis as { gc?: unknown }).gc === 'function';
  const heap: HeapPoint[] = [];
  let memPump: Pump | null = null;
  const memRun = runPatient({
    ...flexOpts,
    years: MEMORY_YEARS,
    recordBoluses: false,
    checkpointYears: MEMORY_CHECKPOINTS,
    onCheckpoint: (years) => {
      heap.push({ years, heapUsedBytes: heapAfterGc(), eventLogSize: memPump?.events.size ?? -1, therapyLogSize: memPump?.therapyLog.size ?? -1 });
    },
  });
  memPump = memRun.last;
  check(memRun.granted === memRun.requested, 'memory run: boluses refused');
  const heapAt = (y: number) => heap.find((h) => h.years === y)?.heapUsedBytes ?? Number.NaN;
  for (const h of heap) {
    results.push(result({ name: `memory: heap used after GC at ${h.years} y (flex)`, value: h.heapUsedBytes / 2 ** 20, unit: 'MiB', details: { bytes: h.heapUsedBytes } }));
  }
  results.push(
    result({
      name: `memory: heap@${MEMORY_YEARS}y / heap@1y`,
      value: heapAt(MEMORY_YEARS) / heapAt(1),
      unit: 'x',
      target: { op: '<=', value: TARGET_HEAP_RATIO },
      details: {
        gcAvailable,
        pumpReplacements: memRun.replacements,
        refills: memRun.refills,
        bolusesGranted: memRun.granted,
        finalPumpEventLog: memRun.last.events.size,
        finalPumpTherapyLog: memRun.last.therapyLog.size,
        note: 'one patient, pumps replaced at the refill visit before projected ERI (about every 6.4 years)',
      },
    }),
  );

  const parameters = {
    years: YEARS,
    repetitions: REPS,
    bolusHoursLocal: BOLUS_HOURS,
    bolus: SPEED_BOLUS,
    refillEveryDays: REFILL_DAYS,
    reservoirMl: RESERVOIR_NL / NL_PER_ML,
    drug: `morphine ${MORPHINE_MCG_PER_ML} mcg/mL`,
    continuousRateNlPerDay: 500_000,
    flexBasal: flex13Basal(),
    naiveStandaloneDays: NAIVE_STANDALONE_DAYS,
    naivePolledDays: NAIVE_POLLED_DAYS,
    memoryYears: MEMORY_YEARS,
    memoryCheckpointsYears: MEMORY_CHECKPOINTS,
    gcAvailable,
    loadAverage1mAtStart: loadAtStart[0],
    loadAverage1mAtEnd: os.loadavg()[0],
    note: 'wall-clock figures; a 1-minute load average well above 1 at start means other processes shared the CPU and the figures are pessimistic',
  };
  const path = writeResults('pump-speed', results, parameters, performance.now() - started);
  printTable('pump-speed', results);
  if ((loadAtStart[0] ?? 0) > 1) console.log(`note: load average was ${loadAtStart[0]?.toFixed(2)} at start: other processes may have shared the CPU, speed figures are pessimistic`);
  console.log(`wrote ${path}`);
}

main();
