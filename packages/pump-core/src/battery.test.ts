import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { quiescentUj, quiescentUjAtMost } from './battery.ts';
import { MS_PER_DAY } from './units.ts';

describe('battery bound', () => {
  it('quiescentUjAtMost is never below the exact quiescent draw, and within 2 µJ of it', () => {
    const check = (ms: number) => {
      const exact = quiescentUj(ms);
      const bound = quiescentUjAtMost(ms);
      assert.ok(bound >= exact, `${ms} ms: bound ${bound} < exact ${exact}`);
      assert.ok(bound - exact <= 2, `${ms} ms: bound ${bound} too loose for ${exact}`);
    };
    fc.assert(fc.property(fc.integer({ min: 0, max: 200 * 365 * MS_PER_DAY }), check), { numRuns: 20_000 });
    for (let d = 0; d < 100 * 366; d += 7) for (const r of [0, 1, MS_PER_DAY - 1]) check(d * MS_PER_DAY + r);
  });
});
