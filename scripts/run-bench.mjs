#!/usr/bin/env node
// Runs every benchmark in bench/*.ts, one after the other (the speed figures must not share the
// CPU), each in its own Node process with tsx and --expose-gc. Each benchmark writes
// bench/results/<name>.json; this script checks that file and prints a summary.
//
// Exit status: non-zero if a benchmark crashes (or writes no valid results). A missed target is
// NOT a failure here: it is reported as passed: false, loudly.
//
//   npm run bench                      every benchmark
//   npm run bench -- pump-speed        only those whose file name contains an argument
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const benchDir = join(root, 'bench');
const resultsDir = join(benchDir, 'results');
const filter = process.argv.slice(2);

const REQUIRED = ['name', 'value', 'unit', 'baseline', 'ratio', 'target', 'passed', 'machine', 'measuredAt'];

const files = readdirSync(benchDir)
  .filter((f) => f.endsWith('.ts') && !f.startsWith('_') && statSync(join(benchDir, f)).isFile())
  .filter((f) => filter.length === 0 || filter.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('no benchmarks found' + (filter.length ? ` matching ${filter.join(' ')}` : ''));
  process.exit(1);
}

const summary = [];
let crashed = 0;
const allStarted = Date.now();
for (const file of files) {
  const name = file.replace(/\.ts$/, '');
  const resultPath = join(resultsDir, `${name}.json`);
  const before = existsSync(resultPath) ? statSync(resultPath).mtimeMs : 0;
  console.log(`\n>>> ${name}`);
  const started = Date.now();
  // Benchmarks measure the code as it ships: bundled to plain ESM by esbuild, as the apps' bundler
  // would. Running through tsx instead adds its module-binding getters and keepNames wrappers to
  // every call (about 1.5x slower); `THECAL_BENCH_TSX=1` measures that way for comparison.
  let args;
  if (process.env.THECAL_BENCH_TSX === '1') {
    args = ['--expose-gc', '--import', 'tsx', join('bench', file)];
  } else {
    const out = join(root, 'bench', '.build', file.replace(/\.ts$/, '.mjs'));
    await build({ entryPoints: [join(root, 'bench', file)], bundle: true, format: 'esm', platform: 'node', target: 'node20', outfile: out, logLevel: 'warning', external: ['better-sqlite3', 'pg', 'pg-native', 'pdfkit', '@fastify/swagger-ui', 'playwright-core'], banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" } });
    args = ['--expose-gc', out];
  }
  const run = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  const seconds = (Date.now() - started) / 1000;
  const problem =
    run.error !== undefined
      ? String(run.error)
      : run.status !== 0
        ? `exited with ${run.status ?? run.signal}`
        : !existsSync(resultPath) || statSync(resultPath).mtimeMs <= before
          ? `wrote no ${resultPath}`
          : validate(resultPath);
  if (problem !== null) {
    crashed += 1;
    console.error(`!!! ${name} CRASHED: ${problem}`);
    summary.push({ name, seconds, results: 0, missed: [], crashed: problem });
    continue;
  }
  const file_ = JSON.parse(readFileSync(resultPath, 'utf8'));
  const missed = file_.results.filter((r) => r.passed === false).map((r) => r.name);
  const withTarget = file_.results.filter((r) => r.passed !== null).length;
  summary.push({ name, seconds, results: file_.results.length, withTarget, missed, crashed: null });
}

console.log(`\n== bench summary (${((Date.now() - allStarted) / 1000).toFixed(1)} s)`);
for (const s of summary) {
  if (s.crashed !== null) {
    console.log(`  ${s.name.padEnd(20)} CRASHED (${s.crashed})`);
    continue;
  }
  const verdict = s.missed.length === 0 ? 'all targets met' : `${s.missed.length} of ${s.withTarget} targets MISSED`;
  console.log(`  ${s.name.padEnd(20)} ${String(s.results).padStart(4)} results, ${verdict}  [${s.seconds.toFixed(1)} s]  -> bench/results/${s.name}.json`);
  for (const m of s.missed) console.log(`      MISSED: ${m}`);
}
process.exit(crashed > 0 ? 1 : 0);

function validate(path) {
  let data;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    return `unreadable results: ${e}`;
  }
  if (!Array.isArray(data.results) || data.results.length === 0) return 'results file has no results';
  for (const r of data.results) {
    const missing = REQUIRED.filter((k) => !(k in r));
    if (missing.length > 0) return `result "${r.name}" lacks ${missing.join(', ')}`;
    if (typeof r.value !== 'number' || Number.isNaN(r.value)) return `result "${r.name}" has a non-numeric value`;
  }
  return null;
}
