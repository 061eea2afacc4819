/**
 * Long fuzz campaigns: npm run fuzz -- --frames 10000000 [--seed 7]
 * Runs in chunks of 100 000 frames with successive seeds (fresh pump each chunk), prints progress,
 * exits 1 with the seed and the offending frame on the first invariant violation.
 */
import { parseArgs } from 'node:util';
import { FuzzFailure, runFuzz } from './fuzz.ts';

const { values } = parseArgs({ options: { frames: { type: 'string', default: '1000000' }, seed: { type: 'string', default: String(Date.now() % 1_000_000) } } });
const total = Number(values.frames);
const seed0 = Number(values.seed);
if (!Number.isSafeInteger(total) || total <= 0) {
  console.error(`--frames must be a positive whole number, got "${values.frames}"`);
  process.exit(2);
}
const CHUNK = 100_000;
let done = 0;
let accepted = 0;
let maxMs = 0;
const started = performance.now();
try {
  for (let seed = seed0; done < total; seed++) {
    const n = Math.min(CHUNK, total - done);
    const s = runFuzz({ frames: n, seed });
    done += n;
    accepted += s.accepted;
    maxMs = Math.max(maxMs, s.maxFrameMs);
    const secs = (performance.now() - started) / 1000;
    console.log(`seed ${seed}: ${n} frames ok (${s.unauthentic} unauthentic all rejected, ${s.authentic} authentic, ${s.accepted} accepted)  total ${done}/${total}  ${(done / secs).toFixed(0)} frames/s`);
  }
} catch (e) {
  if (e instanceof FuzzFailure) {
    console.error(`FUZZ FAILURE: ${e.message}`);
    process.exit(1);
  }
  throw e;
}
console.log(`fuzz: ${done} frames, no invariant violated, ${accepted} accepted, slowest frame ${maxMs.toFixed(1)} ms, ${((performance.now() - started) / 1000).toFixed(1)} s`);
