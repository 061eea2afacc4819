/**
 * The app's one link to the pump: the protocol's PumpClient over the browser's WebSocket, with a
 * patient credential. Every request goes through one queue (the client reads one answer at a
 * time, and a pump is best driven by one command at a time). What this phone keeps: the
 * credential, the pump address, and the id of a dose request whose answer it has not seen.
 */
import { PatientStatusSchema, PumpClient, PumpError, webSocketConnector, type Credential, type Response, type WebSocketConstructor } from '@thecal/protocol';
import type { LogRecord, PumpStatus } from '@thecal/pump-core';
import type { KeyValueStore } from './outbox.ts';

export type PatientStatus = ReturnType<typeof PatientStatusSchema.parse>;
/** The pump's full status, checked field by field by the protocol client. */
export type FullStatus = PumpStatus;

const KEYS = { credential: 'thecal-ptm.credential', radio: 'thecal-ptm.radio-url', pending: 'thecal-ptm.pending-bolus' } as const;

export interface PendingBolus {
  commandId: string;
  requestedAtWallMs: number;
}

export function defaultRadioUrl(loc: { hostname: string; search: string }): string {
  const q = new URLSearchParams(loc.search).get('pump');
  if (q !== null && /^wss?:\/\//.test(q)) return q;
  return `ws://${loc.hostname || '127.0.0.1'}:7001/radio`;
}

/** The simulator's control endpoint beside its radio (ws://h:p/radio -> http://h:p). */
export function controlUrlFor(radioUrl: string): string {
  const u = new URL(radioUrl);
  return `${u.protocol === 'wss:' ? 'https:' : 'http:'}//${u.host}`;
}

export class PumpLink {
  private client: PumpClient;
  private connected = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly radioUrl: string,
    private credential: Credential | null,
    WebSocketImpl: WebSocketConstructor,
  ) {
    this.client = new PumpClient({ connect: webSocketConnector(radioUrl, WebSocketImpl, 4_000), timeoutMs: 3_000, maxAttempts: 3 });
  }

  get paired(): Credential | null {
    return this.credential;
  }

  get stats(): PumpClient['stats'] {
    return this.client.stats;
  }

  newCommandId(): string {
    return this.client.newCommandId();
  }

  private serial<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job, job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async session(): Promise<PumpClient> {
    if (this.credential === null) throw new PumpError('not-paired', 'this phone is not paired with a pump');
    if (!this.connected) {
      await this.client.connect(this.credential);
      this.connected = true;
    }
    return this.client;
  }

  pair(deviceName: string): Promise<{ credential: Credential; code: string }> {
    return this.serial(async () => {
      try {
        const r = await this.client.pair('patient', deviceName);
        if (r.credential.role !== 'patient') throw new PumpError('bad-frame', 'the pump granted a credential other than patient');
        this.credential = r.credential;
        this.connected = false;
        return r;
      } finally {
        // Pairing and sessions use separate links: the pairing link is done.
        this.client.close();
      }
    });
  }

  status(): Promise<FullStatus> {
    return this.serial(async () => (await this.session()).status());
  }

  patientStatus(): Promise<PatientStatus> {
    return this.serial(async () => {
      const res = await (await this.session()).request('patient-status');
      if (res.status !== 'ok') throw new PumpError(res.status, 'patient-status refused');
      return PatientStatusSchema.parse(res.body);
    });
  }

  /** Asks for a patient bolus under a command id chosen (and stored) before anything is sent. */
  requestBolus(commandId: string): Promise<Response> {
    return this.serial(async () => (await this.session()).request('patient-bolus', {}, { commandId }));
  }

  outcome(commandId: string) {
    return this.serial(async () => (await this.session()).outcome(commandId));
  }

  clearAlarm(code: string): Promise<Response> {
    return this.serial(async () => (await this.session()).request('clear-alarm', { code }));
  }

  therapyLog(fromSeq = 1): Promise<LogRecord[]> {
    return this.serial(async () => (await this.session()).readLog('therapy', fromSeq));
  }

  close(): void {
    this.client.close();
    this.connected = false;
  }
}

export const storage = {
  credential(store: KeyValueStore): Credential | null {
    try {
      const raw = store.getItem(KEYS.credential);
      if (raw === null) return null;
      const c = JSON.parse(raw) as Credential;
      return c.role === 'patient' && typeof c.key === 'string' ? c : null;
    } catch {
      return null;
    }
  },
  saveCredential(store: KeyValueStore, c: Credential | null): void {
    store.setItem(KEYS.credential, c === null ? 'null' : JSON.stringify(c));
  },
  radioUrl(store: KeyValueStore): string | null {
    return store.getItem(KEYS.radio);
  },
  saveRadioUrl(store: KeyValueStore, url: string): void {
    store.setItem(KEYS.radio, url);
  },
  pending(store: KeyValueStore): PendingBolus | null {
    try {
      const raw = store.getItem(KEYS.pending);
      return raw === null ? null : (JSON.parse(raw) as PendingBolus | null);
    } catch {
      return null;
    }
  },
  savePending(store: KeyValueStore, p: PendingBolus | null): void {
    store.setItem(KEYS.pending, JSON.stringify(p));
  },
};
