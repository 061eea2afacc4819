/**
 * Every cryptographic step of the protocol, built only from audited libraries (@noble/*): X25519
 * key agreement, HKDF-SHA256 and HMAC-SHA256 for keys and proofs, ChaCha20-Poly1305 for frames.
 * Nothing here is hand-written cryptography; this file only fixes which inputs go where, so the
 * transcript and key schedule can be checked against the fixed vectors in fixtures/.
 *
 * Randomness is a parameter everywhere (`Random`), so tests are deterministic; production uses
 * the platform's CSPRNG (`systemRandom`).
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8 } from './bytes.ts';

export type Random = (n: number) => Uint8Array;

/** The platform CSPRNG (Web Crypto, in browsers and in Node >= 19). */
export const systemRandom: Random = (n) => globalThis.crypto.getRandomValues(new Uint8Array(n));

/**
 * A deterministic byte stream for tests and test vectors only: SHA-256(seed || counter) blocks.
 * Never use it for a real pump or client.
 */
export function deterministicRandom(seed: string): Random {
  const seedBytes = utf8.encode(seed);
  let counter = 0;
  let pool: Uint8Array = new Uint8Array(0);
  return (n) => {
    while (pool.length < n) {
      const c = new Uint8Array(4);
      new DataView(c.buffer).setUint32(0, counter++);
      pool = concatBytes(pool, sha256(concatBytes(seedBytes, c)));
    }
    const out = pool.slice(0, n);
    pool = pool.slice(n);
    return out;
  };
}

export const KEY_BYTES = 32;
export const ROOT_KEY_BYTES = 32;
export const CREDENTIAL_ID_BYTES = 8;
export const PUBLIC_KEY_BYTES = 32;
export const MAC_BYTES = 16;
export const TAG_BYTES = 16;

const LABEL = {
  credential: utf8.encode('thecal/1 credential'),
  pair: utf8.encode('thecal/1 pair'),
  hello: utf8.encode('thecal/1 hello'),
  session: utf8.encode('thecal/1 session'),
  pumpConfirm: utf8.encode('thecal/1 pump confirm'),
} as const;

export interface KeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

export function ephemeralKeyPair(random: Random): KeyPair {
  const secretKey = random(32);
  return { secretKey, publicKey: x25519.getPublicKey(secretKey) };
}

/** X25519; throws on a low-order peer key (noble refuses an all-zero shared secret). */
export function sharedSecret(secretKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array {
  return x25519.getSharedSecret(secretKey, peerPublicKey);
}

export function transcriptHash(...parts: Uint8Array[]): Uint8Array {
  return sha256(concatBytes(...parts));
}

/**
 * A credential's key is a function of the pump's secret root key, the credential id and the role:
 * the pump need not store it, and a credential whose role was altered has a different key.
 */
export function credentialKey(rootKey: Uint8Array, credentialId: Uint8Array, roleByte: number): Uint8Array {
  return hmac(sha256, rootKey, concatBytes(LABEL.credential, credentialId, Uint8Array.of(roleByte)));
}

/** Pairing: a one-use key sealing the credential, and the 6-digit code both sides can show. */
export function pairingKeys(shared: Uint8Array, transcript: Uint8Array): { sealKey: Uint8Array; code: string } {
  const okm = hkdf(sha256, shared, transcript, LABEL.pair, KEY_BYTES + 4);
  const n = new DataView(okm.buffer, okm.byteOffset + KEY_BYTES, 4).getUint32(0) % 1_000_000;
  return { sealKey: okm.slice(0, KEY_BYTES), code: String(n).padStart(6, '0') };
}

/** HELLO proof that the sender holds the credential key (not fresh on its own: see docs/protocol.md). */
export function helloMac(credKey: Uint8Array, helloWithoutMac: Uint8Array): Uint8Array {
  return hmac(sha256, credKey, concatBytes(LABEL.hello, helloWithoutMac)).slice(0, MAC_BYTES);
}

export interface SessionKeys {
  clientToPump: Uint8Array;
  pumpToClient: Uint8Array;
  /** What the pump sends in HELLO_REPLY to prove it holds the credential key and its ephemeral secret. */
  pumpConfirm: Uint8Array;
}

/** The session key schedule: both ephemeral keys and the credential key feed every key. */
export function sessionKeys(shared: Uint8Array, credKey: Uint8Array, transcript: Uint8Array): SessionKeys {
  const okm = hkdf(sha256, concatBytes(shared, credKey), transcript, LABEL.session, 3 * KEY_BYTES);
  const confirmKey = okm.slice(2 * KEY_BYTES, 3 * KEY_BYTES);
  return {
    clientToPump: okm.slice(0, KEY_BYTES),
    pumpToClient: okm.slice(KEY_BYTES, 2 * KEY_BYTES),
    pumpConfirm: hmac(sha256, confirmKey, LABEL.pumpConfirm).slice(0, MAC_BYTES),
  };
}

/** Nonce of a DATA frame: 4 zero bytes then the 8-byte big-endian frame counter (keys are per direction). */
export function counterNonce(counter: number): Uint8Array {
  const n = new Uint8Array(12);
  const dv = new DataView(n.buffer);
  dv.setUint32(4, Math.floor(counter / 2 ** 32));
  dv.setUint32(8, counter % 2 ** 32);
  return n;
}

export function seal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return chacha20poly1305(key, nonce, aad).encrypt(plaintext);
}

/** The plaintext, or null when the frame was altered or sealed with another key. */
export function open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | null {
  if (sealed.length < TAG_BYTES) return null;
  try {
    return chacha20poly1305(key, nonce, aad).decrypt(sealed);
  } catch {
    return null;
  }
}
