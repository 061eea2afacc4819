/**
 * The pump's end of the link: takes raw frames from the radio, answers with raw frames. Pairing
 * (only inside a window opened by a physical signal at the pump), the session handshake, per-frame
 * authenticated decryption with per-direction counters, deny-by-default roles, and the security
 * log. It holds no clock and does no I/O: each frame comes with the pump's time and the link's
 * time (sessions time out in real time, whatever the simulation speed).
 *
 * `receive` never throws on bad input and never changes the pump unless the frame is a valid,
 * authenticated, fresh DATA frame of a session (or a pairing request inside the window).
 */
import type { Pump } from '@thecal/pump-core';
import { bytesEqual, toHex, concatBytes } from './bytes.ts';
import {
  counterNonce,
  credentialKey,
  ephemeralKeyPair,
  helloMac,
  open,
  pairingKeys,
  seal,
  sessionKeys,
  sharedSecret,
  transcriptHash,
  CREDENTIAL_ID_BYTES,
  MAC_BYTES,
  type Random,
  type SessionKeys,
} from './crypto.ts';
import { ProtocolError } from './errors.ts';
import {
  FRAME_TYPE,
  MAX_PLAINTEXT_BYTES,
  MAX_SUPPORTED_VERSION,
  MIN_SUPPORTED_VERSION,
  PROTOCOL_VERSION,
  ROLE_BYTE,
  dataHeader,
  decodeFrame,
  encodeFrame,
  encodeGrant,
  type ErrorCodeName,
  type Frame,
  type Role,
} from './frame.ts';
import { HANDLERS, type HandlerResult } from './handlers.ts';
import type { KeyStore } from './keystore.ts';
import { REQUEST_TYPES, decodeRequest, encodeResponse, parseRequestBody, type Request, type RequestType } from './messages.ts';
import { isAllowed } from './roles.ts';
import { SecurityLog, type SecurityKind } from './security-log.ts';

export interface LinkTime {
  /** The pump core's time (simulated; may run faster than real time). */
  pumpMs: number;
  /** Real time of the link, for session and pairing timeouts. */
  linkMs: number;
}

export interface RadioResult {
  /** The frame to send back, if any. */
  reply: Uint8Array | null;
  /** Why the frame was refused, or null if it was accepted. */
  rejected: SecurityKind | null;
  /** The request that was carried out (for the shell: save memory before sending the reply). */
  request: RequestType | null;
}

export interface RadioOptions {
  pump: Pump;
  keys: KeyStore;
  random: Random;
  idleTimeoutMs?: number;
  maxSessionMs?: number;
  /** A HELLO_REPLY not followed by a valid DATA frame within this time is forgotten. */
  handshakeTimeoutMs?: number;
  maxSessions?: number;
  pairingWindowMs?: number;
  /** Failed HELLOs within a minute before HELLOs are refused for a minute. */
  maxFailedAuthPerMinute?: number;
  /**
   * Pump seconds per real second when the pump is simulated faster than real time (a virtual
   * pump at 60x): told to the programmer in the device info, so it does not take the pump's
   * clock running ahead of its own for a fault. Absent or 1 for a pump in real time.
   */
  clockRate?: number;
  onKeysChanged?: () => void;
  onPaired?: (p: { credentialId: string; role: Role; deviceName: string; code: string }) => void;
}

interface Session {
  id: number;
  credentialId: string;
  role: Role;
  keys: SessionKeys;
  /** Highest client-to-pump counter accepted; a frame must carry a higher one. */
  receivedCounter: number;
  sentCounter: number;
  openedLinkMs: number;
  lastLinkMs: number;
  confirmed: boolean;
}

const MINUTE_MS = 60_000;

export class PumpRadio {
  pump: Pump;
  readonly keys: KeyStore;
  readonly security: SecurityLog;
  readonly idleTimeoutMs: number;
  readonly maxSessionMs: number;
  private readonly handshakeTimeoutMs: number;
  private readonly maxSessions: number;
  private readonly pairingWindowMs: number;
  private readonly maxFailedAuth: number;
  private readonly random: Random;
  private readonly sessions = new Map<number, Session>();
  private pairingUntilLinkMs = -1;
  private failedAuthLinkMs: number[] = [];
  private lockedUntilLinkMs = -1;
  /** Ephemeral keys of recent HELLOs: a replayed HELLO is noticed (and useless anyway). */
  private readonly recentHellos: string[] = [];
  private readonly opts: RadioOptions;
  private nowPumpMs = 0;

  constructor(opts: RadioOptions) {
    this.opts = opts;
    this.pump = opts.pump;
    this.keys = opts.keys;
    this.random = opts.random;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 2 * MINUTE_MS;
    this.maxSessionMs = opts.maxSessionMs ?? 30 * MINUTE_MS;
    this.handshakeTimeoutMs = opts.handshakeTimeoutMs ?? 15_000;
    this.maxSessions = opts.maxSessions ?? 4;
    this.pairingWindowMs = opts.pairingWindowMs ?? MINUTE_MS;
    this.maxFailedAuth = opts.maxFailedAuthPerMinute ?? 20;
    this.security = new SecurityLog((kind, detail) => this.pump.logSecurityEvent(Math.max(this.nowPumpMs, this.pump.nowMs), kind, detail));
  }

  // ------------------------------------------------------------------ physical signal of intent

  /** The magnet / proximity event at the pump: pairing is possible for a short while, once. */
  openPairingWindow(linkMs: number, durationMs = this.pairingWindowMs): void {
    this.pairingUntilLinkMs = linkMs + durationMs;
  }
  closePairingWindow(): void {
    this.pairingUntilLinkMs = -1;
  }
  pairingOpen(linkMs: number): boolean {
    return linkMs < this.pairingUntilLinkMs;
  }

  get activeSessions(): number {
    return this.sessions.size;
  }

  // ------------------------------------------------------------------ frames in

  receive(bytes: Uint8Array, at: LinkTime): RadioResult {
    this.nowPumpMs = Math.max(at.pumpMs, this.pump.nowMs);
    this.expire(at);
    let frame: Frame;
    try {
      frame = decodeFrame(bytes);
    } catch (e) {
      if (e instanceof ProtocolError && e.code === 'unsupported-version') {
        return this.refuse('unsupported-version', `version ${bytes[0] ?? '?'} frame refused: ${e.message}`, at, 'unsupported-version');
      }
      const why = e instanceof ProtocolError ? e.message : String(e);
      return this.refuse('bad-frame', `${bytes.length}-byte frame: ${why}`, at, 'bad-frame');
    }
    switch (frame.type) {
      case 'pairRequest':
        return this.pair(frame, bytes, at);
      case 'hello':
        return this.hello(frame, bytes, at);
      case 'data':
        return this.data(frame, at);
      default:
        return this.refuse('unexpected-frame', `a pump-to-client ${frame.type} frame was sent to the pump`, at, null);
    }
  }

  /** Housekeeping the shell calls now and then: session timeouts, the security log's suppressed counts. */
  tick(at: LinkTime): void {
    this.nowPumpMs = Math.max(at.pumpMs, this.pump.nowMs);
    this.expire(at);
    this.security.flush(at.linkMs);
  }

  private refuse(kind: SecurityKind, detail: string, at: LinkTime, answer: ErrorCodeName | null): RadioResult {
    this.security.record(kind, detail, at.linkMs);
    const reply = answer === null ? null : encodeFrame({ type: 'error', code: answer, minVersion: MIN_SUPPORTED_VERSION, maxVersion: MAX_SUPPORTED_VERSION });
    return { reply, rejected: kind, request: null };
  }

  // ------------------------------------------------------------------ pairing

  private pair(f: Extract<Frame, { type: 'pairRequest' }>, bytes: Uint8Array, at: LinkTime): RadioResult {
    if (!this.pairingOpen(at.linkMs)) return this.refuse('pairing-refused', `pairing request from "${f.deviceName}" (${f.role}) with no magnet at the pump`, at, 'pairing-not-allowed');
    const eph = ephemeralKeyPair(this.random);
    let shared: Uint8Array;
    try {
      shared = sharedSecret(eph.secretKey, f.publicKey);
    } catch {
      return this.refuse('bad-frame', 'pairing request with an invalid (low-order) public key', at, 'bad-frame');
    }
    const idBytes = this.random(CREDENTIAL_ID_BYTES);
    const id = toHex(idBytes);
    const responseHead = concatBytes(Uint8Array.of(PROTOCOL_VERSION, FRAME_TYPE.pairResponse), eph.publicKey);
    const th = transcriptHash(bytes, responseHead);
    const { sealKey, code } = pairingKeys(shared, th);
    const grant = encodeGrant({ credentialId: idBytes, role: f.role, credentialKey: credentialKey(this.keys.rootKey, idBytes, ROLE_BYTE[f.role]), serial: this.pump.serial });
    const sealed = seal(sealKey, new Uint8Array(12), th, grant);
    this.keys.add({ id, role: f.role, name: f.deviceName, pairedAtUtcMs: this.pump.status().pumpUtcMs, revoked: false });
    // One signal of intent pairs one device.
    this.closePairingWindow();
    this.security.record('paired', `${f.role} credential ${id} for "${f.deviceName}", code ${code}`, at.linkMs);
    this.opts.onKeysChanged?.();
    this.opts.onPaired?.({ credentialId: id, role: f.role, deviceName: f.deviceName, code });
    return { reply: encodeFrame({ type: 'pairResponse', publicKey: eph.publicKey, sealed }), rejected: null, request: null };
  }

  // ------------------------------------------------------------------ handshake

  private hello(f: Extract<Frame, { type: 'hello' }>, bytes: Uint8Array, at: LinkTime): RadioResult {
    if (at.linkMs < this.lockedUntilLinkMs) return this.refuse('auth-lockout', 'HELLO refused: too many failed authentications in the last minute', at, 'busy');
    const id = toHex(f.credentialId);
    const cred = this.keys.get(id);
    // Unknown, revoked and wrong-MAC all get the same answer: no oracle for which credentials exist.
    if (cred === undefined) return this.failAuth('unknown-credential', `HELLO with unknown credential ${id}`, at);
    if (cred.revoked) return this.failAuth('revoked-credential', `HELLO with revoked credential ${id} ("${cred.name}")`, at);
    const credKey = credentialKey(this.keys.rootKey, f.credentialId, ROLE_BYTE[cred.role]);
    if (!bytesEqual(helloMac(credKey, bytes.subarray(0, bytes.length - MAC_BYTES)), f.mac)) return this.failAuth('auth-failed', `HELLO with a wrong MAC for credential ${id}`, at);
    const ephHex = toHex(f.publicKey);
    if (this.recentHellos.includes(ephHex)) return this.refuse('hello-replay', `replayed HELLO for credential ${id}`, at, 'auth-failed');
    this.recentHellos.push(ephHex);
    if (this.recentHellos.length > 256) this.recentHellos.shift();
    let shared: Uint8Array;
    const eph = ephemeralKeyPair(this.random);
    try {
      shared = sharedSecret(eph.secretKey, f.publicKey);
    } catch {
      return this.refuse('bad-frame', 'HELLO with an invalid (low-order) public key', at, 'bad-frame');
    }
    let sessionId = 0;
    while (sessionId === 0 || this.sessions.has(sessionId)) {
      const b = this.random(4);
      sessionId = new DataView(b.buffer, b.byteOffset, 4).getUint32(0);
    }
    const idleTimeoutS = Math.round(this.idleTimeoutMs / 1000);
    const maxSessionS = Math.round(this.maxSessionMs / 1000);
    const withoutConfirm = encodeFrame({ type: 'helloReply', sessionId, publicKey: eph.publicKey, idleTimeoutS, maxSessionS, confirm: new Uint8Array(MAC_BYTES) }).subarray(0, -MAC_BYTES);
    const keys = sessionKeys(shared, credKey, transcriptHash(bytes, withoutConfirm));
    this.makeRoom(at);
    this.sessions.set(sessionId, { id: sessionId, credentialId: id, role: cred.role, keys, receivedCounter: 0, sentCounter: 0, openedLinkMs: at.linkMs, lastLinkMs: at.linkMs, confirmed: false });
    return { reply: concatBytes(withoutConfirm, keys.pumpConfirm), rejected: null, request: null };
  }

  private failAuth(kind: SecurityKind, detail: string, at: LinkTime): RadioResult {
    this.failedAuthLinkMs = this.failedAuthLinkMs.filter((t) => at.linkMs - t < MINUTE_MS && t <= at.linkMs);
    this.failedAuthLinkMs.push(at.linkMs);
    if (this.failedAuthLinkMs.length >= this.maxFailedAuth) {
      this.lockedUntilLinkMs = at.linkMs + MINUTE_MS;
      this.failedAuthLinkMs = [];
      this.security.record('auth-lockout', `${this.maxFailedAuth} failed authentications within a minute: HELLO refused for 60 s`, at.linkMs);
    }
    return this.refuse(kind, detail, at, 'auth-failed');
  }

  /** At most maxSessions: the oldest half-open handshake goes first, then the oldest session. */
  private makeRoom(at: LinkTime): void {
    while (this.sessions.size >= this.maxSessions) {
      const all = [...this.sessions.values()];
      const victim = all.find((s) => !s.confirmed) ?? all.reduce((a, b) => (a.lastLinkMs <= b.lastLinkMs ? a : b));
      this.close(victim, at, 'replaced by a newer session');
    }
  }

  private expire(at: LinkTime): void {
    for (const s of [...this.sessions.values()]) {
      const reason = this.expiry(s, at.linkMs);
      if (reason !== null) this.close(s, at, reason);
    }
  }

  private expiry(s: Session, linkMs: number): string | null {
    if (!s.confirmed && linkMs - s.openedLinkMs >= this.handshakeTimeoutMs) return 'handshake not completed';
    if (linkMs - s.lastLinkMs >= this.idleTimeoutMs) return 'idle timeout';
    if (linkMs - s.openedLinkMs >= this.maxSessionMs) return 'session lifetime reached';
    return null;
  }

  /** End a session: its keys are dropped, and the radio time it used is charged to the battery. */
  private close(s: Session, at: LinkTime, reason: string): void {
    this.sessions.delete(s.id);
    if (!s.confirmed) return;
    const durationMs = Math.max(0, s.lastLinkMs - s.openedLinkMs);
    this.pump.execute(Math.max(this.nowPumpMs, this.pump.nowMs), `radio:${s.id.toString(16).padStart(8, '0')}:${s.openedLinkMs}`, { type: 'telemetry-session', durationMs });
    this.security.record('session-closed', `session ${s.id.toString(16).padStart(8, '0')} (${s.role} ${s.credentialId}) closed: ${reason}`, at.linkMs);
  }

  // ------------------------------------------------------------------ data

  private data(f: Extract<Frame, { type: 'data' }>, at: LinkTime): RadioResult {
    const sid = f.sessionId.toString(16).padStart(8, '0');
    const s = this.sessions.get(f.sessionId);
    if (s === undefined) return this.refuse('unknown-session', `DATA for unknown or expired session ${sid}`, at, 'unknown-session');
    if (f.counter <= s.receivedCounter) return this.refuse('replay', `DATA counter ${f.counter} <= ${s.receivedCounter} on session ${sid} (replayed or reordered)`, at, null);
    const plain = open(s.keys.clientToPump, counterNonce(f.counter), dataHeader(f.sessionId, f.counter), f.sealed);
    // Only an authentic frame moves the counter or the idle timer: forgeries cannot push a session around.
    if (plain === null) return this.refuse('decrypt-failed', `DATA on session ${sid} counter ${f.counter} failed authentication (altered or forged)`, at, null);
    s.receivedCounter = f.counter;
    s.lastLinkMs = at.linkMs;
    if (!s.confirmed) {
      s.confirmed = true;
      this.security.record('session-opened', `session ${sid} for ${s.role} credential ${s.credentialId}`, at.linkMs);
    }
    let req: Request;
    try {
      req = decodeRequest(plain);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      this.security.record('bad-request', `session ${sid}: undecodable request: ${msg}`, at.linkMs);
      const partial = this.answerUndecodable(plain, msg);
      return { reply: partial === null ? null : this.sealFor(s, partial), rejected: 'bad-request', request: null };
    }
    const result = this.handle(s, req, at);
    let plainReply = encodeResponse({ type: req.type, commandId: req.commandId, status: result.status, body: result.body });
    if (plainReply.length > MAX_PLAINTEXT_BYTES) {
      // Never the case for the pump's own data within the limits (docs/protocol.md); refuse rather than send a frame the client must drop.
      plainReply = encodeResponse({ type: req.type, commandId: req.commandId, status: 'refused', body: { error: `answer of ${plainReply.length} bytes exceeds the ${MAX_PLAINTEXT_BYTES}-byte frame payload` } });
    }
    const reply = this.sealFor(s, plainReply);
    if (this.endAfterReply.has(s.id)) {
      this.endAfterReply.delete(s.id);
      this.close(s, at, 'ended by the client');
    }
    const rejected: SecurityKind | null = result.status === 'denied' ? 'role-denied' : result.status === 'bad-request' ? 'bad-request' : null;
    return { reply, rejected, request: rejected === null ? req.type : null };
  }

  private readonly endAfterReply = new Set<number>();

  /** A request whose type and id could be read but whose body could not: answer "bad-request" so the client learns why. */
  private answerUndecodable(plain: Uint8Array, error: string): Uint8Array | null {
    if (plain.length < 1 + CREDENTIAL_ID_BYTES) return null;
    const type = (Object.keys(REQUEST_TYPES) as RequestType[]).find((t) => REQUEST_TYPES[t] === plain[0]);
    if (type === undefined) return null;
    const commandId = `r:${toHex(plain.subarray(1, 1 + CREDENTIAL_ID_BYTES))}`;
    return encodeResponse({ type, commandId, status: 'bad-request', body: { error } });
  }

  private handle(s: Session, req: Request, at: LinkTime): HandlerResult {
    const sid = s.id.toString(16).padStart(8, '0');
    if (!isAllowed(s.role, req.type)) {
      this.security.record('role-denied', `${s.role} credential ${s.credentialId} may not send ${req.type} (session ${sid})`, at.linkMs);
      return { status: 'denied', body: { error: `the ${s.role} role may not send ${req.type}` } };
    }
    const parsed = parseRequestBody(req.type, req.body);
    if (!parsed.ok) {
      this.security.record('bad-request', `session ${sid}: ${req.type}: ${parsed.error}`, at.linkMs);
      return { status: 'bad-request', body: { error: `${req.type}: ${parsed.error}` } };
    }
    let result: HandlerResult;
    try {
      result = this.runHandler(s, req, parsed.body, at);
    } catch (e) {
      // A fault in the pump below must not take the radio down; it is counted, and the fuzz suite fails on any.
      this.internalErrors += 1;
      this.security.record('bad-request', `session ${sid}: ${req.type} failed inside the pump: ${e instanceof Error ? e.message : String(e)}`, at.linkMs);
      return { status: 'refused', body: { error: `${req.type} could not be carried out` } };
    }
    if (result.status === 'denied') this.security.record('role-denied', `${s.role} credential ${s.credentialId}: ${req.type} refused (session ${sid})`, at.linkMs);
    return result;
  }

  /** Faults inside the pump caught while handling a request (should stay 0). */
  internalErrors = 0;

  private runHandler(s: Session, req: Request, body: unknown, at: LinkTime): HandlerResult {
    // Reads report the pump as it is now: time has passed since the shell last advanced it.
    this.pump.advanceTo(Math.max(this.nowPumpMs, this.pump.nowMs));
    return HANDLERS[req.type]({
      pump: this.pump,
      keys: this.keys,
      atMs: Math.max(this.nowPumpMs, this.pump.nowMs),
      commandId: req.commandId,
      role: s.role,
      credentialId: s.credentialId,
      body,
      endSession: () => this.endAfterReply.add(s.id),
      revoke: (id) => this.revoke(id, at, s),
      clockRate: this.opts.clockRate ?? 1,
    });
  }

  private revoke(id: string, at: LinkTime, current: Session): boolean {
    const was = this.keys.revoke(id);
    if (!was) return false;
    for (const s of [...this.sessions.values()]) {
      if (s.credentialId !== id) continue;
      if (s.id === current.id) this.endAfterReply.add(s.id);
      else this.close(s, at, 'credential revoked');
    }
    this.security.record('credential-revoked', `credential ${id} revoked`, at.linkMs);
    this.opts.onKeysChanged?.();
    return true;
  }

  private sealFor(s: Session, plaintext: Uint8Array): Uint8Array {
    s.sentCounter += 1;
    const header = dataHeader(s.id, s.sentCounter);
    return concatBytes(header, seal(s.keys.pumpToClient, counterNonce(s.sentCounter), header, plaintext));
  }
}
