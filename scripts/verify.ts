/**
 * npm run verify [-- --quick] [--seed N] [--out DIR]: the long verification campaign
 * (apps/cli/src/verify/campaign.ts). Writes DIR/verification.md and DIR/verification.json
 * (default verify-report/, gitignored: each run is its own record). Exit code 1 if anything failed.
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { PROFILES, runVerification, writeReport } from '../apps/cli/src/verify/campaign.ts';
import { runRandomPatient } from '../bench/lib/random-run.ts';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, seed: { type: 'string' }, out: { type: 'string', default: 'verify-report' } } });
const seed = values.seed === undefined ? Date.now() % 1_000_000 : Number(values.seed);
if (!Number.isSafeInteger(seed) || seed < 0) {
  console.error(`--seed must be a whole number >= 0, got "${values.seed}"`);
  process.exit(2);
}
const root = fileURLToPath(new URL('..', import.meta.url));
const profile = PROFILES[values.quick ? 'quick' : 'full'];
const t0 = performance.now();
const say = (line: string) => console.log(`[verify ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}`);
say(`profile ${profile.name}: ${profile.propertyRuns} runs per property, ${profile.randomPatients * 10} random pump-years, ${profile.sweepSessions} power-loss sessions, ${profile.fuzzFrames} fuzz frames, the fault table; seed ${seed}`);
const report = await runVerification(root, profile, { seed, say, randomRunner: runRandomPatient });
const files = writeReport(report, values.out ?? 'verify-report');
say(`${report.passed ? 'PASSED' : 'FAILED'} in ${(report.durationMs / 1000).toFixed(1)} s; report: ${files.md}, ${files.json}`);
process.exit(report.passed ? 0 : 1);
