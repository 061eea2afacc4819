/**
 * Runs a cohort across worker threads and adds up what the patients' outcomes say. Patients are
 * handed out in small batches as workers become free; every outcome is keyed by its index and the
 * totals are added in index order, so the report is the same whatever the number of workers.
 */
import { Worker } from 'node:worker_threads';
import type { AlarmCode } from '@thecal/pump-core';
import { simulatePatient, type PatientOutcome } from './cohort-sim.ts';

export const COHORT_FORMAT = 'thecal-cohort/1';

export interface CohortOptions {
  patients: number;
  years: number;
  seed: number;
  workers: number;
  /** Called after each finished patient with how many are done. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Module a worker runs. Default: the tsx boot file beside this one (for `npx thecal cohort`);
   * a bundled program passes its own URL and calls `runCohortWorkerIfAsked()` first thing.
   */
  workerUrl?: URL;
}

export interface CohortReport {
  format: typeof COHORT_FORMAT;
  parameters: { patients: number; years: number; seed: number; patientYears: number };
  mix: { byDrug: Record<string, number>; byProgram: Record<string, number>; byReservoirMl: Record<string, number>; withPatientBolusApp: number };
  workload: {
    refills: number;
    refillsPerMonth: number;
    refillsByMonth: number[];
    replacements: number;
    replacementsAfterEri: number;
    replacementsByMonth: number[];
    endOfServiceReached: number;
    missedVisits: number;
    catheterOcclusions: number;
  };
  alarms: Partial<Record<AlarmCode, number>>;
  adverseEvents: {
    withdrawalEpisodes: number;
    overdoseEpisodes: number;
    patientsWithWithdrawal: number;
    patientsWithOverdose: number;
    signOnsets: Record<string, number>;
    patientDaysByCondition: Record<string, number>;
  };
  consistency: { refillsPlusImplants: number; pumpRefillEvents: number };
  cost: { pumpSegments: number; patientPieces: number };
}

export function summarize(outcomes: readonly PatientOutcome[], years: number, seed: number): CohortReport {
  const sorted = [...outcomes].sort((a, b) => a.index - b.index);
  const add = (rec: Record<string, number>, k: string, v = 1) => {
    rec[k] = (rec[k] ?? 0) + v;
  };
  const months = sorted[0]?.refillsByMonth.length ?? 0;
  const r: CohortReport = {
    format: COHORT_FORMAT,
    parameters: { patients: sorted.length, years, seed, patientYears: sorted.length * years },
    mix: { byDrug: {}, byProgram: {}, byReservoirMl: {}, withPatientBolusApp: 0 },
    workload: { refills: 0, refillsPerMonth: 0, refillsByMonth: new Array<number>(months).fill(0), replacements: 0, replacementsAfterEri: 0, replacementsByMonth: new Array<number>(months).fill(0), endOfServiceReached: 0, missedVisits: 0, catheterOcclusions: 0 },
    alarms: {},
    adverseEvents: { withdrawalEpisodes: 0, overdoseEpisodes: 0, patientsWithWithdrawal: 0, patientsWithOverdose: 0, signOnsets: {}, patientDaysByCondition: {} },
    consistency: { refillsPlusImplants: 0, pumpRefillEvents: 0 },
    cost: { pumpSegments: 0, patientPieces: 0 },
  };
  for (const o of sorted) {
    add(r.mix.byDrug, o.drugId);
    add(r.mix.byProgram, o.program);
    add(r.mix.byReservoirMl, String(o.reservoirMl));
    if (o.patientBolusApp) r.mix.withPatientBolusApp += 1;
    const w = r.workload;
    w.refills += o.refills;
    w.replacements += o.replacements;
    w.replacementsAfterEri += o.replacementsAfterEri;
    w.endOfServiceReached += o.endOfServiceReached;
    w.missedVisits += o.missedVisits;
    w.catheterOcclusions += o.catheterOcclusions;
    o.refillsByMonth.forEach((n, i) => (w.refillsByMonth[i] = (w.refillsByMonth[i] ?? 0) + n));
    o.replacementsByMonth.forEach((n, i) => (w.replacementsByMonth[i] = (w.replacementsByMonth[i] ?? 0) + n));
    for (const [code, n] of Object.entries(o.alarms)) add(r.alarms as Record<string, number>, code, n);
    const a = r.adverseEvents;
    a.withdrawalEpisodes += o.withdrawalEpisodes;
    a.overdoseEpisodes += o.overdoseEpisodes;
    if (o.withdrawalEpisodes > 0) a.patientsWithWithdrawal += 1;
    if (o.overdoseEpisodes > 0) a.patientsWithOverdose += 1;
    for (const [s, n] of Object.entries(o.signOnsets)) add(a.signOnsets, s, n);
    for (const [c, d] of Object.entries(o.daysByCondition)) add(a.patientDaysByCondition, c, d);
    r.consistency.refillsPlusImplants += o.refills + o.implants;
    r.consistency.pumpRefillEvents += o.pumpRefillEvents;
    r.cost.pumpSegments += o.pumpSegments;
    r.cost.patientPieces += o.patientPieces;
  }
  r.workload.refillsPerMonth = months > 0 ? r.workload.refills / ((years * 365) / 30.436875) : 0;
  for (const k of Object.keys(r.adverseEvents.patientDaysByCondition)) {
    r.adverseEvents.patientDaysByCondition[k] = Math.round((r.adverseEvents.patientDaysByCondition[k] ?? 0) * 100) / 100;
  }
  return r;
}

interface WorkerJob {
  thecalCohortWorker: true;
  seed: number;
  years: number;
}
type ToWorker = { indices: number[] } | { done: true };
type FromWorker = { outcome: PatientOutcome } | { ready: true } | { error: string };

const BATCH = 4;

export async function runCohort(o: CohortOptions): Promise<{ report: CohortReport; outcomes: PatientOutcome[] }> {
  const total = o.patients;
  const outcomes: PatientOutcome[] = [];
  let next = 0;
  let done = 0;
  const url = o.workerUrl ?? new URL('./cohort-worker-boot.mjs', import.meta.url);
  const workerCount = Math.max(1, Math.min(o.workers, total));
  await new Promise<void>((resolve, reject) => {
    const workers: Worker[] = [];
    let failed = false;
    let finished = 0;
    const fail = (e: Error) => {
      if (failed) return;
      failed = true;
      for (const w of workers) void w.terminate();
      reject(e);
    };
    for (let i = 0; i < workerCount; i++) {
      const job: WorkerJob = { thecalCohortWorker: true, seed: o.seed, years: o.years };
      const w = new Worker(url, { workerData: job });
      workers.push(w);
      let pending = 0;
      const feed = () => {
        if (next >= total) {
          if (pending === 0) w.postMessage({ done: true } satisfies ToWorker);
          return;
        }
        const indices: number[] = [];
        while (indices.length < BATCH && next < total) indices.push(next++);
        pending += indices.length;
        w.postMessage({ indices } satisfies ToWorker);
      };
      w.on('message', (m: FromWorker) => {
        if ('error' in m) return fail(new Error(`cohort worker: ${m.error}`));
        if ('ready' in m) return feed();
        outcomes.push(m.outcome);
        pending -= 1;
        done += 1;
        o.onProgress?.(done, total);
        if (pending === 0) feed();
      });
      w.on('error', (e) => fail(e instanceof Error ? e : new Error(String(e))));
      w.on('exit', (code) => {
        if (failed) return;
        if (code !== 0) return fail(new Error(`cohort worker exited with code ${code}`));
        finished += 1;
        if (finished === workerCount) resolve();
      });
    }
  });
  if (outcomes.length !== total) throw new Error(`cohort: ${outcomes.length} of ${total} patients came back`);
  outcomes.sort((a, b) => a.index - b.index);
  return { report: summarize(outcomes, o.years, o.seed), outcomes };
}

/** The worker side: simulates the patients it is sent until told it is done. */
export async function cohortWorkerMain(): Promise<void> {
  const { parentPort, workerData } = await import('node:worker_threads');
  if (parentPort === null) throw new Error('cohortWorkerMain must run in a worker thread');
  const job = workerData as WorkerJob;
  const port = parentPort;
  port.on('message', (m: ToWorker) => {
    if ('done' in m) {
      port.close();
      return;
    }
    try {
      for (const i of m.indices) port.postMessage({ outcome: simulatePatient(job.seed, i, job.years) } satisfies FromWorker);
    } catch (e) {
      port.postMessage({ error: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e) } satisfies FromWorker);
    }
  });
  port.postMessage({ ready: true } satisfies FromWorker);
}

/** For bundled programs that are their own worker: true (and the worker started) when this thread is a cohort worker. */
export async function runCohortWorkerIfAsked(): Promise<boolean> {
  const { isMainThread, workerData } = await import('node:worker_threads');
  if (isMainThread || (workerData as Partial<WorkerJob> | null)?.thecalCohortWorker !== true) return false;
  await cohortWorkerMain();
  return true;
}
