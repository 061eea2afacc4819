import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { parseTapSummary, reportMarkdown, traceability, PROFILES, type VerificationReport } from './campaign.ts';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));

describe('verification campaign report', () => {
  it('reads the totals and failed test names from node:test TAP output', () => {
    const tap = ['TAP version 13', '# Subtest: group', '    not ok 2 - the max dose holds', 'ok 1 - group', '# tests 7', '# suites 2', '# pass 6', '# fail 1'].join('\n');
    assert.deepEqual(parseTapSummary(tap), { tests: 7, pass: 6, fail: 1, failedNames: ['the max dose holds'] });
  });

  it('renders counts, failures and one traceability row per requirement, marking a missing test', () => {
    const trace = traceability(repo, new Set(['packages/pump-core/src/pump.property.test.ts']));
    const first = trace[0];
    assert.ok(first !== undefined);
    const broken = { ...first, tests: [...first.tests, { file: 'nowhere.test.ts', test: 'gone', exists: false, ranInCampaign: false }] };
    const report: VerificationReport = {
      format: 'thecal-verification/1',
      profile: PROFILES.quick,
      startedAt: '2026-01-01T00:00:00.000Z',
      durationMs: 61_000,
      passed: false,
      stages: [{ stage: 'fuzz', description: 'frames', cases: 100_000, unit: 'frames', failed: 1, failures: ['FUZZ FAILURE: seed 3'], findings: ['leak is detected by nothing'], durationMs: 5_000, detail: {} }],
      traceability: [broken, ...trace.slice(1)],
    };
    const md = reportMarkdown(report);
    assert.match(md, /\*\*FAILED\*\*/);
    assert.match(md, /\| fuzz \| frames \| 100,000 frames \| 1 \| 5\.0 s \|/);
    assert.match(md, /- FUZZ FAILURE: seed 3/);
    assert.match(md, /## Findings[\s\S]*- fuzz: leak is detected by nothing/);
    assert.match(md, /\*\*MISSING\*\* `nowhere\.test\.ts`/);
    for (const t of trace) assert.match(md, new RegExp(`^\\| ${t.id} \\|`, 'm'));
    assert.ok(trace.every((t) => t.tests.every((x) => x.exists)), 'every mapped test exists');
    assert.ok(trace.some((t) => t.tests.some((x) => x.ranInCampaign)));
  });
});
