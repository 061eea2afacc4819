/**
 * `npm run verify`: the long verification campaign. Each stage runs many more cases than
 * `npm test` does, and the report (Markdown and JSON) says how many ran, what failed, how long it
 * took, and traces every safety and security requirement (DOMAIN sections 4 and 5) to its tests.
 *
 *   properties   the core's fast-check property and model tests, THECAL_PROPERTY_RUNS runs each
 *   pump-years   random 10-year patients on the real core (bench/lib/random-run.ts): delivered volume
 *                against an exact independent integral at every command, no safe-state stop
 *   power-loss   random programming sessions cut at every byte-write index (power-loss-sweep.ts),
 *                and the core's own sweep tests
 *   fuzz         the protocol fuzz campaign over the pump's radio (npm run fuzz)
 *   faults       the fault-detection table, re-run and compared with the committed docs/fault-table.json
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REQUIREMENTS } from './requirements.ts';
import { testNamesIn } from './test-names.ts';
import { powerLossSweep } from './power-loss-sweep.ts';
import { buildFaultTable, COMPONENTS, type FaultTable } from '../faults/campaign.ts';
import { patientFactory, PATIENT_MODEL_NAME } from '../faults/patient.ts';

export interface Profile {
  name: 'quick' | 'full';
  propertyRuns: number;
  sweepSessions: number;
  fuzzFrames: number;
  /** Random 10-year patients. */
  randomPatients: number;
}
export const PROFILES: Record<'quick' | 'full', Profile> = {
  quick: { name: 'quick', propertyRuns: 150, sweepSessions: 1, fuzzFrames: 100_000, randomPatients: 10 },
  // 1,000 random patients (10,000 pump-years, about a minute): 200 missed a fault that 8 in 3,000 showed.
  full: { name: 'full', propertyRuns: 3_000, sweepSessions: 20, fuzzFrames: 2_000_000, randomPatients: 1_000 },
};

export const PROPERTY_TEST_FILES = ['packages/pump-core/src/pump.property.test.ts', 'packages/pump-core/src/pump.model.test.ts', 'packages/pump-core/src/hardware-faults.test.ts'];
export const SWEEP_TEST_FILES = ['packages/pump-core/src/persistence.test.ts', 'packages/pump-core/src/nvm/settings-bank.test.ts', 'packages/pump-core/src/nvm/log-store.test.ts'];

export interface StageResult {
  stage: string;
  description: string;
  cases: number;
  unit: string;
  failed: number;
  failures: string[];
  /** Facts worth reading that are not failures (e.g. a fault no part of the system detects). */
  findings: string[];
  durationMs: number;
  detail: Record<string, number | string>;
}

export interface TraceRow {
  id: string;
  section: 'safety' | 'security';
  text: string;
  tests: { file: string; test: string; exists: boolean; ranInCampaign: boolean }[];
}

export interface VerificationReport {
  format: 'thecal-verification/1';
  profile: Profile;
  startedAt: string;
  durationMs: number;
  passed: boolean;
  stages: StageResult[];
  traceability: TraceRow[];
}

/** Totals from node:test's TAP output ("# tests 5", "# pass 5", "# fail 0"), and the names of failed tests. */
export function parseTapSummary(tap: string): { tests: number; pass: number; fail: number; failedNames: string[] } {
  const num = (key: string) => Number(new RegExp(`^# ${key} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0);
  const failedNames = [...tap.matchAll(/^\s*not ok \d+ - (.*)$/gm)].map((m) => (m[1] ?? '').trim());
  return { tests: num('tests'), pass: num('pass'), fail: num('fail'), failedNames };
}

function runNodeTests(root: string, files: string[], env: Record<string, string>): Promise<{ code: number; tap: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', ...files], { cwd: root, env: { ...process.env, ...env } });
    let tap = '';
    child.stdout.on('data', (d: Buffer) => (tap += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (tap += d.toString('utf8')));
    child.on('close', (code) => resolve({ code: code ?? 1, tap }));
  });
}

async function propertiesStage(root: string, p: Profile, say: (s: string) => void): Promise<StageResult> {
  const started = performance.now();
  say(`properties: ${PROPERTY_TEST_FILES.length} files, ${p.propertyRuns} runs per property (THECAL_PROPERTY_RUNS) ...`);
  const r = await runNodeTests(root, PROPERTY_TEST_FILES, { THECAL_PROPERTY_RUNS: String(p.propertyRuns) });
  const s = parseTapSummary(r.tap);
  const properties = PROPERTY_TEST_FILES.reduce((n, f) => n + (readFileSync(join(root, f), 'utf8').match(/fc\.assert\(/g)?.length ?? 0), 0);
  const failures = s.failedNames.length > 0 ? s.failedNames : r.code !== 0 ? [`test run exited ${r.code}:\n${r.tap.slice(-2000)}`] : [];
  return {
    stage: 'properties',
    description: 'fast-check property and model-based tests of the pump core, with many more runs than npm test',
    cases: properties * p.propertyRuns,
    unit: 'random cases (properties x runs; runs scaled per property as in the tests)',
    failed: failures.length,
    failures,
    findings: [],
    durationMs: performance.now() - started,
    detail: { tests: s.tests, passed: s.pass, properties, runsPerProperty: p.propertyRuns },
  };
}

/** One random patient's run (bench/lib/random-run.ts, passed in by scripts/verify.ts). */
export type RandomRunner = (seed: number, index: number, years: number) => {
  simulatedDays: number;
  checks: number;
  maxErrorStrokes: number;
  minErrorStrokes: number;
  violations: readonly { atIso: string; errorStrokes: number; context: string }[];
  safeStates: readonly { atIso: string; reason: string }[];
};

const RANDOM_YEARS = 10;

function pumpYearsStage(p: Profile, seed: number, run: RandomRunner, say: (s: string) => void): StageResult {
  const started = performance.now();
  say(`pump-years: ${p.randomPatients} random patients x ${RANDOM_YEARS} years on the real core ...`);
  const failures: string[] = [];
  let days = 0;
  let checks = 0;
  let maxErr = 0;
  let minErr = 0;
  for (let i = 0; i < p.randomPatients; i++) {
    const o = run(seed, i, RANDOM_YEARS);
    days += o.simulatedDays;
    checks += o.checks;
    maxErr = Math.max(maxErr, o.maxErrorStrokes);
    minErr = Math.min(minErr, o.minErrorStrokes);
    for (const v of o.violations) failures.push(`patient ${i} (seed ${seed}): delivered off the exact integral by ${v.errorStrokes} strokes at ${v.atIso} (${v.context})`);
    for (const x of o.safeStates) failures.push(`patient ${i} (seed ${seed}): safe state at ${x.atIso}: ${x.reason}`);
    if ((i + 1) % 10 === 0) say(`  pump-years: ${i + 1}/${p.randomPatients} patients`);
  }
  return {
    stage: 'pump-years',
    description: 'random 10-year patients (prescriptions, flex, boluses, refills, titrations, MRI, clock and offset changes) checked against an exact integral',
    cases: Math.round(days / 365),
    unit: 'pump-years',
    failed: failures.length,
    failures: failures.slice(0, 50),
    findings: [],
    durationMs: performance.now() - started,
    detail: { patients: p.randomPatients, checks, maxErrorStrokes: maxErr, minErrorStrokes: minErr, seed },
  };
}

async function powerLossStage(root: string, p: Profile, seed: number, say: (s: string) => void): Promise<StageResult> {
  const started = performance.now();
  say(`power-loss: ${p.sweepSessions} random sessions, every write index ...`);
  const sweep = powerLossSweep(p.sweepSessions, seed, (done, cuts) => say(`  power-loss: session ${done}/${p.sweepSessions}, ${cuts} cuts so far`));
  const tests = await runNodeTests(root, SWEEP_TEST_FILES, {});
  const s = parseTapSummary(tests.tap);
  const failures = [...sweep.failures, ...s.failedNames.map((n) => `core sweep test failed: ${n}`)];
  if (tests.code !== 0 && s.failedNames.length === 0) failures.push(`core sweep tests exited ${tests.code}`);
  return {
    stage: 'power-loss',
    description: 'power cut after every byte write of random programming-and-logging sessions; restart must find the old or new settings and every committed record',
    cases: sweep.cuts,
    unit: 'power cuts',
    failed: failures.length,
    failures: failures.slice(0, 50),
    findings: [],
    durationMs: performance.now() - started,
    detail: { sessions: sweep.sessions, seed, coreSweepTests: s.tests },
  };
}

function fuzzStage(root: string, p: Profile, seed: number, say: (s: string) => void): Promise<StageResult> {
  const started = performance.now();
  say(`fuzz: ${p.fuzzFrames} frames over the pump's radio (seed ${seed}) ...`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'packages/protocol/src/fuzz-cli.ts', '--frames', String(p.fuzzFrames), '--seed', String(seed)], { cwd: root });
    let out = '';
    const onData = (d: Buffer) => {
      const text = d.toString('utf8');
      out += text;
      for (const line of text.split('\n')) if (line.startsWith('seed ')) say(`  fuzz: ${line.replace(/^seed \d+: /, '')}`);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', (code) => {
      const done = /^fuzz: (\d+) frames/m.exec(out);
      const frames = Number(done?.[1] ?? 0);
      const failures = code === 0 ? [] : [out.split('\n').find((l) => l.startsWith('FUZZ FAILURE')) ?? `fuzz exited ${code}: ${out.slice(-1000)}`];
      resolve({
        stage: 'fuzz',
        description: 'random, mutated and replayed frames at the pump radio: no crash or hang, unauthentic frames change nothing, dose limits hold',
        cases: frames,
        unit: 'frames',
        failed: failures.length,
        failures,
        findings: [],
        durationMs: performance.now() - started,
        detail: { seed, requestedFrames: p.fuzzFrames },
      });
    });
  });
}

async function faultStage(root: string, say: (s: string) => void): Promise<StageResult> {
  const started = performance.now();
  say('faults: the fault-detection table ...');
  const table = await buildFaultTable({ patientFactory, patientModel: PATIENT_MODEL_NAME, onRow: (row, done, total) => done % 8 === 0 && say(`  faults: ${done}/${total} rows (${row.caseId})`) });
  const failures: string[] = [];
  const findings: string[] = [];
  const cells = table.rows.length * COMPONENTS.length;
  const detected = table.rows.reduce((n, r) => n + COMPONENTS.filter((c) => r.detections[c].detected).length, 0);
  for (const id of new Set(table.rows.map((r) => r.caseId))) {
    if (!table.rows.some((r) => r.caseId === id && COMPONENTS.some((c) => r.detections[c].detected))) findings.push(`fault ${id} is detected by no part of the system at any rate within ${Math.round(table.horizonMs / 86_400_000)} days`);
  }
  const committedPath = join(root, 'docs', 'fault-table.json');
  if (existsSync(committedPath)) {
    const committed = JSON.parse(readFileSync(committedPath, 'utf8')) as FaultTable;
    if (JSON.stringify(committed.rows) !== JSON.stringify(table.rows)) failures.push('docs/fault-table.json differs from a fresh run: regenerate it with npx thecal faults --out docs/fault-table.md');
  } else failures.push('docs/fault-table.json is missing');
  return {
    stage: 'faults',
    description: 'each fault at each programmed rate; who detects it and when (docs/fault-table.md)',
    cases: table.rows.length,
    unit: 'fault x rate simulations',
    failed: failures.length,
    failures,
    findings,
    durationMs: performance.now() - started,
    detail: { cells, detectedCells: detected },
  };
}

export function traceability(root: string, ranFiles: ReadonlySet<string>): TraceRow[] {
  return REQUIREMENTS.map((r) => ({
    id: r.id,
    section: r.section,
    text: r.text,
    tests: r.tests.map((t) => {
      const path = join(root, t.file);
      const exists = existsSync(path) && testNamesIn(readFileSync(path, 'utf8')).includes(t.test);
      return { file: t.file, test: t.test, exists, ranInCampaign: ranFiles.has(t.file) };
    }),
  }));
}

export async function runVerification(root: string, profile: Profile, o: { seed: number; say: (s: string) => void; randomRunner?: RandomRunner }): Promise<VerificationReport> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const stages: StageResult[] = [];
  for (const stage of [
    () => propertiesStage(root, profile, o.say),
    ...(o.randomRunner === undefined ? [] : [async () => pumpYearsStage(profile, o.seed, o.randomRunner as RandomRunner, o.say)]),
    () => powerLossStage(root, profile, o.seed, o.say),
    () => fuzzStage(root, profile, o.seed, o.say),
    async () => faultStage(root, o.say),
  ]) {
    const r = await stage();
    o.say(`${r.failed === 0 ? 'ok  ' : 'FAIL'} ${r.stage}: ${r.cases} ${r.unit}, ${r.failed} failed, ${(r.durationMs / 1000).toFixed(1)} s`);
    stages.push(r);
  }
  const ran = new Set([...PROPERTY_TEST_FILES, ...SWEEP_TEST_FILES, 'apps/cli/src/verify/power-loss-sweep.test.ts', 'packages/protocol/src/fuzz.test.ts', 'apps/cli/src/faults/fault-table.test.ts']);
  const trace = traceability(root, ran);
  const missing = trace.flatMap((r) => r.tests.filter((t) => !t.exists).map((t) => `${r.id}: ${t.file}: "${t.test}"`));
  if (missing.length > 0) stages.push({ stage: 'traceability', description: 'every test named in the requirement map exists', cases: trace.length, unit: 'requirements', failed: missing.length, failures: missing, findings: [], durationMs: 0, detail: {} });
  return {
    format: 'thecal-verification/1',
    profile,
    startedAt,
    durationMs: performance.now() - started,
    passed: stages.every((s) => s.failed === 0),
    stages,
    traceability: trace,
  };
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function reportMarkdown(r: VerificationReport): string {
  const lines = [
    '# Verification report',
    '',
    `Generated by \`npm run verify${r.profile.name === 'quick' ? ' -- --quick' : ''}\` on ${r.startedAt}; profile **${r.profile.name}**; ${secs(r.durationMs)}; **${r.passed ? 'PASSED' : 'FAILED'}**.`,
    '',
    '| stage | what | cases | failed | duration |',
    '|---|---|---|---|---|',
    ...r.stages.map((s) => `| ${s.stage} | ${s.description} | ${s.cases.toLocaleString('en-US')} ${s.unit} | ${s.failed} | ${secs(s.durationMs)} |`),
    '',
  ];
  const failing = r.stages.filter((s) => s.failures.length > 0);
  lines.push('## Failures', '');
  if (failing.length === 0) lines.push('None.', '');
  for (const s of failing) {
    lines.push(`### ${s.stage}`, '');
    for (const f of s.failures) lines.push(`- ${f.replace(/\n/g, ' ')}`);
    lines.push('');
  }
  lines.push('## Findings (not failures)', '');
  const findings = r.stages.flatMap((s) => s.findings.map((f) => `- ${s.stage}: ${f}`));
  lines.push(...(findings.length === 0 ? ['None.'] : findings), '');
  lines.push('## Traceability: DOMAIN sections 4 (safety) and 5 (security)', '', 'The map is `apps/cli/src/verify/requirements.ts`; a test (`requirements.test.ts`) proves every named test exists. "campaign" marks tests this campaign ran with more cases than `npm test`.', '');
  lines.push('| requirement | text | tests |', '|---|---|---|');
  for (const t of r.traceability) {
    const tests = t.tests.map((x) => `${x.exists ? '' : '**MISSING** '}\`${x.file}\`: ${x.test}${x.ranInCampaign ? ' (campaign)' : ''}`).join('<br>');
    lines.push(`| ${t.id} | ${t.text} | ${tests} |`);
  }
  return lines.join('\n') + '\n';
}

export function writeReport(r: VerificationReport, dir: string): { md: string; json: string } {
  mkdirSync(dir, { recursive: true });
  const md = join(dir, 'verification.md');
  const json = join(dir, 'verification.json');
  writeFileSync(md, reportMarkdown(r));
  writeFileSync(json, JSON.stringify(r, null, 2) + '\n');
  return { md, json };
}
