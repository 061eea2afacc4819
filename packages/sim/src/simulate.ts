/** One call from scenario text to report: what the CLI, the demo and the tests use. */
import { runScenario, type RunOptions } from './run.ts';
import type { Report } from './report-schema.ts';
import type { ScenarioIssue } from './scenario.ts';
import { parseScenarioText } from './validate.ts';

export type SimulateOutcome = { ok: true; report: Report } | { ok: false; issues: ScenarioIssue[] };

export function simulateText(text: string, options: RunOptions = {}): SimulateOutcome {
  const parsed = parseScenarioText(text);
  if (!parsed.ok) return parsed;
  return { ok: true, report: runScenario(parsed.scenario, options) };
}
