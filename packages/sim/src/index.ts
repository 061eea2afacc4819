/**
 * @thecal/sim: validates scenario files ("thecal-scenario/1"), runs them through the pump core and
 * builds the report ("thecal-report/1"). See docs/scenarios.md.
 */
export { parseScenario, parseScenarioText, type ParseResult } from './validate.ts';
export { runScenario, type RunOptions } from './run.ts';
export { simulateText, type SimulateOutcome } from './simulate.ts';
export { formatSummary } from './summary.ts';
export { reportToJson } from './report-json.ts';
export { scenarioJsonSchema, reportJsonSchema } from './json-schemas.ts';
export type { Scenario, ScenarioEvent, ScenarioIssue } from './scenario.ts';
export { SCENARIO_FORMAT, ScenarioSchema, type ScenarioInput } from './scenario-schema.ts';
export { REPORT_FORMAT, ReportSchema, type Report } from './report-schema.ts';
export { toCoreUnits, VOLUME, RATE, AMOUNT, DAILY_AMOUNT, CONCENTRATION, type Dimension } from './quantities.ts';
export { parseDuration, parseInstant, parseTimeRef, parseUtcOffset } from './time-syntax.ts';
