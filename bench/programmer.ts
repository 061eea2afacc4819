/**
 * The clinician programmer in Chromium: its first-load JavaScript and CSS (gzip, what index.html
 * loads before the app can draw: scripts, modulepreloads and stylesheets), and the time from
 * "Connect and interrogate" to a ready summary against a local virtual pump that carries a year of
 * logs (a morphine patient on a 13-step flex program with 4 patient boluses a day and a refill
 * every 45 days: about 3 300 therapy records). The summary reads device, status, forecast and the last 30 events; the whole log
 * is read when the session ends, for the upload: that time is reported too (no target).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { startServer } from '@thecal/clinic-server';
import { loadOrManufacture, pumpFiles, startVirtualPump } from '@thecal/virtual-pump';
import { check, printTable, result, writeResults, type BenchResult } from './lib/results.ts';
import { MORPHINE_MCG_PER_ML, MS_HOUR, flex13Basal, morphinePrescription, refill } from './lib/scenarios.ts';
import { saveMemory } from '../apps/virtual-pump/src/store.ts';

const started = performance.now();
const root = process.cwd();
const DAYS = 365;
const MS_DAY = 24 * MS_HOUR;
const RUNS = 7;
const SERIAL = 'TH-BENCH-PROG';

// ------------------------------------------------------------------ first-load size
const build = spawnSync(process.execPath, [join(root, 'scripts', 'build-web.mjs'), 'programmer'], { cwd: root, stdio: 'inherit' });
check(build.status === 0, 'the programmer builds');
const dist = join(root, 'apps', 'programmer', 'dist');
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const assets = [...html.matchAll(/<(?:script[^>]*\bsrc|link[^>]*\brel="(?:modulepreload|stylesheet)"[^>]*\bhref)="([^"]+)"/g), ...html.matchAll(/<link[^>]*\bhref="([^"]+)"[^>]*\brel="(?:modulepreload|stylesheet)"/g)]
  .map((m) => m[1] ?? '')
  .filter((v, i, a) => v !== '' && a.indexOf(v) === i);
check(assets.length > 0, 'index.html names its assets');
const sizes = assets.map((a) => {
  const bytes = readFileSync(join(dist, a.replace(/^\/programmer\//, '')));
  return { asset: a, bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
});
const firstLoadGzip = sizes.reduce((s, x) => s + x.gzipBytes, 0);

// ------------------------------------------------------------------ a pump with a year of logs
const dir = mkdtempSync(join(tmpdir(), 'thecal-bench-programmer-'));
const pumpDir = join(dir, 'pumps');
const yearStart = Date.now() - DAYS * MS_DAY;
const loaded = loadOrManufacture(pumpDir, SERIAL, 'thecal-40', yearStart);
const pump = loaded.pump;
let n = 0;
const id = () => `r:${(++n).toString(16).padStart(16, '0')}`;
const program = (atMs: number, changes: object) => {
  const st = pump.execute(atMs, id(), { type: 'stage', changes });
  check(st.ok, `stage refused: ${JSON.stringify(st)}`);
  const soft = ((st.detail['softLimits'] as { code: string }[] | undefined) ?? []).map((s) => s.code);
  const c = pump.execute(atMs, id(), { type: 'commit', stagedId: st.detail['stagedId'] as number, acknowledgedSoftLimits: soft });
  check(c.ok, `commit refused: ${JSON.stringify(c)}`);
};
program(yearStart + MS_HOUR, { ...refill(0, 'morphine', MORPHINE_MCG_PER_ML), prescription: morphinePrescription(flex13Basal(), true) });
for (let d = 0; d < DAYS; d++) {
  const day = yearStart + d * MS_DAY;
  for (const h of [8, 12, 17, 21]) pump.execute(day + h * MS_HOUR, id(), { type: 'patient-bolus' });
  if (d % 45 === 44) program(day + 22 * MS_HOUR, refill(pump.status().reservoir.volumeNl, 'morphine', MORPHINE_MCG_PER_ML));
  pump.drainOutputs();
}
pump.advanceTo(Date.now());
const logRecords = { events: pump.events.size, therapy: pump.therapyLog.size };
check(logRecords.therapy > 1000, `a year of therapy records (${logRecords.therapy})`);
saveMemory(pumpFiles(pumpDir, SERIAL), loaded.memory, pump);

const clinic = await startServer({ port: 0, host: '127.0.0.1', dataDir: join(dir, 'clinic'), docsUi: false, webApps: [{ prefix: '/programmer/', dir: dist, title: 'Clinician programmer' }] });
const vp = await startVirtualPump({ serial: SERIAL, dataDir: pumpDir, port: 0, speed: 1 });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
const connectMs: number[] = [];
const endSessionMs: number[] = [];
try {
  const ctx = await browser.newContext({ viewport: { width: 1024, height: 768 } });
  const page = await ctx.newPage();
  const url = `${clinic.url}/programmer/?pump=${encodeURIComponent(vp.radioUrl)}`;
  const summary = page.getByRole('heading', { name: `Pump ${SERIAL}` });
  await page.goto(url);
  await page.getByRole('button', { name: 'Hold the magnet over the pump (simulator)' }).click();
  await page.getByText('Magnet placed (simulator)').waitFor();
  await page.getByRole('button', { name: 'Connect and interrogate' }).click();
  await summary.waitFor({ timeout: 30_000 });
  for (let i = 0; i < RUNS; i++) {
    await page.goto(url);
    const button = page.getByRole('button', { name: 'Connect and interrogate' });
    await button.waitFor();
    const t0 = performance.now();
    await button.click();
    await summary.waitFor({ timeout: 30_000 });
    connectMs.push(performance.now() - t0);
    if (i < 3) {
      // End the session: the whole year of logs is read for the upload (it waits in the queue: no one signed in).
      const t1 = performance.now();
      await page.getByRole('button', { name: 'End session and upload' }).click();
      await page.getByRole('heading', { name: 'Connect to a pump' }).waitFor({ timeout: 60_000 });
      endSessionMs.push(performance.now() - t1);
    }
  }
} finally {
  await browser.close();
  await vp.close();
  await clinic.close();
  rmSync(dir, { recursive: true, force: true });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const results: BenchResult[] = [
  result({
    name: 'programmer first-load JS+CSS (gzip)',
    value: Math.round(firstLoadGzip / 1024),
    unit: 'KiB',
    target: { op: '<=', value: 300 },
    details: { assets: sizes, method: 'index.html script, modulepreload and stylesheet assets, gzip level 9; the PDF writer is a lazy chunk, not counted' },
  }),
  result({
    name: 'programmer connect to ready summary (year of logs)',
    value: Math.round(median(connectMs)),
    unit: 'ms',
    target: { op: '<=', value: 1000 },
    details: { runsMs: connectMs.map(Math.round), runs: RUNS, logRecords, method: 'click "Connect and interrogate" (paired) to the summary heading, headless Chromium, local virtual pump; median' },
  }),
  result({
    name: 'programmer end of session with a year of logs: read them all, write the PDF, queue the upload',
    value: Math.round(endSessionMs[0] ?? Number.NaN),
    unit: 'ms',
    details: { logRecords, laterSessionsMs: endSessionMs.slice(1).map(Math.round), note: 'later sessions read only the records since the last upload' },
  }),
];
printTable('programmer', results);
writeResults('programmer', results, { days: DAYS, runs: RUNS, serial: SERIAL }, performance.now() - started);
