import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { reportToJson } from './report-json.ts';
import { ReportSchema } from './report-schema.ts';
import { simulateText } from './simulate.ts';
import { formatSummary } from './summary.ts';
import { SCHEMA_FILES } from './write-schemas.ts';

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));
const read = (name: string) => readFileSync(`${EXAMPLES}${name}`, 'utf8');

const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
const validScenario = ajv.compile(JSON.parse(readFileSync(SCHEMA_FILES.scenario, 'utf8')) as object);
const validReport = ajv.compile(JSON.parse(readFileSync(SCHEMA_FILES.report, 'utf8')) as object);

function simulate(name: string) {
  const outcome = simulateText(read(name));
  assert.ok(outcome.ok, JSON.stringify(outcome));
  return { report: outcome.report, json: reportToJson(outcome.report) };
}

describe('examples', () => {
  for (const name of ['morphine-flex-ptm.json', 'baclofen-continuous.json']) {
    it(`${name} validates against the committed scenario schema, runs, and its report against the report schema`, () => {
      assert.ok(validScenario(JSON.parse(read(name))), ajv.errorsText(validScenario.errors));
      const { report, json } = simulate(name);
      assert.ok(validReport(JSON.parse(json)), ajv.errorsText(validReport.errors));
      assert.ok(ReportSchema.safeParse(report).success);
      assert.equal(report.days.reduce((n, d) => n + d.deliveredNl, 0), report.totals.deliveredNl);
      assert.match(formatSummary(report), /^Thecal simulation: /);
    });

    it(`${name} gives a byte-identical report every time`, () => {
      assert.equal(simulate(name).json, simulate(name).json);
    });
  }

  it('morphine-flex-ptm.json shows what it promises', () => {
    const { report } = simulate('morphine-flex-ptm.json');
    const denied = report.totals.patientBoluses.deniedByReason;
    assert.ok((denied['lockout'] ?? 0) > 0 && (denied['count-24h-reached'] ?? 0) > 0, JSON.stringify(denied));
    const mri = report.commands.find((c) => c.command.type === 'magnetic-field');
    const delay = Number(mri?.simulated?.['recoveryDelayMs']);
    assert.ok(delay >= 2 * 3_600_000 && delay <= 24 * 3_600_000);
    assert.ok(report.commands.some((c) => c.eventType === 'refill' && c.simulated?.['withdrawn'] === 'expected'));
    assert.ok(report.logs.events.some((e) => e.type === 'utc-offset-changed'));
    assert.equal(report.commands.filter((c) => !c.ok && c.command.type !== 'patient-bolus').length, 0, 'every programming session is accepted');
    assert.ok(report.stats.simulatedDays >= 59);
  });

  it('baclofen-continuous.json changes concentration behind a bridge bolus and gives a clinician bolus', () => {
    const { report } = simulate('baclofen-continuous.json');
    const kinds = report.boluses.map((b) => `${b.kind}:${b.completed}`);
    assert.deepEqual(kinds, ['priming:true', 'clinician:true', 'bridge:true']);
    assert.equal(report.final.status.reservoir.concentrationMcgPerMl, 2000);
    assert.equal(report.totals.commands.refused, 0);
  });

  it('ten-years-flex.json runs ten years in seconds and stays consistent', () => {
    const text = read('ten-years-flex.json');
    assert.ok(validScenario(JSON.parse(text)), ajv.errorsText(validScenario.errors));
    const started = performance.now();
    const { report, json } = simulate('ten-years-flex.json');
    const seconds = (performance.now() - started) / 1000;
    assert.ok(seconds < 20, `took ${seconds.toFixed(1)} s`);
    assert.ok(report.stats.simulatedDays >= 3652);
    assert.equal(report.scenario.patientBolusRequests, report.totals.patientBoluses.requested);
    assert.equal(report.days.reduce((n, d) => n + d.deliveredNl, 0), report.totals.deliveredNl);
    assert.ok(report.logs.events.some((e) => e.type === 'end-of-service'), 'a pump battery cannot last ten years');
    assert.ok(validReport(JSON.parse(json)), ajv.errorsText(validReport.errors));
  });

  it('invalid-scenario.json is refused with the path and reason of each problem, and nothing runs', () => {
    const outcome = simulateText(read('invalid-scenario.json'));
    assert.equal(outcome.ok, false);
    const issues = outcome.ok ? [] : outcome.issues;
    const paths = issues.map((i) => i.path);
    for (const path of ['events[0].refill.filledNl', 'events[0].prescription.basal.rateNlPerDay', 'events[0].prescription.patientBolus.lockoutMs', 'events[1].at', 'events[3].type', 'events[4].recoveryDelayMs[1]']) {
      assert.ok(paths.includes(path), `missing ${path} in ${paths.join(', ')}`);
    }
    assert.equal(validScenario(JSON.parse(read('invalid-scenario.json'))), false, 'the JSON Schema refuses it too');
  });

  it('the worked example in docs/scenarios.md gives what the text says', () => {
    const doc = readFileSync(fileURLToPath(new URL('../../../docs/scenarios.md', import.meta.url)), 'utf8');
    const json = doc.split('## Worked example')[1]?.split('```json')[1]?.split('```')[0] ?? '';
    const outcome = simulateText(json);
    assert.ok(outcome.ok, JSON.stringify(outcome));
    const r = outcome.report;
    assert.deepEqual(
      r.commands.filter((c) => c.command.type === 'patient-bolus').map((c) => c.reason ?? 'delivered'),
      ['delivered', 'lockout', 'lockout', 'delivered'],
    );
    const dst = r.days.find((d) => d.localDate === '2026-03-29');
    assert.ok(dst !== undefined && Math.abs(dst.deliveredNl - (500_000 * 23) / 24) <= 250, String(dst?.deliveredNl));
    assert.deepEqual(r.totals.patientBoluses, { requested: 4, delivered: 2, denied: 2, deniedByReason: { lockout: 2 } });
  });
});
