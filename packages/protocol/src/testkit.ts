/**
 * A pump with its radio, and a synchronous raw client that can build any frame (valid, forged,
 * replayed) without a transport: for tests, the fuzz campaigns, test vectors and benchmarks.
 * Not part of the protocol API.
 */
import { Pump, type ChangeSet, type Prescription } from '@thecal/pump-core';
import { bytesEqual, concatBytes, fromHex, toHex } from './bytes.ts';
import { counterNonce, deterministicRandom, ephemeralKeyPair, helloMac, open, pairingKeys, seal, sessionKeys, sharedSecret, transcriptHash, MAC_BYTES, type Random, type SessionKeys } from './crypto.ts';
import { FRAME_TYPE, PROTOCOL_VERSION, dataHeader, decodeFrame, decodeGrant, encodeFrame, type Role } from './frame.ts';
import { KeyStore } from './keystore.ts';
import { decodeResponse, encodeRequest, type Request, type RequestType, type Response } from './messages.ts';
import { PumpRadio, type LinkTime } from './pump-radio.ts';
import type { Credential } from './client.ts';
import { commandIdToString, type Value } from './value-codec.ts';

export const T0 = Date.UTC(2026, 0, 1);
export const MORPHINE_RX: Prescription = {
  drugId: 'morphine',
  concentrationMcgPerMl: 25_000,
  basal: { kind: 'continuous', rateNlPerDay: 500_000 },
  maxRateNlPerDay: 1_000_000,
  maxDailyDosePg: 18_000_000_000,
  patientBolus: { volumeNl: 10_000, durationMs: 10 * 60_000, lockoutMs: 60 * 60_000, maxPer24h: 8 },
};
export const FIRST_FILL: ChangeSet = { refill: { withdrawnNl: 0, filledNl: 20_000_000, drugId: 'morphine', concentrationMcgPerMl: 25_000 }, prescription: MORPHINE_RX };

export interface Rig {
  pump: Pump;
  radio: PumpRadio;
  keys: KeyStore;
  /** Current times; tests move them. */
  at: LinkTime;
  clinician: Credential;
  patient: Credential;
  random: Random;
  send(frame: Uint8Array): ReturnType<PumpRadio['receive']>;
}

/** A programmed pump (morphine, continuous, patient boluses on) with a clinician and a patient paired. */
export function makeRig(seed = 'rig', opts: { program?: boolean; clockRate?: number } = {}): Rig {
  const random = deterministicRandom(`${seed}/pump`);
  const pump = Pump.manufacture({ serial: 'TH-TEST', model: 'thecal-40', atMs: T0 });
  if (opts.program ?? true) {
    const st = pump.execute(T0, 'setup-stage', { type: 'stage', changes: FIRST_FILL });
    if (!st.ok) throw new Error(`rig: ${st.message}`);
    const c = pump.execute(T0, 'setup-commit', { type: 'commit', stagedId: st.detail['stagedId'] as number, acknowledgedSoftLimits: [] });
    if (!c.ok) throw new Error(`rig: ${c.message}`);
  }
  const keys = KeyStore.manufacture('TH-TEST', 'thecal-40', random);
  const radio = new PumpRadio({ pump, keys, random, ...(opts.clockRate === undefined ? {} : { clockRate: opts.clockRate }) });
  const at: LinkTime = { pumpMs: T0, linkMs: 1_000_000 };
  const send = (frame: Uint8Array) => radio.receive(frame, at);
  const crand = deterministicRandom(`${seed}/client`);
  radio.openPairingWindow(at.linkMs);
  const clinician = rawPair(send, 'clinician', 'Programmer', crand);
  radio.openPairingWindow(at.linkMs);
  const patient = rawPair(send, 'patient', 'PTM', crand);
  return { pump, radio, keys, at, clinician, patient, random: crand, send };
}

/** Pairing without a transport; throws if the pump refuses. */
export function rawPair(send: (f: Uint8Array) => { reply: Uint8Array | null }, role: Role, name: string, random: Random): Credential {
  const eph = ephemeralKeyPair(random);
  const req = encodeFrame({ type: 'pairRequest', role, publicKey: eph.publicKey, deviceName: name });
  const reply = send(req).reply;
  if (reply === null) throw new Error('no pairing answer');
  const f = decodeFrame(reply);
  if (f.type !== 'pairResponse') throw new Error(`pairing refused: ${f.type === 'error' ? f.code : f.type}`);
  const th = transcriptHash(req, concatBytes(Uint8Array.of(PROTOCOL_VERSION, FRAME_TYPE.pairResponse), f.publicKey));
  const { sealKey } = pairingKeys(sharedSecret(eph.secretKey, f.publicKey), th);
  const plain = open(sealKey, new Uint8Array(12), th, f.sealed);
  if (plain === null) throw new Error('grant failed authentication');
  const g = decodeGrant(plain);
  return { pumpSerial: g.serial, credentialId: toHex(g.credentialId), role: g.role, key: toHex(g.credentialKey), deviceName: name };
}

/** A session opened synchronously; frames are built by hand so tests can bend every field. */
export class RawSession {
  readonly id: number;
  readonly keys: SessionKeys;
  sent = 0;
  received = 0;
  readonly helloFrame: Uint8Array;
  readonly replyFrame: Uint8Array;

  constructor(
    private readonly send: (f: Uint8Array) => { reply: Uint8Array | null },
    readonly credential: Credential,
    private readonly random: Random,
  ) {
    const eph = ephemeralKeyPair(random);
    const key = fromHex(credential.key);
    const unsigned = encodeFrame({ type: 'hello', credentialId: fromHex(credential.credentialId), publicKey: eph.publicKey, mac: new Uint8Array(MAC_BYTES) });
    this.helloFrame = concatBytes(unsigned.subarray(0, -MAC_BYTES), helloMac(key, unsigned.subarray(0, -MAC_BYTES)));
    const reply = send(this.helloFrame).reply;
    if (reply === null) throw new Error('no HELLO_REPLY');
    const f = decodeFrame(reply);
    if (f.type !== 'helloReply') throw new Error(`handshake refused: ${f.type === 'error' ? f.code : f.type}`);
    this.replyFrame = reply;
    this.keys = sessionKeys(sharedSecret(eph.secretKey, f.publicKey), key, transcriptHash(this.helloFrame, reply.subarray(0, -MAC_BYTES)));
    if (!bytesEqual(this.keys.pumpConfirm, f.confirm)) throw new Error('pump confirmation wrong');
    this.id = f.sessionId;
  }

  newCommandId(): string {
    return commandIdToString(this.random(8));
  }

  /** A sealed DATA frame around any plaintext, with the next counter (or a chosen one). */
  seal(plaintext: Uint8Array, counter?: number): Uint8Array {
    const c = counter ?? ++this.sent;
    if (counter !== undefined) this.sent = Math.max(this.sent, counter);
    const header = dataHeader(this.id, c);
    return concatBytes(header, seal(this.keys.clientToPump, counterNonce(c), header, plaintext));
  }

  frame(type: RequestType, body: Value = {}, commandId = this.newCommandId()): Uint8Array {
    const req: Request = { type, commandId, body };
    return this.seal(encodeRequest(req));
  }

  /** Decrypt a pump answer; null if it is not an authentic DATA frame for this session. */
  openReply(frame: Uint8Array | null): Response | null {
    if (frame === null) return null;
    const f = decodeFrame(frame);
    if (f.type !== 'data' || f.sessionId !== this.id || f.counter <= this.received) return null;
    const plain = open(this.keys.pumpToClient, counterNonce(f.counter), dataHeader(f.sessionId, f.counter), f.sealed);
    if (plain === null) return null;
    this.received = f.counter;
    return decodeResponse(plain);
  }

  /** Send a request and return the answer (throws if there is none). */
  call(type: RequestType, body: Value = {}, commandId?: string): Response {
    const res = this.openReply(this.send(this.frame(type, body, commandId)).reply);
    if (res === null) throw new Error(`no answer to ${type}`);
    return res;
  }
}
