/** A running clinic for tests: a fresh database, the app, and a signed-in user of each role. */
import { after, before } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { MS_PER_DAY, NL_PER_ML, PG_PER_MG, Pump, type Prescription } from '@thecal/pump-core';
import { buildApp, type ClinicApp } from '../http/app.ts';
import { createUser } from '../routes/users.ts';
import type { ClinicConfig } from '../http/context.ts';
import type { Role } from '../db/schema.ts';
import { uploadFromPump } from '../programmer-upload.ts';
import { openTestDatabase, type DbKind } from './databases.ts';

export const PASSWORD = 'correct horse battery';
/** 2026-01-05 00:00 UTC, a Monday. */
export const T0 = Date.UTC(2026, 0, 5);

export interface TestClinic extends ClinicApp {
  kind: DbKind;
  tokens: Record<Exclude<Role, 'patient'>, string>;
  /** The test clock: tests move it. */
  clock: { nowMs: number };
  request(method: string, url: string, opts?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<LightMyRequestResponse>;
  login(username: string, password?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startTestClinic(kind: DbKind, config: Partial<ClinicConfig> = {}): Promise<TestClinic> {
  const { clinic, test } = await openTestDatabase(kind);
  const clock = { nowMs: T0 };
  const built = await buildApp(clinic, { config: { scryptLog2N: 12, ...config }, now: () => clock.nowMs });
  const request: TestClinic['request'] = (method, url, opts = {}) =>
    built.app.inject({
      method: method as 'GET',
      url,
      headers: { ...(opts.token === undefined ? {} : { authorization: `Bearer ${opts.token}` }), ...opts.headers },
      ...(opts.body === undefined ? {} : { payload: opts.body as object }),
    });
  const login = async (username: string, password = PASSWORD) => {
    const r = await request('POST', '/api/auth/login', { body: { username, password } });
    if (r.statusCode !== 200) throw new Error(`login ${username}: ${r.statusCode} ${r.body}`);
    return (r.json() as { token: string }).token;
  };
  const tokens = {} as TestClinic['tokens'];
  for (const role of ['admin', 'clinician', 'nurse'] as const) {
    await createUser(built.ctx, { username: role, password: PASSWORD, role, displayName: `Test ${role}`, patientId: null });
    tokens[role] = await login(role);
  }
  return {
    ...built,
    kind,
    tokens,
    clock,
    request,
    login,
    async close() {
      await built.app.close();
      await clinic.close();
      await test.destroy();
    },
  };
}

/** before/after hooks giving a suite its own clinic. */
export function useClinic(kind: DbKind, config: Partial<ClinicConfig> = {}): () => TestClinic {
  let c: TestClinic | null = null;
  before(async () => {
    c = await startTestClinic(kind, config);
  });
  after(async () => {
    await c?.close();
  });
  return () => {
    if (c === null) throw new Error('clinic not started');
    return c;
  };
}

let mrnCounter = 0;
export function patientInput(over: Record<string, unknown> = {}) {
  mrnCounter += 1;
  return { mrn: `MRN-${process.pid}-${mrnCounter}`, familyName: 'Doe', givenName: 'Jane', birthDate: '1970-03-14', sex: 'female', indication: 'pain-cancer', ...over };
}
export function implantInput(serial: string, over: Record<string, unknown> = {}) {
  return { pumpSerial: serial, pumpModel: 'thecal-40', implantedAtMs: T0, pumpDepthMm: 15, catheterModel: 'TC-8781', catheterLengthMm: 800, catheterVolumeNl: 180_000, ...over };
}
export const MORPHINE_RX: Prescription = {
  drugId: 'morphine',
  concentrationMcgPerMl: 10_000,
  basal: { kind: 'continuous', rateNlPerDay: 400_000 },
  maxRateNlPerDay: 24 * NL_PER_ML,
  maxDailyDosePg: 20 * PG_PER_MG,
  patientBolus: { volumeNl: 20_000, durationMs: 10 * 60_000, lockoutMs: 60 * 60_000, maxPer24h: 4 },
};

/** A pump programmed with `rx` and filled with `filledNl` at T0. */
export function programmedPump(serial: string, rx: Prescription = MORPHINE_RX, filledNl = 20 * NL_PER_ML, model: 'thecal-20' | 'thecal-40' = 'thecal-40'): Pump {
  const pump = Pump.manufacture({ serial, model, atMs: T0 - MS_PER_DAY });
  const staged = pump.execute(T0, `${serial}-stage`, { type: 'stage', changes: { refill: { withdrawnNl: 0, filledNl, drugId: rx.drugId, concentrationMcgPerMl: rx.concentrationMcgPerMl }, prescription: rx } });
  if (!staged.ok) throw new Error(staged.message);
  const committed = pump.execute(T0, `${serial}-commit`, { type: 'commit', stagedId: staged.detail['stagedId'] as number, acknowledgedSoftLimits: [] });
  if (!committed.ok) throw new Error(committed.message);
  return pump;
}

/** Registers a patient with an implanted pump; returns the patient id. */
export async function patientWithPump(c: TestClinic, serial: string, over: Record<string, unknown> = {}): Promise<string> {
  const p = await c.request('POST', '/api/patients', { token: c.tokens.clinician, body: patientInput(over) });
  if (p.statusCode !== 201) throw new Error(p.body);
  const id = (p.json() as { id: string }).id;
  const i = await c.request('POST', `/api/patients/${id}/implants`, { token: c.tokens.clinician, body: implantInput(serial) });
  if (i.statusCode !== 201) throw new Error(i.body);
  return id;
}

export { uploadFromPump };
