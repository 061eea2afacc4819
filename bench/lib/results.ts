/**
 * Shared result writing for every benchmark: one JSON file per benchmark under bench/results/,
 * each result object self-describing (machine, time, baseline, target, pass/fail).
 *
 * A missed target is reported (`passed: false`), never thrown: only a crash makes `npm run bench`
 * fail. A benchmark that finds its own run invalid (it did not deliver what it should) throws.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

export interface MachineInfo {
  cpus: string;
  cores: number;
  totalMemBytes: number;
  node: string;
  platform: string;
}

/** `abs<=`: |value| <= target (two-sided error bands). */
export type TargetOp = '>=' | '<=' | 'abs<=';
export interface Target {
  op: TargetOp;
  value: number;
}
export interface Baseline {
  name: string;
  value: number;
  unit: string;
}

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline: Baseline | null;
  /** value / baseline.value, when a baseline in the same unit is given; else null. */
  ratio: number | null;
  target: Target | null;
  /** null when there is no target (an informational figure). */
  passed: boolean | null;
  machine: MachineInfo;
  measuredAt: string;
  /** Method notes, counts, raw figures: whatever makes the number checkable. */
  details?: Record<string, unknown>;
}

let machineCache: MachineInfo | null = null;
export function machineInfo(): MachineInfo {
  if (machineCache === null) {
    const cpus = os.cpus();
    machineCache = {
      cpus: cpus[0]?.model ?? 'unknown',
      cores: cpus.length,
      totalMemBytes: os.totalmem(),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    };
  }
  return machineCache;
}

export function meets(value: number, target: Target): boolean {
  if (!Number.isFinite(value)) return false;
  switch (target.op) {
    case '>=':
      return value >= target.value;
    case '<=':
      return value <= target.value;
    case 'abs<=':
      return Math.abs(value) <= target.value;
  }
}

export interface ResultInput {
  name: string;
  value: number;
  unit: string;
  baseline?: Baseline | null;
  target?: Target | null;
  details?: Record<string, unknown>;
}

export function result(r: ResultInput): BenchResult {
  const baseline = r.baseline ?? null;
  const target = r.target ?? null;
  const ratio = baseline !== null && baseline.unit === r.unit && baseline.value !== 0 ? r.value / baseline.value : null;
  const out: BenchResult = {
    name: r.name,
    value: r.value,
    unit: r.unit,
    baseline,
    ratio,
    target,
    passed: target === null ? null : meets(r.value, target),
    machine: machineInfo(),
    measuredAt: new Date().toISOString(),
  };
  if (r.details !== undefined) out.details = r.details;
  return out;
}

/**
 * A result whose value is a ratio to a baseline and whose target applies to that ratio: value /
 * baseline, or `measuredRatio` when the ratio was measured otherwise (e.g. pair by pair).
 */
export function ratioResult(r: { name: string; value: number; baseline: Baseline; target: Target | null; details?: Record<string, unknown>; measuredRatio?: number }): BenchResult {
  const ratio = r.measuredRatio ?? (r.baseline.value === 0 ? Number.POSITIVE_INFINITY : r.value / r.baseline.value);
  const base = result({ name: r.name, value: ratio, unit: 'x', target: r.target, ...(r.details === undefined ? {} : { details: r.details }) });
  return { ...base, baseline: r.baseline, ratio };
}

export interface ResultFile {
  benchmark: string;
  measuredAt: string;
  machine: MachineInfo;
  durationMs: number;
  /** Everything needed to reproduce the run (seeds, spans, repetitions). */
  parameters: Record<string, unknown>;
  results: BenchResult[];
}

/** Write bench/results/<benchmark>.json atomically and return its path. */
export function writeResults(benchmark: string, results: BenchResult[], parameters: Record<string, unknown>, durationMs: number): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file: ResultFile = { benchmark, measuredAt: new Date().toISOString(), machine: machineInfo(), durationMs: Math.round(durationMs), parameters, results };
  const path = join(RESULTS_DIR, `${benchmark}.json`);
  const tmp = join(RESULTS_DIR, `${benchmark}.tmp.json`);
  writeFileSync(tmp, JSON.stringify(file, null, 2) + '\n');
  renameSync(tmp, path);
  return path;
}

export function fmtNum(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a === 0) return '0';
  if (a >= 1e6) return x.toExponential(3);
  if (a >= 100) return x.toFixed(1);
  if (a >= 1) return x.toFixed(3);
  if (a >= 1e-3) return String(Number(x.toPrecision(6)));
  return x.toExponential(3);
}

export function fmtTarget(t: Target | null): string {
  if (t === null) return '';
  return t.op === 'abs<=' ? `|x| <= ${fmtNum(t.value)}` : `${t.op} ${fmtNum(t.value)}`;
}

/** A compact table: name, value, unit, target, verdict. */
export function printTable(title: string, results: readonly BenchResult[]): void {
  const rows = results.map((r) => [
    r.name,
    fmtNum(r.value),
    r.unit,
    fmtTarget(r.target),
    r.passed === null ? '' : r.passed ? 'ok' : 'MISSED',
  ]);
  const head = ['result', 'value', 'unit', 'target', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 1 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  console.log(`\n== ${title}`);
  console.log(line(head));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of rows) console.log(line(row));
  const missed = results.filter((r) => r.passed === false);
  if (missed.length > 0) console.log(`!! ${missed.length} target(s) MISSED: ${missed.map((r) => r.name).join(', ')}`);
}

/** Throw (crash the benchmark) when a run is not what it claims to be. */
export function check(cond: boolean, message: string): asserts cond {
  if (!cond) throw new Error(`benchmark self-check failed: ${message}`);
}
