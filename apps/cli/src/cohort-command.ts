/**
 * `thecal cohort --patients N --years Y [--seed S] [--workers W] [--out DIR]`: simulate a cohort of
 * virtual patients on the pump core with the patient model on, across worker threads; write
 * cohort.json and cohort.html (self-contained, inline SVG charts) to DIR.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import { runCohort, type CohortReport } from './cohort-run.ts';
import { cohortHtml } from './cohort-html.ts';

export interface CohortCliOptions {
  patients: number;
  years: number;
  seed: number;
  workers: number;
  out: string;
}

export const COHORT_LIMITS = { maxPatients: 1_000_000, maxYears: 50, maxPatientYears: 10_000_000, maxWorkers: 256 } as const;

/** Checks the raw options; throws an Error saying which option is wrong and why. */
export function parseCohortOptions(raw: { patients?: string; years?: string; seed?: string; workers?: string; out?: string }): CohortCliOptions {
  if (raw.patients === undefined) throw new Error('--patients is required: how many virtual patients to simulate');
  if (raw.years === undefined) throw new Error('--years is required: how many years to simulate each patient');
  const whole = (name: string, text: string, min: number, max: number) => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isSafeInteger(n) || n < min || n > max) throw new Error(`${name} must be a whole number from ${min} to ${max}, got "${text}"`);
    return n;
  };
  const patients = whole('--patients', raw.patients, 1, COHORT_LIMITS.maxPatients);
  const years = Number(raw.years);
  if (raw.years.trim() === '' || !Number.isFinite(years) || years <= 0 || years > COHORT_LIMITS.maxYears || Math.round(years * 365) < 1) {
    throw new Error(`--years must be a number of years above 0 and at most ${COHORT_LIMITS.maxYears} (at least one day), got "${raw.years}"`);
  }
  if (patients * years > COHORT_LIMITS.maxPatientYears) throw new Error(`--patients x --years is ${patients * years} patient-years; at most ${COHORT_LIMITS.maxPatientYears} per run`);
  const seed = raw.seed === undefined ? 1 : whole('--seed', raw.seed, 0, 0xffff_ffff);
  const workers = raw.workers === undefined ? availableParallelism() : whole('--workers', raw.workers, 1, COHORT_LIMITS.maxWorkers);
  const out = raw.out ?? 'cohort-report';
  if (out.trim() === '') throw new Error('--out must name a directory');
  return { patients, years, seed, workers, out };
}

export function cohortSummaryText(r: CohortReport): string {
  const w = r.workload;
  const a = r.adverseEvents;
  const alarms = Object.entries(r.alarms).sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  return [
    `${r.parameters.patients} patients x ${r.parameters.years} years (seed ${r.parameters.seed}): ${r.parameters.patientYears} patient-years`,
    `refills ${w.refills} (${w.refillsPerMonth.toFixed(1)} per month), pump replacements ${w.replacements} (${w.replacementsAfterEri} after ERI/EOS), missed visits ${w.missedVisits}, catheter occlusions ${w.catheterOcclusions}`,
    `alarms: ${alarms}`,
    `adverse events: ${a.withdrawalEpisodes} withdrawal episodes (${a.patientsWithWithdrawal} patients), ${a.overdoseEpisodes} overdose episodes (${a.patientsWithOverdose} patients)`,
  ].join('\n');
}

export function registerCohort(program: Command, setExit: (code: number) => void): void {
  program
    .command('cohort')
    .description('simulate N virtual patients for Y years across all cores (pump core + patient model): clinic workload, alarms, adverse events, as JSON and an HTML report')
    .option('--patients <n>', 'number of virtual patients (required)')
    .option('--years <y>', 'years per patient, may be fractional (required)')
    .option('--seed <s>', 'seed: the same seed gives the same cohort, whatever the number of workers', '1')
    .option('--workers <w>', 'worker threads (default: all cores)')
    .option('--out <dir>', 'directory for cohort.json and cohort.html', 'cohort-report')
    .option('--no-progress', 'no progress bar')
    .action(async (raw: { patients?: string; years?: string; seed?: string; workers?: string; out?: string; progress: boolean }) => {
      let opts: CohortCliOptions;
      try {
        opts = parseCohortOptions(raw);
      } catch (e) {
        process.stderr.write(`thecal cohort: ${e instanceof Error ? e.message : String(e)}\n`);
        setExit(2);
        return;
      }
      const bar = raw.progress && process.stderr.isTTY ? new SingleBar({ format: 'cohort [{bar}] {percentage}% | {value}/{total} patients | {eta_formatted} left', stream: process.stderr }, Presets.shades_classic) : null;
      bar?.start(opts.patients, 0);
      const started = performance.now();
      try {
        const { report } = await runCohort({ ...opts, onProgress: (done) => bar?.update(done) });
        bar?.stop();
        const wallSeconds = (performance.now() - started) / 1000;
        const dir = resolve(opts.out);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'cohort.json'), JSON.stringify(report, null, 2) + '\n');
        writeFileSync(join(dir, 'cohort.html'), cohortHtml(report, { wallSeconds, workers: opts.workers }));
        process.stdout.write(`${cohortSummaryText(report)}\n${(report.parameters.patientYears / wallSeconds).toFixed(1)} patient-years/s on ${opts.workers} worker(s), ${wallSeconds.toFixed(1)} s\nwrote ${join(dir, 'cohort.json')} and ${join(dir, 'cohort.html')}\n`);
      } catch (e) {
        bar?.stop();
        process.stderr.write(`thecal cohort: ${e instanceof Error ? e.message : String(e)}\n`);
        setExit(1);
      }
    });
}
