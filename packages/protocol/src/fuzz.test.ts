import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runFuzz } from './fuzz.ts';

describe('fuzz: frame decoder, sessions and every command handler', () => {
  it('100 000 frames: no crash or hang, unauthentic frames change nothing, logs grow, dose limits hold', () => {
    const s = runFuzz({ frames: 100_000, seed: 20260101 });
    assert.equal(s.frames, 100_000);
    assert.equal(s.unauthentic + s.authentic, 100_000);
    // The campaign reached deep: authentic frames got through to many handlers, and each kind of rejection happened.
    assert.ok(Object.keys(s.acceptedByType).length >= 10, `handlers reached: ${Object.keys(s.acceptedByType).join(', ')}`);
    for (const kind of ['bad-frame', 'decrypt-failed', 'replay', 'unknown-session', 'unsupported-version', 'bad-request', 'role-denied']) {
      assert.ok((s.securityCounts[kind] ?? 0) > 0, `no ${kind} in the campaign`);
    }
    assert.ok(s.maxFrameMs < 1_000, `slowest frame ${s.maxFrameMs} ms`);
    console.log(`fuzz: ${s.frames} frames in ${(s.wallMs / 1000).toFixed(1)} s; accepted ${s.accepted}; by type ${JSON.stringify(s.acceptedByType)}`);
  });
});
