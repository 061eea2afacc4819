import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Response } from '@thecal/protocol';
import { refusalOf } from './pump-link.ts';

const answer = (status: Response['status'], body: unknown): Response => ({ type: 'commit', commandId: 'r:00', status, body: body as Response['body'] });

describe('a refusal off the radio', () => {
  it('keeps what the pump said: reason, message and the issues it found', () => {
    const issue = { code: 'rate-above-max', severity: 'hard', path: 'prescription.basal.rateNlPerDay', message: 'over the maximum' };
    assert.deepEqual(refusalOf(answer('refused', { ok: false, atMs: 1, reason: 'invalid-program', message: 'the program is refused', issues: [issue] })), {
      status: 'refused',
      reason: 'invalid-program',
      message: 'the program is refused',
      issues: [issue],
    });
    assert.deepEqual(refusalOf(answer('denied', { error: 'not-allowed', message: 'a patient cannot commit' })), { status: 'denied', reason: 'denied', message: 'a patient cannot commit', issues: [] });
  });

  it('says so when the refusal itself is malformed, without reading it half-way', () => {
    const r = refusalOf(answer('refused', { reason: 7, issues: [{ code: 'x' }] }));
    assert.equal(r.reason, 'refused');
    assert.deepEqual(r.issues, []);
    assert.match(r.message, /not what a pump sends: .*reason/);
  });
});
