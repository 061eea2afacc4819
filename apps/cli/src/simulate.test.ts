import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'apps/cli/bin/thecal.mjs');

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real command as a child process, exactly as a user would. */
function thecal(...args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('thecal simulate, end to end', { concurrency: true }, () => {
  it('--json prints the report as JSON on stdout and nothing on stderr', async () => {
    const r = await thecal('simulate', 'examples/morphine-flex-ptm.json', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const report = JSON.parse(r.stdout) as { format: string; totals: { deliveredNl: number }; days: { deliveredNl: number }[] };
    assert.equal(report.format, 'thecal-report/1');
    assert.equal(
      report.days.reduce((n, d) => n + d.deliveredNl, 0),
      report.totals.deliveredNl,
    );
  });

  it('--out writes the same JSON report to a file, and the summary goes to stdout', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'thecal-')), 'report.json');
    const [withOut, withJson] = await Promise.all([thecal('simulate', 'examples/baclofen-continuous.json', '--out', out), thecal('simulate', 'examples/baclofen-continuous.json', '--json')]);
    assert.equal(withOut.code, 0, withOut.stderr);
    assert.equal(readFileSync(out, 'utf8'), withJson.stdout);
    assert.match(withOut.stdout, /^Thecal simulation: Baclofen/);
    assert.match(withOut.stdout, /Per month \(local days\)/);
    assert.match(withOut.stdout, /bridge 1 \(0\.33 mL of 0\.33 mL\)/);
    assert.match(withOut.stdout, /Forecast\n {2}low reservoir/);
  });

  it('an invalid scenario exits with code 2, names each bad field on stderr, and runs nothing', async () => {
    const r = await thecal('simulate', 'examples/invalid-scenario.json', '--json');
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /is not a valid scenario \(6 problems\); nothing was run/);
    assert.match(r.stderr, /events\[0\]\.refill\.filledNl: "0\.0000001 mL" is 0\.1 nL, not a whole number of nL/);
    assert.match(r.stderr, /events\[0\]\.prescription\.basal\.rateNlPerDay: expected a whole number ≥ 48000 nL\/day/);
  });

  it('a missing file or a file that is not JSON exits with code 2 and says why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'thecal-'));
    const notJson = join(dir, 'broken.json');
    writeFileSync(notJson, '{"format": "thecal-scenario/1",');
    const [missing, broken] = await Promise.all([thecal('simulate', join(dir, 'nope.json')), thecal('simulate', notJson)]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read scenario .*nope\.json: no such file/);
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /broken\.json is not a valid scenario \(not valid JSON: /);
  });

  it('thecal demo runs the worked example and prints its summary', async () => {
    const r = await thecal('demo');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Thecal simulation: Morphine 10 mg\/mL/);
    assert.match(r.stdout, /Per local day/);
    assert.match(r.stdout, /lockout \d+/);
  });
});
