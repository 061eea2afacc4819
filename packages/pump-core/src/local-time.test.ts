import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mod, weekPositionMs, MS_PER_WEEK } from './local-time.ts';
import { MS_PER_DAY } from './units.ts';

/** The mathematical modulo, computed with BigInt so no floating-point step can round. */
function referenceMod(a: number, b: number): number {
  const r = BigInt(a) % BigInt(b);
  return Number(r < 0n ? r + BigInt(b) : r);
}

describe('mod (no floating-point remainder)', () => {
  it('equals the exact modulo for whole numbers with |a| + b below 2^53 (any pump time is below 2^43)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 52), max: 2 ** 52 }), fc.integer({ min: 1, max: 2 ** 40 }), (a, b) => {
        assert.equal(mod(a, b), referenceMod(a, b));
      }),
      { numRuns: 5_000 },
    );
  });

  it('is exact next to multiples of the week, where a rounded quotient is off by one', () => {
    fc.assert(
      fc.property(fc.integer({ min: -15_000_000, max: 15_000_000 }), fc.integer({ min: -3, max: 3 }), (weeks, delta) => {
        const a = weeks * MS_PER_WEEK + delta;
        assert.equal(mod(a, MS_PER_WEEK), referenceMod(a, MS_PER_WEEK));
        assert.equal(mod(a, MS_PER_DAY), referenceMod(a, MS_PER_DAY));
      }),
      { numRuns: 5_000 },
    );
  });

  it('keeps week positions within the week', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 52), max: 2 ** 52 }), (local) => {
        const p = weekPositionMs(local);
        assert.ok(p >= 0 && p < MS_PER_WEEK && Number.isInteger(p), `position ${p} of ${local}`);
      }),
    );
  });
});
