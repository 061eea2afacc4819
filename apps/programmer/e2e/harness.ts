/**
 * What the programmer's end-to-end tests and benchmark run against: the built app served by a real
 * clinic server (SQLite in a temp folder, demo users, one patient whose implant matches the pump),
 * a virtual pump on its own port, and headless Chromium.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { DEMO_PASSWORD, openDatabase, seedDemoClinic, startServer, type RunningServer } from '@thecal/clinic-server';
import { startVirtualPump, type RunningPump } from '@thecal/virtual-pump';
import { NL_PER_ML, PG_PER_MCG, type ChangeSet, type Pump } from '@thecal/pump-core';

const root = fileURLToPath(new URL('../../../', import.meta.url));

export function buildProgrammer(): void {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-web.mjs'), 'programmer'], { cwd: root, stdio: 'pipe', encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`programmer build failed:\n${r.stdout}\n${r.stderr}`);
}

export interface Rig {
  dir: string;
  clinic: RunningServer;
  pump: RunningPump;
  browser: Browser;
  token: string;
  patientId: string;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
}

async function api(clinic: RunningServer, method: string, path: string, token: string | null, body?: unknown): Promise<unknown> {
  const r = await fetch(`${clinic.url}${path}`, { method, headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const out = (await r.json()) as unknown;
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(out)}`);
  return out;
}
export { api };

/** Commit a change set straight into the pump core (test fixtures only: the app talks over the radio). */
export function commitDirect(pump: Pump, changes: ChangeSet, tag: string): void {
  const at = pump.nowMs;
  const st = pump.execute(at, `fixture-stage-${tag}`, { type: 'stage', changes });
  if (!st.ok) throw new Error(`fixture stage ${tag}: ${st.message}`);
  const soft = ((st.detail['softLimits'] as { code: string }[] | undefined) ?? []).map((s) => s.code);
  const c = pump.execute(at, `fixture-commit-${tag}`, { type: 'commit', stagedId: st.detail['stagedId'] as number, acknowledgedSoftLimits: soft });
  if (!c.ok) throw new Error(`fixture commit ${tag}: ${c.message}`);
}

/** A patient on baclofen 500 mcg/mL, 400 mcg/day continuous, in a primed catheter. */
export function implantBaclofen(pump: Pump, patientId: string): void {
  commitDirect(
    pump,
    {
      device: { patientId, implantDateMs: pump.nowMs, catheter: { model: 'TC-8709', lengthMm: 800, volumeNl: 180_000 } },
      refill: { withdrawnNl: 0, filledNl: 20 * NL_PER_ML, drugId: 'baclofen', concentrationMcgPerMl: 500 },
      prescription: { drugId: 'baclofen', concentrationMcgPerMl: 500, basal: { kind: 'continuous', rateNlPerDay: 800_000 }, maxRateNlPerDay: 24 * NL_PER_ML, maxDailyDosePg: 700 * PG_PER_MCG, patientBolus: null },
      bolus: { kind: 'priming' },
    },
    'implant',
  );
}

export async function startRig(o: { serial: string; speed: number; pumpDataDir?: string }): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'thecal-programmer-'));
  const clinicDir = join(dir, 'clinic');
  const db = await openDatabase({ dataDir: clinicDir });
  await seedDemoClinic(db.db, { patients: 1, nowMs: Date.now(), scryptLog2N: 12 });
  await db.close();
  const clinic = await startServer({ port: 0, host: '127.0.0.1', dataDir: clinicDir });
  const pump = await startVirtualPump({ serial: o.serial, dataDir: o.pumpDataDir ?? join(dir, 'pumps'), port: 0, speed: o.speed });
  const { token } = (await api(clinic, 'POST', '/api/auth/login', null, { username: 'clinician', password: DEMO_PASSWORD })) as { token: string };
  const patient = (await api(clinic, 'POST', '/api/patients', token, { mrn: `E2E-${o.serial}`, familyName: 'Test', givenName: 'Programmer', birthDate: '1970-03-14', sex: 'female', indication: 'spasticity-spinal' })) as { id: string };
  await api(clinic, 'POST', `/api/patients/${patient.id}/implants`, token, { pumpSerial: o.serial, pumpModel: 'thecal-40', implantedAtMs: Date.now() - 86_400_000, pumpDepthMm: 20, catheterModel: 'TC-8709', catheterLengthMm: 800, catheterVolumeNl: 180_000 });
  const browser = await launchChromium();
  return {
    dir,
    clinic,
    pump,
    browser,
    token,
    patientId: patient.id,
    async close() {
      await browser.close().catch(() => {});
      await pump.close();
      await clinic.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
