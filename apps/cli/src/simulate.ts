/** `thecal simulate SCENARIO.json [--json] [--out FILE]`: run a scenario and print its report. */
import { writeFileSync } from 'node:fs';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { formatSummary, reportToJson, runScenario, type RunOptions } from '@thecal/sim';
import { EXIT_FAILURE, loadScenarioFile } from './scenario-file.ts';

export { runScenarioFile, loadScenarioFile } from './scenario-file.ts';

/** Runs longer than this (simulated) get a progress bar on an interactive terminal. */
const PROGRESS_BAR_MIN_DAYS = 365;
const MS_PER_DAY = 86_400_000;

export interface SimulateOptions {
  json?: boolean;
  out?: string;
}

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stderrIsTty: boolean;
}

const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stderrIsTty: process.stderr.isTTY === true,
};

export function registerSimulate(program: Command, setExit: (code: number) => void): void {
  program
    .command('simulate')
    .description('run a scenario (thecal-scenario/1) through the pump core and print the report')
    .argument('<scenario>', 'scenario file, JSON')
    .option('--json', 'print the JSON report (thecal-report/1) on stdout instead of the summary')
    .option('--out <file>', 'write the JSON report to this file')
    .action((file: string, opts: SimulateOptions) => {
      setExit(simulateCommand(file, opts));
    });
}

/** The whole command, returning its exit code; `io` is replaceable for tests. */
export function simulateCommand(file: string, opts: SimulateOptions, io: Io = processIo): number {
  const loaded = loadScenarioFile(file);
  if (!loaded.ok) {
    io.stderr(`thecal simulate: ${loaded.message}\n`);
    return loaded.exitCode;
  }
  const spanDays = (loaded.scenario.untilMs - loaded.scenario.startMs) / MS_PER_DAY;
  const bar = opts.json !== true && io.stderrIsTty && spanDays >= PROGRESS_BAR_MIN_DAYS ? progressBar() : null;
  let report;
  try {
    report = runScenario(loaded.scenario, bar === null ? {} : bar.options);
  } catch (e) {
    bar?.stop();
    io.stderr(`thecal simulate: the simulation failed: ${(e as Error).stack ?? String(e)}\n`);
    return EXIT_FAILURE;
  }
  bar?.stop();
  const json = reportToJson(report);
  if (opts.out !== undefined) {
    try {
      writeFileSync(opts.out, json);
    } catch (e) {
      io.stderr(`thecal simulate: cannot write ${opts.out}: ${(e as Error).message}\n`);
      return EXIT_FAILURE;
    }
  }
  io.stdout(opts.json === true ? json : formatSummary(report));
  return 0;
}

function progressBar(): { options: RunOptions; stop: () => void } {
  const bar = new SingleBar({ stream: process.stderr, format: 'simulating [{bar}] {percentage}% | day {value} of {total}', hideCursor: true, clearOnComplete: true });
  let started = false;
  return {
    options: {
      onProgress: (simulatedMs, totalMs) => {
        const total = Math.ceil(totalMs / MS_PER_DAY);
        if (!started) {
          bar.start(total, 0);
          started = true;
        }
        bar.update(Math.floor(simulatedMs / MS_PER_DAY));
      },
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
