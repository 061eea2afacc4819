import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, fromHex, toHex, utf8 } from './bytes.ts';
import { decodeFrame } from './frame.ts';
import { decodeResponse } from './messages.ts';
import { buildVectors, VECTORS_PATH, type Vectors } from './test-vectors.ts';

const fixture = JSON.parse(readFileSync(VECTORS_PATH, 'utf8')) as Vectors;
const step = (name: string) => {
  const s = fixture.steps.find((x) => x.name === name);
  assert.ok(s, `no step "${name}" in the fixture`);
  return fromHex(s.hex);
};
const key = (name: string) => fromHex(fixture.keys[name] ?? assert.fail(`no key ${name}`));

describe('golden test vectors (fixtures/vectors.json)', () => {
  it('the code still produces exactly the recorded frames and keys from the recorded seeds', () => {
    assert.deepEqual(buildVectors(), fixture);
  });

  it('every recorded frame decodes, and DATA frames decrypt to their recorded meaning with the recorded keys', () => {
    for (const s of fixture.steps) {
      const bytes = fromHex(s.hex);
      if (bytes[0] !== 1) {
        assert.throws(() => decodeFrame(bytes), /no downgrade/);
        continue;
      }
      const f = decodeFrame(bytes);
      if (f.type !== 'data' || s.direction !== 'pump-to-client') continue;
      const header = bytes.subarray(0, 14);
      const nonce = concatBytes(new Uint8Array(4), bytes.subarray(6, 14));
      const plain = chacha20poly1305(key('pumpToClientKey'), nonce, header).decrypt(f.sealed);
      const m = s.meaning as { plaintextHex: string; response: { type: string; commandId: string; status: string } };
      assert.equal(toHex(plain), m.plaintextHex, s.name);
      const r = decodeResponse(plain);
      assert.equal(r.type, m.response.type);
      assert.equal(r.status, m.response.status);
    }
  });

  it('the key schedule is the documented one (recomputed here from the primitives, not with crypto.ts)', () => {
    // Credential key = HMAC-SHA256(root, "thecal/1 credential" | id | role)
    const pairReply = step('pairing request (reply)');
    const pumpPairPub = pairReply.subarray(2, 34);
    const pairReq = step('pairing request');
    const thPair = sha256(concatBytes(pairReq, pairReply.subarray(0, 34)));
    assert.equal(toHex(thPair), fixture.keys['pairingTranscript']);
    const okm = hkdf(sha256, x25519.getSharedSecret(key('pairingClientSecret'), pumpPairPub), thPair, utf8.encode('thecal/1 pair'), 36);
    assert.equal(toHex(okm.subarray(0, 32)), fixture.keys['pairingSealKey']);
    assert.equal(String(new DataView(okm.buffer, okm.byteOffset + 32, 4).getUint32(0) % 1_000_000).padStart(6, '0'), fixture.keys['pairingCode']);
    const grant = chacha20poly1305(okm.subarray(0, 32), new Uint8Array(12), thPair).decrypt(pairReply.subarray(34));
    const credId = grant.subarray(0, 8);
    assert.equal(grant[8], 1);
    assert.equal(toHex(grant.subarray(9, 41)), fixture.keys['credentialKey']);
    assert.equal(toHex(hmac(sha256, fromHex(fixture.rootKey), concatBytes(utf8.encode('thecal/1 credential'), credId, Uint8Array.of(1)))), fixture.keys['credentialKey']);

    // HELLO mac = HMAC(credKey, "thecal/1 hello" | hello without mac)[0..16]
    const hello = step('hello');
    assert.equal(toHex(hmac(sha256, key('credentialKey'), concatBytes(utf8.encode('thecal/1 hello'), hello.subarray(0, -16))).subarray(0, 16)), toHex(hello.subarray(-16)));

    // Session keys = HKDF(ikm = X25519 | credKey, salt = SHA-256(hello | reply without confirm), "thecal/1 session", 96)
    const reply = step('hello (reply)');
    const th = sha256(concatBytes(hello, reply.subarray(0, -16)));
    assert.equal(toHex(th), fixture.keys['sessionTranscript']);
    const shared = x25519.getSharedSecret(key('helloClientSecret'), reply.subarray(6, 38));
    const okm2 = hkdf(sha256, concatBytes(shared, key('credentialKey')), th, utf8.encode('thecal/1 session'), 96);
    assert.equal(toHex(okm2.subarray(0, 32)), fixture.keys['clientToPumpKey']);
    assert.equal(toHex(okm2.subarray(32, 64)), fixture.keys['pumpToClientKey']);
    assert.equal(toHex(hmac(sha256, okm2.subarray(64, 96), utf8.encode('thecal/1 pump confirm')).subarray(0, 16)), toHex(reply.subarray(-16)));
  });

  it('a version-0 frame is answered with unsupported-version 1..1', () => {
    assert.deepEqual(decodeFrame(step('version 0 frame (downgrade attempt) (reply)')), { type: 'error', code: 'unsupported-version', minVersion: 1, maxVersion: 1 });
  });
});
