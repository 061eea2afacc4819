/**
 * A small seeded generator (mulberry32) for the shells around the core: simulations, demo data,
 * link impairment, fuzzing. The core itself never draws a number (purity.test.ts holds that); it
 * lives here only because every workspace may import the core. Not for anything secret.
 */
export function seededUniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
