import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { wholeNumberOption } from './options.ts';

const bin = fileURLToPath(new URL('../bin/thecal.mjs', import.meta.url));

describe('whole-number options', () => {
  it('accepts the range and refuses everything else with the option name and the value', () => {
    assert.equal(wholeNumberOption('--port', '0', 0, 65_535), 0);
    assert.equal(wholeNumberOption('--port', '65535', 0, 65_535), 65_535);
    for (const bad of ['', ' ', '-1', '65536', '1.5', 'abc', '1e3x', 'NaN']) {
      assert.throws(() => wholeNumberOption('--port', bad, 0, 65_535), new RegExp(`--port must be a whole number from 0 to 65535, got "${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`));
    }
  });

  it('a bad seed for the demo clinic is refused before anything is written', () => {
    const r = spawnSync(process.execPath, [bin, 'clinic', 'seed', '--data', '/nonexistent/never-created', '--seed', 'abc'], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--seed must be a whole number/);
  });
});
