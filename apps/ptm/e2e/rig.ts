/**
 * Everything the patient app needs around it, started in this process for the end-to-end tests and
 * the benchmark: the app built, a clinic server on a fresh SQLite folder (port 0) with a patient and
 * a patient account, a virtual pump (port 0) programmed by a clinician credential with patient
 * boluses enabled, and headless Chromium. close() stops all of it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { chromium, type Browser } from 'playwright-core';
import { buildApp, createUser, openDatabase, type ClinicApp, type ClinicDb } from '@thecal/clinic-server';
import { startVirtualPump, type RunningPump } from '@thecal/virtual-pump';
import { PumpClient, webSocketConnector, type WebSocketConstructor } from '@thecal/protocol';
import { NL_PER_ML, type ChangeSet } from '@thecal/pump-core';

/** The checkout: found from this file, or (when bundled into bench/.build) from the folders above it. */
export const REPO = findRepo(dirname(fileURLToPath(import.meta.url)));
function findRepo(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'scripts', 'build-web.mjs'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no Thecal checkout above ${from}`);
  }
}
export const PATIENT_USER = 'ptm-patient';
export const PATIENT_PASSWORD = 'ptm patient password';
export const CLINICIAN_USER = 'ptm-clinician';
export const CLINICIAN_PASSWORD = 'ptm clinician password';

export interface PumpProgram {
  /** Pump seconds per real second. */
  speed: number;
  lockoutMs: number;
  maxPer24h: number;
  filledNl: number;
  lowReservoirNl: number;
}

/** Morphine 25 mg/mL, 0.5 mL/day continuous, a 0.01 mL (0.25 mg) patient bolus over a minute. */
export function changeSet(p: PumpProgram): ChangeSet {
  return {
    refill: { withdrawnNl: 0, filledNl: p.filledNl, drugId: 'morphine', concentrationMcgPerMl: 25_000 },
    prescription: {
      drugId: 'morphine',
      concentrationMcgPerMl: 25_000,
      basal: { kind: 'continuous', rateNlPerDay: 500_000 },
      maxRateNlPerDay: 1_000_000,
      maxDailyDosePg: 18_000_000_000,
      patientBolus: { volumeNl: 10_000, durationMs: 60_000, lockoutMs: p.lockoutMs, maxPer24h: p.maxPer24h },
    },
    alarms: { lowReservoirNl: p.lowReservoirNl },
  };
}

export function buildPtm(): void {
  const r = spawnSync(process.execPath, [join(REPO, 'scripts', 'build-web.mjs'), 'ptm'], { cwd: REPO, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('building apps/ptm failed');
}

export interface Rig {
  clinicUrl: string;
  clinic: ClinicApp;
  patientId: string;
  clinicianToken: string;
  pump: RunningPump;
  browser: Browser;
  appUrl(extra?: string): string;
  close(): Promise<void>;
}

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'];

export async function startRig(program: PumpProgram): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'thecal-ptm-'));
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const c of cleanups.reverse()) await c();
  };
  try {
    const db: ClinicDb = await openDatabase({ dataDir: join(dir, 'clinic') });
    // The app's folder is given here rather than found from the server's own file, which moves when bundled.
    const clinic = await buildApp(db, { config: { scryptLog2N: 12 }, docsUi: false, webApps: [{ prefix: '/ptm/', dir: join(REPO, 'apps', 'ptm', 'dist'), title: 'Personal therapy manager' }] });
    cleanups.push(async () => {
      await clinic.app.close();
      await db.close();
    });
    await clinic.app.listen({ port: 0, host: '127.0.0.1' });
    const addr = clinic.app.server.address();
    const clinicUrl = `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;

    await createUser(clinic.ctx, { username: CLINICIAN_USER, password: CLINICIAN_PASSWORD, role: 'clinician', displayName: 'Dr Test', patientId: null });
    const login = async (username: string, password: string) => {
      const r = await clinic.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
      if (r.statusCode !== 200) throw new Error(`login ${username}: ${r.body}`);
      return (r.json() as { token: string }).token;
    };
    const clinicianToken = await login(CLINICIAN_USER, CLINICIAN_PASSWORD);
    const p = await clinic.app.inject({
      method: 'POST',
      url: '/api/patients',
      headers: { authorization: `Bearer ${clinicianToken}` },
      payload: { mrn: 'PTM-E2E-1', familyName: 'Rivera', givenName: 'Ana', birthDate: '1961-05-02', sex: 'female', indication: 'pain-cancer' },
    });
    if (p.statusCode !== 201) throw new Error(`patient: ${p.body}`);
    const patientId = (p.json() as { id: string }).id;
    await createUser(clinic.ctx, { username: PATIENT_USER, password: PATIENT_PASSWORD, role: 'patient', displayName: 'Ana Rivera', patientId });

    const pump = await startVirtualPump({ serial: 'TH-PTM-0001', dataDir: join(dir, 'pump'), port: 0, speed: program.speed });
    cleanups.push(() => pump.close());
    await programPump(pump, program);

    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    cleanups.push(() => browser.close());
    return {
      clinicUrl,
      clinic,
      patientId,
      clinicianToken,
      pump,
      browser,
      appUrl: (extra = '') => `${clinicUrl}/ptm/?pump=${encodeURIComponent(pump.radioUrl)}${extra}`,
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/** The clinic's part: pair a programmer at the magnet and commit the prescription. */
async function programPump(pump: RunningPump, program: PumpProgram): Promise<void> {
  const magnet = await fetch(`${pump.controlUrl}/magnet?seconds=30`, { method: 'POST' });
  if (!magnet.ok) throw new Error(`magnet: ${magnet.status}`);
  const connect = webSocketConnector(pump.radioUrl, WebSocket as unknown as WebSocketConstructor);
  const pairing = new PumpClient({ connect });
  const { credential } = await pairing.pair('clinician', 'E2E programmer');
  pairing.close();
  const programmer = new PumpClient({ connect });
  try {
    await programmer.connect(credential);
    const r = await programmer.changeProgram(changeSet(program), 'all');
    if (r.commit?.status !== 'ok') throw new Error(`programming the pump failed: ${JSON.stringify(r.commit?.body ?? r.stage.body)}`);
    await programmer.end();
  } finally {
    programmer.close();
  }
}

export const DEFAULT_PROGRAM: PumpProgram = { speed: 120, lockoutMs: 15 * 60_000, maxPer24h: 2, filledNl: 8 * NL_PER_ML, lowReservoirNl: 10 * NL_PER_ML };
