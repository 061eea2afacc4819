/**
 * The programmer's side of the radio: pairing (after the magnet), sessions, interrogation, and the
 * staged programming every workflow ends with. All decisions are the pump's; this module only
 * carries them and keeps a journal so that an interrupted session is noticed at the next connect.
 */
import { ForecastSchema, InterrogationBodySchema, PumpClient, PumpError, StagedAnswerSchema, StatusSchema, checkBody, refusalOf, webSocketConnector, type Credential, type DeviceInfo, type Refusal } from '@thecal/protocol';
import { asPumpStatus, type PumpForecast } from '@thecal/pump-schemas';
import type { ChangeSet, LogRecord, PumpStatus } from '@thecal/pump-core';
import { INTERROGATION_RECENT_EVENTS } from '@thecal/therapy-calc';

export type Forecast = PumpForecast;
export type { DeviceInfo };
export interface Interrogated {
  device: DeviceInfo;
  status: PumpStatus;
  forecast: Forecast;
  recentEvents: LogRecord[];
  /** The programmer's clock when the pump answered, UTC ms: the pump's clock is compared with it. */
  readAtUtcMs: number;
}

/** A refusal as the screens show it (read by the protocol's refusalOf), and one issue the pump named in it. */
export type PumpRefusal = Refusal;
export type PumpIssue = Refusal['issues'][number];

const CRED_KEY = 'thecal.programmer.credentials';
const JOURNAL_KEY = 'thecal.programmer.journal';

/** What was under way when the programmer last spoke to a pump, so the next connection can tell. */
export interface Journal {
  serial: string;
  workflow: string;
  phase: 'staged' | 'committing' | 'commanding';
  stagedId: number | null;
  atUtcMs: number;
}

export function readJournal(serial: string): Journal | null {
  try {
    const all = JSON.parse(localStorage.getItem(JOURNAL_KEY) ?? '{}') as Record<string, Journal>;
    return all[serial] ?? null;
  } catch {
    return null;
  }
}
function writeJournal(serial: string, j: Journal | null): void {
  let all: Record<string, Journal> = {};
  try {
    all = JSON.parse(localStorage.getItem(JOURNAL_KEY) ?? '{}') as Record<string, Journal>;
  } catch {
    all = {};
  }
  if (j === null) delete all[serial];
  else all[serial] = j;
  localStorage.setItem(JOURNAL_KEY, JSON.stringify(all));
}
export function clearJournal(serial: string): void {
  writeJournal(serial, null);
}

/** Credentials by pump address (a programmer pairs once per pump). The key is secret; localStorage is the demo's keychain. */
function savedCredential(url: string): Credential | null {
  try {
    const all = JSON.parse(localStorage.getItem(CRED_KEY) ?? '{}') as Record<string, Credential>;
    return all[url] ?? null;
  } catch {
    return null;
  }
}
function saveCredential(url: string, c: Credential): void {
  let all: Record<string, Credential> = {};
  try {
    all = JSON.parse(localStorage.getItem(CRED_KEY) ?? '{}') as Record<string, Credential>;
  } catch {
    all = {};
  }
  all[url] = c;
  localStorage.setItem(CRED_KEY, JSON.stringify(all));
}
export function forgetCredential(url: string): void {
  let all: Record<string, Credential> = {};
  try {
    all = JSON.parse(localStorage.getItem(CRED_KEY) ?? '{}') as Record<string, Credential>;
  } catch {
    all = {};
  }
  delete all[url];
  localStorage.setItem(CRED_KEY, JSON.stringify(all));
}

/** The control endpoint of a virtual pump, from its radio URL (ws://h:p/radio -> http://h:p). */
export function controlUrlOf(radioUrl: string): string {
  const u = new URL(radioUrl);
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
  u.pathname = '';
  return u.toString().replace(/\/$/, '');
}

export class PumpLink {
  readonly url: string;
  private client: PumpClient;
  credential: Credential | null;

  constructor(url: string) {
    this.url = url;
    this.client = new PumpClient({ connect: webSocketConnector(url), timeoutMs: 4_000, maxAttempts: 3 });
    this.credential = savedCredential(url);
  }

  get paired(): boolean {
    return this.credential !== null;
  }

  /** The simulator's stand-in for the magnet held over the pump: opens its pairing window. */
  async simulateMagnet(): Promise<void> {
    const r = await fetch(`${controlUrlOf(this.url)}/magnet`, { method: 'POST' });
    if (!r.ok) throw new Error(`the virtual pump did not open pairing (HTTP ${r.status})`);
  }

  async pair(deviceName: string): Promise<string> {
    const { credential, code } = await this.client.pair('clinician', deviceName);
    this.credential = credential;
    saveCredential(this.url, credential);
    this.client.close();
    return code;
  }

  async open(): Promise<void> {
    if (this.credential === null) throw new Error('pair with the pump first');
    try {
      await this.client.connect(this.credential);
    } catch (e) {
      if (e instanceof PumpError && e.code === 'auth-failed') {
        // The pump no longer knows this credential (revoked or another pump at this address).
        forgetCredential(this.url);
        this.credential = null;
      }
      throw e;
    }
  }

  /** Interrogate: device, status, forecast in one exchange; only the recent events (the full log goes with the upload, in the background). */
  async interrogate(recentEvents = INTERROGATION_RECENT_EVENTS): Promise<Interrogated> {
    const res = await this.client.request('interrogate');
    if (res.status !== 'ok') throw new Error(`interrogation refused: ${refusalOf(res).message}`);
    const readAtUtcMs = Date.now();
    // Checked field by field: the screens below trust every field of what they are handed.
    const b = checkBody(InterrogationBodySchema, res.body, 'the interrogation');
    const status = asPumpStatus(b.status);
    const from = Math.max(1, status.log.eventNextSeq - recentEvents);
    const events = await this.readLog('events', from, recentEvents);
    return { device: b.device, status, forecast: b.forecast, recentEvents: events, readAtUtcMs };
  }

  async status(): Promise<{ status: PumpStatus; forecast: Forecast }> {
    const s = await this.client.request('get-status');
    const f = await this.client.request('get-forecast');
    if (s.status !== 'ok' || f.status !== 'ok') throw new Error('the pump did not answer its status');
    return { status: asPumpStatus(checkBody(StatusSchema, s.body, 'the status')), forecast: checkBody(ForecastSchema, f.body, 'the forecast') };
  }

  async readLog(log: 'events' | 'therapy', fromSeq: number, max = Number.POSITIVE_INFINITY): Promise<LogRecord[]> {
    const all = await this.client.readLog(log, fromSeq);
    return all.slice(Math.max(0, all.length - max));
  }

  /**
   * Stage a change set. Returns the staged id and the soft limits the pump wants acknowledged, or
   * the pump's refusal. Journals the staged state so a lost session is noticed.
   */
  async stage(serial: string, workflow: string, changes: ChangeSet): Promise<{ ok: true; stagedId: number; softLimits: PumpIssue[] } | { ok: false; refusal: PumpRefusal }> {
    const res = await this.client.request('stage-program', { changes: changes as never });
    if (res.status !== 'ok') return { ok: false, refusal: refusalOf(res) };
    const { detail } = checkBody(StagedAnswerSchema, res.body, 'the staging answer');
    writeJournal(serial, { serial, workflow, phase: 'staged', stagedId: detail.stagedId, atUtcMs: Date.now() });
    return { ok: true, stagedId: detail.stagedId, softLimits: detail.softLimits };
  }

  async commit(serial: string, workflow: string, stagedId: number, acknowledged: string[]): Promise<{ ok: true } | { ok: false; refusal: PumpRefusal }> {
    writeJournal(serial, { serial, workflow, phase: 'committing', stagedId, atUtcMs: Date.now() });
    const res = await this.client.request('commit', { stagedId, acknowledgedSoftLimits: acknowledged });
    if (res.status !== 'ok') return { ok: false, refusal: refusalOf(res) };
    clearJournal(serial);
    return { ok: true };
  }

  async abort(serial: string): Promise<void> {
    await this.client.request('abort-staged');
    clearJournal(serial);
  }

  /** A direct command (stop, resume, alarm test, clear alarm): confirmed on the Finish screen first. */
  async command(serial: string, workflow: string, type: 'stop-therapy' | 'resume-therapy' | 'alarm-test' | 'clear-alarm', body: Record<string, string> = {}): Promise<{ ok: true } | { ok: false; refusal: PumpRefusal }> {
    writeJournal(serial, { serial, workflow, phase: 'commanding', stagedId: null, atUtcMs: Date.now() });
    const res = await this.client.request(type, body);
    if (res.status !== 'ok') return { ok: false, refusal: refusalOf(res) };
    clearJournal(serial);
    return { ok: true };
  }

  async end(): Promise<void> {
    await this.client.end();
    this.client.close();
  }

  close(): void {
    this.client.close();
  }
}
