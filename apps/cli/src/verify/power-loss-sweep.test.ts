import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { powerLossSweep } from './power-loss-sweep.ts';

describe('power-loss sweep (verification campaign)', () => {
  it('random sessions cut at every write index keep the old or the new settings and every committed record', () => {
    const r = powerLossSweep(1, 11);
    assert.deepEqual(r.failures, []);
    assert.equal(r.sessions, 1);
    // A session writes several settings copies of kilobytes each: thousands of cut points.
    assert.ok(r.cuts > 5_000, `only ${r.cuts} cuts`);
  });
});
