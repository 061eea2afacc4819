/**
 * Builds the golden test vectors in fixtures/vectors.json from fixed seeds: a pairing, a
 * handshake, a few sealed requests and answers, an error frame, with every key of the schedule.
 * The test (vectors.test.ts) checks that the code still produces exactly these bytes and that each
 * frame decodes to its stated meaning; a compatible client can check itself against the file.
 *
 *   node --import tsx packages/protocol/src/test-vectors.ts --write   (only after a deliberate protocol change)
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Pump } from '@thecal/pump-core';
import { concatBytes, fromHex, toHex } from './bytes.ts';
import { counterNonce, credentialKey, deterministicRandom, ephemeralKeyPair, helloMac, open, pairingKeys, seal, sessionKeys, sharedSecret, transcriptHash, MAC_BYTES } from './crypto.ts';
import { FRAME_TYPE, PROTOCOL_VERSION, ROLE_BYTE, dataHeader, decodeFrame, decodeGrant, encodeFrame } from './frame.ts';
import { KeyStore } from './keystore.ts';
import { decodeRequest, decodeResponse, encodeRequest, type RequestType } from './messages.ts';
import { PumpRadio } from './pump-radio.ts';
import { T0 } from './testkit.ts';
import type { Value } from './value-codec.ts';

export const VECTORS_PATH = fileURLToPath(new URL('../fixtures/vectors.json', import.meta.url));

export interface VectorStep {
  name: string;
  direction: 'client-to-pump' | 'pump-to-client';
  hex: string;
  /** What the frame says (for DATA frames, the decrypted message). */
  meaning: unknown;
}
export interface Vectors {
  about: string;
  seeds: { pump: string; client: string };
  pumpTimeMs: number;
  rootKey: string;
  keys: Record<string, string>;
  steps: VectorStep[];
}

function jsonSafe(x: unknown): unknown {
  return JSON.parse(JSON.stringify(x, (_k, v: unknown) => (v instanceof Uint8Array ? { hex: toHex(v) } : v)));
}

export function buildVectors(): Vectors {
  const seeds = { pump: 'thecal vectors/pump', client: 'thecal vectors/client' };
  const prand = deterministicRandom(seeds.pump);
  const crand = deterministicRandom(seeds.client);
  const pump = Pump.manufacture({ serial: 'TH-VECTOR', model: 'thecal-40', atMs: T0 });
  const keyStore = KeyStore.manufacture('TH-VECTOR', 'thecal-40', prand);
  const radio = new PumpRadio({ pump, keys: keyStore, random: prand });
  const at = { pumpMs: T0, linkMs: 0 };
  const steps: VectorStep[] = [];
  const keys: Record<string, string> = {};
  const exchange = (name: string, frame: Uint8Array, meaning: unknown, replyMeaning: (reply: Uint8Array) => unknown): Uint8Array => {
    steps.push({ name, direction: 'client-to-pump', hex: toHex(frame), meaning: jsonSafe(meaning) });
    const reply = radio.receive(frame, at).reply;
    if (reply === null) throw new Error(`${name}: no reply`);
    steps.push({ name: `${name} (reply)`, direction: 'pump-to-client', hex: toHex(reply), meaning: jsonSafe(replyMeaning(reply)) });
    return reply;
  };

  // Pairing (the magnet is at the pump).
  radio.openPairingWindow(0);
  const pe = ephemeralKeyPair(crand);
  keys['pairingClientSecret'] = toHex(pe.secretKey);
  const pairReq = encodeFrame({ type: 'pairRequest', role: 'clinician', publicKey: pe.publicKey, deviceName: 'Programmer 1' });
  let grantKey: Uint8Array = new Uint8Array(0);
  let credId: Uint8Array = new Uint8Array(0);
  exchange('pairing request', pairReq, decodeFrame(pairReq), (reply) => {
    const f = decodeFrame(reply);
    if (f.type !== 'pairResponse') throw new Error('pairing refused');
    const th = transcriptHash(pairReq, concatBytes(Uint8Array.of(PROTOCOL_VERSION, FRAME_TYPE.pairResponse), f.publicKey));
    const pk = pairingKeys(sharedSecret(pe.secretKey, f.publicKey), th);
    keys['pairingTranscript'] = toHex(th);
    keys['pairingSealKey'] = toHex(pk.sealKey);
    keys['pairingCode'] = pk.code;
    const plain = open(pk.sealKey, new Uint8Array(12), th, f.sealed);
    if (plain === null) throw new Error('grant does not open');
    const g = decodeGrant(plain);
    grantKey = g.credentialKey;
    credId = g.credentialId;
    return { frame: f, grant: g };
  });
  keys['credentialKey'] = toHex(grantKey);
  if (toHex(credentialKey(keyStore.rootKey, credId, ROLE_BYTE.clinician)) !== keys['credentialKey']) throw new Error('credential key is not HMAC(root, label | id | role)');

  // Handshake.
  const he = ephemeralKeyPair(crand);
  keys['helloClientSecret'] = toHex(he.secretKey);
  const unsigned = encodeFrame({ type: 'hello', credentialId: credId, publicKey: he.publicKey, mac: new Uint8Array(MAC_BYTES) }).subarray(0, -MAC_BYTES);
  const hello = concatBytes(unsigned, helloMac(grantKey, unsigned));
  let sessionId = 0;
  let c2p: Uint8Array = new Uint8Array(0);
  let p2c: Uint8Array = new Uint8Array(0);
  exchange('hello', hello, decodeFrame(hello), (reply) => {
    const f = decodeFrame(reply);
    if (f.type !== 'helloReply') throw new Error('hello refused');
    const th = transcriptHash(hello, reply.subarray(0, -MAC_BYTES));
    const sk = sessionKeys(sharedSecret(he.secretKey, f.publicKey), grantKey, th);
    keys['sessionTranscript'] = toHex(th);
    keys['clientToPumpKey'] = toHex(sk.clientToPump);
    keys['pumpToClientKey'] = toHex(sk.pumpToClient);
    keys['pumpConfirm'] = toHex(sk.pumpConfirm);
    sessionId = f.sessionId;
    c2p = sk.clientToPump;
    p2c = sk.pumpToClient;
    return f;
  });

  // Requests.
  let counter = 0;
  const request = (type: RequestType, body: Value) => {
    counter += 1;
    const commandId = `r:${toHex(crand(8))}`;
    const header = dataHeader(sessionId, counter);
    const plain = encodeRequest({ type, commandId, body });
    const frame = concatBytes(header, seal(c2p, counterNonce(counter), header, plain));
    exchange(type, frame, { header: decodeFrame(frame), plaintextHex: toHex(plain), request: decodeRequest(plain) }, (reply) => {
      const f = decodeFrame(reply);
      if (f.type !== 'data') throw new Error(`${type}: not a DATA reply`);
      const p = open(p2c, counterNonce(f.counter), dataHeader(f.sessionId, f.counter), f.sealed);
      if (p === null) throw new Error(`${type}: reply does not open`);
      return { header: f, plaintextHex: toHex(p), response: decodeResponse(p) };
    });
  };
  request('get-device-info', {});
  request('set-utc-offset', { utcOffsetMs: 3_600_000 });
  request('read-log', { log: 'events', fromSeq: 1 });
  request('patient-bolus', {});

  // A frame of another version: refused whole.
  const v0 = fromHex('0005deadbeef');
  exchange('version 0 frame (downgrade attempt)', v0, { version: 0 }, (reply) => decodeFrame(reply));

  return {
    about: 'Thecal telemetry protocol v1 golden vectors: frames in order, hex, with their meaning. docs/protocol.md explains each field.',
    seeds,
    pumpTimeMs: T0,
    rootKey: toHex(keyStore.rootKey),
    keys,
    steps,
  };
}

if (process.argv.includes('--write')) {
  writeFileSync(VECTORS_PATH, JSON.stringify(buildVectors(), null, 2) + '\n');
  console.log(`wrote ${VECTORS_PATH}`);
}
