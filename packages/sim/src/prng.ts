/**
 * The simulator's only source of randomness: a small seeded generator (SplitMix32), so a scenario
 * with a seed always draws the same values. The pump core itself never draws anything.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  nextUint32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** A whole number from min to max inclusive, uniformly (rejection sampling, no modulo bias). */
  intInclusive(min: number, max: number): number {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max < min) throw new RangeError(`bad range [${min}, ${max}]`);
    const span = max - min + 1;
    if (span > 0x1_0000_0000) throw new RangeError(`range [${min}, ${max}] is wider than 2^32`);
    const limit = 0x1_0000_0000 - (0x1_0000_0000 % span);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return min + (x % span);
    }
  }
}
