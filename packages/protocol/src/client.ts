/**
 * The client end (programmer, patient app, tests): pairing, the session handshake, sealed
 * requests, and safe retries. Transport-agnostic: give it a `Connector`.
 *
 * Retries: every request carries a command id, reused on a retry. When an answer is lost (timeout,
 * link lost, session gone), the client reconnects if needed and, for anything that changes the
 * pump, first asks the pump for the real outcome of that id (`get-outcome`): delivered, not
 * delivered, partially delivered, in progress, done, or unknown. Only an unknown outcome is sent
 * again, and even then the pump's dedupe by command id makes a duplicate harmless.
 */
import type { ChangeSet, LogRecord, PumpStatus } from '@thecal/pump-core';
import { asPumpStatus, type PumpForecast } from '@thecal/pump-schemas';
import { bytesEqual, concatBytes, fromHex, toHex } from './bytes.ts';
import {
  counterNonce,
  ephemeralKeyPair,
  helloMac,
  open,
  pairingKeys,
  seal,
  sessionKeys,
  sharedSecret,
  systemRandom,
  transcriptHash,
  MAC_BYTES,
  type Random,
  type SessionKeys,
} from './crypto.ts';
import { FRAME_TYPE, PROTOCOL_VERSION, dataHeader, decodeFrame, decodeGrant, encodeFrame, type Frame, type Role } from './frame.ts';
import { decodeLogRecords } from './log-codec.ts';
import {
  CommandResultSchema,
  DeviceInfoSchema,
  InterrogationBodySchema,
  LogPageSchema,
  OutcomeSchema,
  StatusSchema,
  checkBody,
  decodeResponse,
  encodeRequest,
  type RequestType,
  type Response,
} from './messages.ts';
import { LinkLost, type Connector, type Link } from './transport.ts';
import { commandIdToString, toValue, type Value } from './value-codec.ts';
import { z } from 'zod';

/** What a paired device keeps (its secret is `key`; store it as such). */
export interface Credential {
  pumpSerial: string;
  credentialId: string;
  role: Role;
  /** Credential key, 64 hex digits. */
  key: string;
  deviceName: string;
}

export class PumpError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'PumpError';
  }
}

/** Requests the pump core carries out with dedupe by command id: their outcome is asked before a retry. */
const PUMP_COMMANDS: ReadonlySet<RequestType> = new Set<RequestType>([
  'stage-program',
  'commit',
  'abort-staged',
  'stage-refill',
  'stage-bolus',
  'stage-alarm-settings',
  'stop-therapy',
  'resume-therapy',
  'clear-alarm',
  'alarm-test',
  'set-clock',
  'set-utc-offset',
  'patient-bolus',
]);

export interface ClientOptions {
  connect: Connector;
  random?: Random;
  /** How long to wait for one answer. */
  timeoutMs?: number;
  /** Attempts per request (first try included). */
  maxAttempts?: number;
}

export interface ClientStats {
  roundTrips: number;
  framesSent: number;
  framesReceived: number;
  bytesSent: number;
  bytesReceived: number;
  retries: number;
  outcomeQueries: number;
  /** Frames from the pump that were dropped: undecodable, unauthentic, replayed or stale. */
  framesDropped: number;
  handshakes: number;
}

interface ClientSession {
  id: number;
  keys: SessionKeys;
  sent: number;
  received: number;
  idleTimeoutMs: number;
  lastUsedMs: number;
}

export interface Interrogation {
  device: z.infer<typeof DeviceInfoSchema>;
  status: PumpStatus;
  forecast: PumpForecast;
  events: LogRecord[];
  therapy: LogRecord[];
}

export interface RequestOptions {
  commandId?: string;
}

export class PumpClient {
  readonly stats: ClientStats = { roundTrips: 0, framesSent: 0, framesReceived: 0, bytesSent: 0, bytesReceived: 0, retries: 0, outcomeQueries: 0, framesDropped: 0, handshakes: 0 };
  private readonly connectLink: Connector;
  private readonly random: Random;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private link: Link | null = null;
  private session: ClientSession | null = null;
  private credential: Credential | null = null;

  constructor(opts: ClientOptions) {
    this.connectLink = opts.connect;
    this.random = opts.random ?? systemRandom;
    this.timeoutMs = opts.timeoutMs ?? 3_000;
    this.maxAttempts = opts.maxAttempts ?? 5;
  }

  newCommandId(): string {
    return commandIdToString(this.random(8));
  }

  get connected(): boolean {
    return this.session !== null && this.link !== null && !this.link.closed;
  }

  // ------------------------------------------------------------------ link

  private async ensureLink(): Promise<Link> {
    if (this.link === null || this.link.closed) {
      this.link = await this.connectLink();
      this.session = null;
    }
    return this.link;
  }

  private send(link: Link, frame: Uint8Array): void {
    this.stats.framesSent += 1;
    this.stats.bytesSent += frame.length;
    link.send(frame);
  }

  /** The next frame that decodes (anything else is dropped and counted). */
  private async receive(link: Link): Promise<{ frame: Frame; bytes: Uint8Array }> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new LinkLost(`no answer within ${this.timeoutMs} ms`);
      const bytes = await link.next(left);
      this.stats.framesReceived += 1;
      this.stats.bytesReceived += bytes.length;
      try {
        return { frame: decodeFrame(bytes), bytes };
      } catch {
        this.stats.framesDropped += 1;
      }
    }
  }

  close(): void {
    this.link?.close();
    this.link = null;
    this.session = null;
  }

  // ------------------------------------------------------------------ pairing

  /**
   * Pair with the pump. Works only while the pump's pairing window is open (the magnet or
   * proximity signal at the pump). Returns the credential and the 6-digit code the pump shows.
   */
  async pair(role: Role, deviceName: string): Promise<{ credential: Credential; code: string }> {
    const link = await this.ensureLink();
    const eph = ephemeralKeyPair(this.random);
    const request = encodeFrame({ type: 'pairRequest', role, publicKey: eph.publicKey, deviceName });
    this.stats.roundTrips += 1;
    this.send(link, request);
    const { frame } = await this.receive(link);
    if (frame.type === 'error') throw new PumpError(frame.code, `pairing refused: ${frame.code}${frame.code === 'pairing-not-allowed' ? ' (hold the magnet over the pump first)' : ''}`);
    if (frame.type !== 'pairResponse') throw new PumpError('bad-frame', `expected PAIR_RESPONSE, got ${frame.type}`);
    const th = transcriptHash(request, concatBytes(Uint8Array.of(PROTOCOL_VERSION, FRAME_TYPE.pairResponse), frame.publicKey));
    const { sealKey, code } = pairingKeys(sharedSecret(eph.secretKey, frame.publicKey), th);
    const plain = open(sealKey, new Uint8Array(12), th, frame.sealed);
    if (plain === null) throw new PumpError('auth-failed', 'pairing answer failed authentication');
    const grant = decodeGrant(plain);
    if (grant.role !== role) throw new PumpError('bad-frame', `asked for a ${role} credential, the pump granted ${grant.role}`);
    const credential: Credential = { pumpSerial: grant.serial, credentialId: toHex(grant.credentialId), role: grant.role, key: toHex(grant.credentialKey), deviceName };
    return { credential, code };
  }

  // ------------------------------------------------------------------ session

  /** Open an authenticated session with a paired credential (one round trip). */
  async connect(credential: Credential): Promise<void> {
    this.credential = credential;
    await this.handshake();
  }

  private async handshake(): Promise<ClientSession> {
    const cred = this.credential;
    if (cred === null) throw new Error('connect(credential) first');
    const link = await this.ensureLink();
    const eph = ephemeralKeyPair(this.random);
    const credId = fromHex(cred.credentialId);
    const key = fromHex(cred.key);
    const unsigned = encodeFrame({ type: 'hello', credentialId: credId, publicKey: eph.publicKey, mac: new Uint8Array(MAC_BYTES) });
    const hello = concatBytes(unsigned.subarray(0, -MAC_BYTES), helloMac(key, unsigned.subarray(0, -MAC_BYTES)));
    this.stats.roundTrips += 1;
    this.stats.handshakes += 1;
    this.send(link, hello);
    for (;;) {
      const { frame, bytes } = await this.receive(link);
      if (frame.type === 'error') throw new PumpError(frame.code, `session refused by the pump: ${frame.code}`);
      if (frame.type !== 'helloReply') {
        this.stats.framesDropped += 1;
        continue;
      }
      const keys = sessionKeys(sharedSecret(eph.secretKey, frame.publicKey), key, transcriptHash(hello, bytes.subarray(0, -MAC_BYTES)));
      // The pump proves it holds the same credential key (only the real pump can derive it from its root key).
      if (!bytesEqual(keys.pumpConfirm, frame.confirm)) throw new PumpError('auth-failed', 'the pump failed authentication (wrong confirmation)');
      this.session = { id: frame.sessionId, keys, sent: 0, received: 0, idleTimeoutMs: frame.idleTimeoutS * 1000, lastUsedMs: Date.now() };
      return this.session;
    }
  }

  private async ensureSession(): Promise<{ link: Link; session: ClientSession }> {
    const link = await this.ensureLink();
    let s = this.session;
    // Re-handshake a little before the pump's idle timeout rather than race it.
    if (s === null || Date.now() - s.lastUsedMs > s.idleTimeoutMs * 0.9) s = await this.handshake();
    return { link, session: s };
  }

  /** One request, one answer, on the current session. Throws LinkLost when no valid answer comes. */
  private async exchange(type: RequestType, body: Value, commandId: string): Promise<Response> {
    const { link, session } = await this.ensureSession();
    session.sent += 1;
    const header = dataHeader(session.id, session.sent);
    const frame = concatBytes(header, seal(session.keys.clientToPump, counterNonce(session.sent), header, encodeRequest({ type, commandId, body })));
    this.stats.roundTrips += 1;
    this.send(link, frame);
    session.lastUsedMs = Date.now();
    for (;;) {
      const { frame: f } = await this.receive(link);
      if (f.type === 'error') {
        if (f.code === 'unknown-session' || f.code === 'session-expired') {
          // Unauthenticated hint; the worst an attacker can do with it is make us handshake again.
          this.session = null;
          throw new LinkLost(`session ended by the pump (${f.code})`);
        }
        this.stats.framesDropped += 1;
        continue;
      }
      if (f.type !== 'data' || f.sessionId !== session.id || f.counter <= session.received) {
        this.stats.framesDropped += 1;
        continue;
      }
      const plain = open(session.keys.pumpToClient, counterNonce(f.counter), dataHeader(f.sessionId, f.counter), f.sealed);
      if (plain === null) {
        this.stats.framesDropped += 1;
        continue;
      }
      session.received = f.counter;
      let res: Response;
      try {
        res = decodeResponse(plain);
      } catch {
        this.stats.framesDropped += 1;
        continue;
      }
      // An answer to an earlier, already-settled request (e.g. a duplicate): not ours.
      if (res.commandId !== commandId || res.type !== type) {
        this.stats.framesDropped += 1;
        continue;
      }
      if (type === 'end-telemetry') this.session = null;
      return res;
    }
  }

  /**
   * Send a request and return the pump's answer, retrying safely over lost answers and links.
   * The answer may be `ok`, `refused` (by the pump), `denied` (role) or `bad-request`.
   */
  async request(type: RequestType, body: Value = {}, opts: RequestOptions = {}): Promise<Response> {
    const commandId = opts.commandId ?? this.newCommandId();
    let last: unknown = null;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      try {
        if (attempt > 1) {
          this.stats.retries += 1;
          if (PUMP_COMMANDS.has(type)) {
            const known = await this.recoveredOutcome(commandId);
            if (known !== null) return { type, commandId, status: known.ok ? 'ok' : 'refused', body: toValue(known) };
          }
        }
        return await this.exchange(type, body, commandId);
      } catch (e) {
        if (!(e instanceof LinkLost)) throw e;
        last = e;
        if (this.link?.closed === true) this.link = null;
      }
    }
    throw new PumpError('link-lost', `no answer to ${type} after ${this.maxAttempts} attempts: ${last instanceof Error ? last.message : String(last)}`);
  }

  /** The stored result of a command the pump already received, or null if it never did. */
  private async recoveredOutcome(commandId: string): Promise<z.infer<typeof CommandResultSchema> | null> {
    this.stats.outcomeQueries += 1;
    const res = await this.exchange('get-outcome', { commandId }, this.newCommandId());
    if (res.status !== 'ok') return null;
    const o = OutcomeSchema.parse(res.body);
    return o.known && o.result !== undefined ? o.result : null;
  }

  /** The real outcome of an earlier command (delivered, not delivered, partially delivered, ...). */
  async outcome(commandId: string): Promise<z.infer<typeof OutcomeSchema>> {
    const res = await this.request('get-outcome', { commandId });
    this.expectOk(res);
    return OutcomeSchema.parse(res.body);
  }

  private expectOk(res: Response): void {
    if (res.status !== 'ok') {
      const b = res.body as { error?: string; message?: string; reason?: string };
      throw new PumpError(res.status === 'refused' ? (b.reason ?? 'refused') : res.status, `${res.type}: ${b.error ?? b.message ?? res.status}`);
    }
  }

  // ------------------------------------------------------------------ what the apps call

  async deviceInfo(): Promise<z.infer<typeof DeviceInfoSchema>> {
    const res = await this.request('get-device-info');
    this.expectOk(res);
    return DeviceInfoSchema.parse(res.body);
  }

  async status(): Promise<PumpStatus> {
    const res = await this.request('get-status');
    this.expectOk(res);
    return asPumpStatus(checkBody(StatusSchema, res.body, 'the status'));
  }

  /** Every record of a log from `fromSeq`, page by page. */
  async readLog(log: 'events' | 'therapy', fromSeq = 1): Promise<LogRecord[]> {
    const out: LogRecord[] = [];
    let from = fromSeq;
    for (let pages = 0; pages < 10_000; pages++) {
      const res = await this.request('read-log', { log, fromSeq: from });
      this.expectOk(res);
      const page = LogPageSchema.parse(res.body);
      const records = decodeLogRecords(page.records);
      out.push(...records);
      const last = records[records.length - 1];
      if (!page.more || last === undefined) break;
      from = last.seq + 1;
    }
    return out;
  }

  /** A full interrogation: device, status and forecast in one exchange, then the logs from the given sequence numbers. */
  async interrogate(opts: { eventsFromSeq?: number; therapyFromSeq?: number } = {}): Promise<Interrogation> {
    const res = await this.request('interrogate');
    this.expectOk(res);
    const b = checkBody(InterrogationBodySchema, res.body, 'the interrogation');
    const events = await this.readLog('events', opts.eventsFromSeq ?? 1);
    const therapy = await this.readLog('therapy', opts.therapyFromSeq ?? 1);
    return { device: b.device, status: asPumpStatus(b.status), forecast: b.forecast, events, therapy };
  }

  /**
   * Stage a change set and commit it. `acknowledge` names the soft limits the clinician accepted
   * ('all' accepts whatever the pump reports; for tests and demos). Returns both answers.
   */
  async changeProgram(changes: ChangeSet, acknowledge: 'all' | string[] = []): Promise<{ stage: Response; commit: Response | null }> {
    const stage = await this.request('stage-program', { changes: toValue(changes) });
    if (stage.status !== 'ok') return { stage, commit: null };
    const detail = (stage.body as { detail?: { stagedId?: number; softLimits?: { code: string }[] } }).detail ?? {};
    const stagedId = detail.stagedId;
    if (typeof stagedId !== 'number') throw new PumpError('bad-frame', 'stage answer without a staged id');
    const ack = acknowledge === 'all' ? (detail.softLimits ?? []).map((s) => s.code) : acknowledge;
    const commit = await this.request('commit', { stagedId, acknowledgedSoftLimits: ack });
    return { stage, commit };
  }

  /** End telemetry mode: the pump drops the session keys. */
  async end(): Promise<void> {
    if (this.session === null) return;
    try {
      await this.exchange('end-telemetry', {}, this.newCommandId());
    } catch {
      /* the session ends at the pump's timeout anyway */
    }
    this.session = null;
  }
}
