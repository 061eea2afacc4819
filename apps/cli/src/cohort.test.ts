import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCohort } from './cohort-run.ts';
import { parseCohortOptions } from './cohort-command.ts';
import { cohortHtml } from './cohort-html.ts';
import { simulatePatient } from './cohort-sim.ts';
import { main } from './main.ts';

describe('thecal cohort', () => {
  it('gives the same report with 1 and 2 workers for the same seed', async () => {
    const a = await runCohort({ patients: 6, years: 1, seed: 99, workers: 1 });
    const b = await runCohort({ patients: 6, years: 1, seed: 99, workers: 2 });
    assert.deepEqual(b.report, a.report);
    assert.deepEqual(b.outcomes, a.outcomes);
    const c = await runCohort({ patients: 6, years: 1, seed: 100, workers: 1 });
    assert.notDeepEqual(c.outcomes, a.outcomes, 'another seed gives another cohort');
  });

  it('counts agree: refills with the pumps’ refill events, months with totals, patients with the mix', async () => {
    const { report, outcomes } = await runCohort({ patients: 10, years: 3, seed: 5, workers: 2 });
    assert.equal(report.consistency.pumpRefillEvents, report.consistency.refillsPlusImplants);
    const w = report.workload;
    assert.equal(w.refillsByMonth.reduce((s, n) => s + n, 0), w.refills);
    assert.equal(w.replacementsByMonth.reduce((s, n) => s + n, 0), w.replacements);
    assert.equal(Object.values(report.mix.byDrug).reduce((s, n) => s + n, 0), 10);
    assert.equal(report.parameters.patientYears, 30);
    assert.equal(w.refills, outcomes.reduce((s, o) => s + o.refills, 0));
    const days = Object.values(report.adverseEvents.patientDaysByCondition).reduce((s, n) => s + n, 0);
    assert.ok(Math.abs(days - 10 * 3 * 365) < 0.1, `patient-days ${days}`);
    // Every patient was refilled on time or alarmed: the low-reservoir alarm count bounds the empties.
    assert.ok((report.alarms['reservoir-empty'] ?? 0) <= (report.alarms['reservoir-low'] ?? 0));
  });

  it('a long enough run replaces pumps after ERI, and withdrawal comes only where something went wrong', () => {
    let replaced = 0;
    let missed = 0;
    for (let i = 0; i < 6; i++) {
      const o = simulatePatient(3, i, 8); // 8 years outlive a battery
      replaced += o.replacements;
      missed += o.missedVisits;
      assert.equal(o.pumpRefillEvents, o.refills + o.implants);
      assert.equal(o.implants, o.replacements + 1);
      const mishaps = o.missedVisits + o.catheterOcclusions + (o.alarms['reservoir-empty'] ?? 0) + o.endOfServiceReached;
      if (o.withdrawalEpisodes > 0) assert.ok(mishaps > 0, `patient ${o.index}: withdrawal with nothing missed or broken`);
    }
    assert.ok(replaced >= 1, 'no pump replaced in 48 patient-years');
    assert.ok(missed >= 1, 'no visit missed in 48 patient-years at 3 % of visits');
  });

  it('refuses bad options with a clear message', () => {
    assert.throws(() => parseCohortOptions({ years: '1' }), /--patients is required/);
    assert.throws(() => parseCohortOptions({ patients: '10' }), /--years is required/);
    assert.throws(() => parseCohortOptions({ patients: '0', years: '1' }), /--patients must be a whole number from 1 to 1000000, got "0"/);
    assert.throws(() => parseCohortOptions({ patients: '2.5', years: '1' }), /--patients must be a whole number/);
    assert.throws(() => parseCohortOptions({ patients: '10', years: '-1' }), /--years must be a number of years above 0/);
    assert.throws(() => parseCohortOptions({ patients: '10', years: 'ten' }), /--years must be a number of years above 0/);
    assert.throws(() => parseCohortOptions({ patients: '10', years: '1', workers: '0' }), /--workers must be a whole number from 1 to 256/);
    assert.throws(() => parseCohortOptions({ patients: '10', years: '1', seed: '-3' }), /--seed must be a whole number/);
    assert.throws(() => parseCohortOptions({ patients: '1000000', years: '50' }), /patient-years; at most/);
    const ok = parseCohortOptions({ patients: '10', years: '0.5', seed: '7', workers: '2', out: 'x' });
    assert.deepEqual(ok, { patients: 10, years: 0.5, seed: 7, workers: 2, out: 'x' });
  });

  it('the command exits 2 on bad options and writes JSON and self-contained HTML on good ones', async () => {
    const err = process.stderr.write;
    let said = '';
    process.stderr.write = ((s: string) => ((said += s), true)) as typeof process.stderr.write;
    try {
      assert.equal(await main(['node', 'thecal', 'cohort', '--patients', 'x', '--years', '1']), 2);
    } finally {
      process.stderr.write = err;
    }
    assert.match(said, /--patients must be a whole number/);
    const dir = mkdtempSync(join(tmpdir(), 'thecal-cohort-'));
    try {
      // (stdout is left alone: the test runner reports through it.)
      const code = await main(['node', 'thecal', 'cohort', '--patients', '3', '--years', '0.5', '--workers', '1', '--seed', '4', '--no-progress', '--out', dir]);
      assert.equal(code, 0);
      const json = JSON.parse(readFileSync(join(dir, 'cohort.json'), 'utf8'));
      assert.equal(json.format, 'thecal-cohort/1');
      assert.equal(json.parameters.patients, 3);
      const html = readFileSync(join(dir, 'cohort.html'), 'utf8');
      assert.match(html, /<svg /);
      assert.doesNotMatch(html, /<script|<link|src="http|href="http/, 'the report loads nothing from elsewhere');
      assert.equal(html, cohortHtml(json, { wallSeconds: Number(/, ([\d.]+) s\. Patient model on/.exec(html)?.[1]), workers: 1 }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
