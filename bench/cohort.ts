/**
 * Cohort simulation speed (issue 7): virtual patient-years per second with the patient model on,
 * with 1 worker and with all cores (os.availableParallelism()), the scaling, the patient model's
 * cost next to the pump's (same clinic, body switched off), and a real 10,000 patient-year run
 * (1,000 patients x 10 years) against the target of 60 s. Set THECAL_BENCH_COHORT_FULL=0 to skip
 * the full run.
 *
 * The bundle is its own worker: a worker thread started on this file runs the cohort worker and
 * nothing else (runCohortWorkerIfAsked), so the same code path works bundled and through tsx.
 */
import os from 'node:os';
import { runCohort, runCohortWorkerIfAsked } from '../apps/cli/src/cohort-run.ts';
import { simulatePatient } from '../apps/cli/src/cohort-sim.ts';
import { check, printTable, result, ratioResult, writeResults, type BenchResult } from './lib/results.ts';

const SEED = 2026;
// Big enough that worker start-up and JIT warm-up (per worker, per run) do not dominate.
const SMALL = { patients: 100, years: 10 };
const FULL = { patients: 1_000, years: 10 };
const TARGET_SECONDS = 60;
const COST_PATIENTS = 24;
const COST_YEARS = 5;

async function timed(patients: number, years: number, workers: number): Promise<{ seconds: number; patientYearsPerS: number; refills: number; consistent: boolean }> {
  const t = performance.now();
  const { report } = await runCohort({ patients, years, seed: SEED, workers, workerUrl: new URL(import.meta.url) });
  const seconds = (performance.now() - t) / 1000;
  return { seconds, patientYearsPerS: (patients * years) / seconds, refills: report.workload.refills, consistent: report.consistency.refillsPlusImplants === report.consistency.pumpRefillEvents };
}

function costSplit(): { withBodyMs: number; withoutBodyMs: number; patientPieces: number; pumpSegments: number } {
  // Warm-up both ways, then both ways on the same patients, in this thread.
  for (let i = 0; i < 10; i++) {
    simulatePatient(SEED, 1000 + i, 2);
    simulatePatient(SEED, 1000 + i, 2, { patientModel: false });
  }
  let withBodyMs = 0;
  let withoutBodyMs = 0;
  let patientPieces = 0;
  let pumpSegments = 0;
  for (let i = 0; i < COST_PATIENTS; i++) {
    let t = performance.now();
    const o = simulatePatient(SEED, i, COST_YEARS, { patientModel: false });
    withoutBodyMs += performance.now() - t;
    t = performance.now();
    const b = simulatePatient(SEED, i, COST_YEARS);
    withBodyMs += performance.now() - t;
    patientPieces += b.patientPieces;
    pumpSegments += o.pumpSegments;
  }
  return { withBodyMs, withoutBodyMs, patientPieces, pumpSegments };
}

async function main(): Promise<void> {
  const started = performance.now();
  const cores = os.availableParallelism();
  const load = os.loadavg()[0] ?? 0;
  const results: BenchResult[] = [];

  const cost = costSplit();
  const pumpYears = COST_PATIENTS * COST_YEARS;
  const pumpOnlyMsPerYear = cost.withoutBodyMs / pumpYears;
  const bodyMsPerYear = Math.max(0, cost.withBodyMs - cost.withoutBodyMs) / pumpYears;

  await timed(4, 1, 1); // warm the worker path
  const one = await timed(SMALL.patients, SMALL.years, 1);
  const all = await timed(SMALL.patients, SMALL.years, cores);
  check(one.consistent && all.consistent, 'refills in the cohort report do not match the pumps’ refill events');
  check(one.refills === all.refills, `1 worker and ${cores} workers disagree on refills: ${one.refills} vs ${all.refills}`);

  results.push(
    result({ name: 'cohort speed, 1 worker (patient model on)', value: one.patientYearsPerS, unit: 'patient-years/s', details: { ...SMALL, seconds: one.seconds } }),
    result({ name: `cohort speed, ${cores} workers (all cores)`, value: all.patientYearsPerS, unit: 'patient-years/s', details: { ...SMALL, seconds: all.seconds, workers: cores } }),
    ratioResult({
      name: `scaling 1 -> ${cores} workers`,
      value: all.patientYearsPerS,
      baseline: { name: 'cohort speed, 1 worker', value: one.patientYearsPerS, unit: 'patient-years/s' },
      target: null,
      details: { idealRatio: cores, note: 'the machine is shared; a load average above 1 at the start means the figure is pessimistic' },
    }),
    result({
      name: 'projected time for 10,000 patient-years on all cores (from the smaller run)',
      value: 10_000 / all.patientYearsPerS,
      unit: 's',
      target: { op: '<=', value: TARGET_SECONDS },
      details: { from: SMALL },
    }),
    result({
      name: 'patient model cost per patient-year',
      value: bodyMsPerYear,
      unit: 'ms',
      baseline: { name: 'pump core + clinic driver per patient-year (body off)', value: pumpOnlyMsPerYear, unit: 'ms' },
      target: { op: '<=', value: pumpOnlyMsPerYear },
      details: { patients: COST_PATIENTS, years: COST_YEARS, patientPiecesPerYear: cost.patientPieces / pumpYears, pumpSegmentsPerYear: cost.pumpSegments / pumpYears },
    }),
  );

  if (process.env['THECAL_BENCH_COHORT_FULL'] !== '0') {
    const full = await timed(FULL.patients, FULL.years, cores);
    check(full.consistent, 'full run: refills do not match the pumps’ refill events');
    results.push(
      result({
        name: `real run: 10,000 patient-years (${FULL.patients} x ${FULL.years} y) on ${cores} workers`,
        value: full.seconds,
        unit: 's',
        target: { op: '<=', value: TARGET_SECONDS },
        details: { ...FULL, patientYearsPerS: full.patientYearsPerS, refills: full.refills },
      }),
    );
  }

  printTable('cohort', results);
  writeResults('cohort', results, { seed: SEED, small: SMALL, full: FULL, cores, loadAverage1mAtStart: load }, performance.now() - started);
}

if (!(await runCohortWorkerIfAsked())) await main();
