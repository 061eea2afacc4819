/**
 * Running a scenario file: read, validate, simulate. Shared by `thecal simulate` and `thecal demo`.
 * Problems with the file itself (missing, not JSON, invalid) are exit code 2 with the path and why;
 * nothing is run unless the whole scenario is valid.
 */
import { readFileSync } from 'node:fs';
import { parseScenarioText, runScenario, type Report, type RunOptions, type Scenario } from '@thecal/sim';

export const EXIT_INVALID_INPUT = 2;
export const EXIT_FAILURE = 1;

export type ScenarioFileResult = { ok: true; scenario: Scenario } | { ok: false; exitCode: number; message: string };

export function loadScenarioFile(path: string): ScenarioFileResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'it is a directory' : err.message;
    return { ok: false, exitCode: EXIT_INVALID_INPUT, message: `cannot read scenario ${path}: ${why}` };
  }
  const parsed = parseScenarioText(text);
  if (!parsed.ok) {
    const lines = parsed.issues.map((i) => `  ${i.path}: ${i.message}`);
    const notJson = parsed.issues.length === 1 && parsed.issues[0]?.path === '(file)';
    const head = notJson ? `${path} is not a valid scenario (${parsed.issues[0]?.message ?? ''})` : `${path} is not a valid scenario (${parsed.issues.length} problem${parsed.issues.length === 1 ? '' : 's'}); nothing was run:`;
    return { ok: false, exitCode: EXIT_INVALID_INPUT, message: notJson ? head : [head, ...lines].join('\n') };
  }
  return { ok: true, scenario: parsed.scenario };
}

/** Read, validate and run a scenario file. */
export function runScenarioFile(path: string, options: RunOptions = {}): { ok: true; report: Report; scenario: Scenario } | { ok: false; exitCode: number; message: string } {
  const loaded = loadScenarioFile(path);
  if (!loaded.ok) return loaded;
  return { ok: true, scenario: loaded.scenario, report: runScenario(loaded.scenario, options) };
}
