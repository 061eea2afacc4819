import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword, verifyPassword } from './auth/password.ts';
import { LoginLimiter } from './auth/rate-limit.ts';
import { onBothDatabases } from './testing/databases.ts';
import { PASSWORD, useClinic } from './testing/clinic.ts';

describe('password hashing (scrypt)', () => {
  it('verifies the right password only, with a fresh salt each time', async () => {
    const a = await hashPassword('hunter2 is not long', 12);
    const b = await hashPassword('hunter2 is not long', 12);
    assert.notEqual(a, b);
    assert.match(a, /^scrypt\$12\$8\$1\$[0-9a-f]{32}\$[0-9a-f]{64}$/);
    assert.equal(await verifyPassword('hunter2 is not long', a), true);
    assert.equal(await verifyPassword('hunter2 is not lonG', a), false);
    assert.equal(await verifyPassword('x', 'plain-text'), false);
  });
  it('refuses a cost below 2^12', async () => {
    await assert.rejects(hashPassword('whatever long', 10), /outside/);
  });
});

describe('login limiter', () => {
  it('blocks a name after 5 failures in the window, then lets it try again', () => {
    const l = new LoginLimiter({ maxFailures: 5, windowMs: 60_000 });
    for (let i = 0; i < 5; i++) l.recordFailure('eve', '10.0.0.1', 1000 + i);
    assert.ok(l.retryAfterMs('eve', '10.0.0.2', 2000) > 0, 'same name, other address');
    assert.ok(l.retryAfterMs('bob', '10.0.0.1', 2000) > 0, 'same address, other name');
    assert.equal(l.retryAfterMs('bob', '10.0.0.9', 2000), 0);
    assert.equal(l.retryAfterMs('eve', '10.0.0.2', 1000 + 60_001 + 5), 0);
  });
});

onBothDatabases('sessions and sign-in', (kind) => {
  const clinic = useClinic(kind);

  it('signs in, answers who am I, signs out for good', async () => {
    const c = clinic();
    const token = await c.login('nurse');
    const me = await c.request('GET', '/api/auth/me', { token });
    assert.equal(me.json().role, 'nurse');
    assert.equal((await c.request('POST', '/api/auth/logout', { token })).statusCode, 200);
    assert.equal((await c.request('GET', '/api/auth/me', { token })).statusCode, 401);
  });

  it('refuses a wrong password with 401 and rate-limits with 429 and Retry-After', async () => {
    const c = clinic();
    for (let i = 0; i < 5; i++) {
      const r = await c.request('POST', '/api/auth/login', { body: { username: 'clinician', password: 'wrong password!' } });
      assert.equal(r.statusCode, 401);
    }
    const blocked = await c.request('POST', '/api/auth/login', { body: { username: 'clinician', password: PASSWORD } });
    assert.equal(blocked.statusCode, 429);
    assert.ok(Number(blocked.headers['retry-after']) > 0);
    c.clock.nowMs += 16 * 60_000;
    c.tokens.clinician = await c.login('clinician');
    c.tokens.nurse = await c.login('nurse');
    c.tokens.admin = await c.login('admin');
  });

  it('expires sessions after their lifetime', async () => {
    const c = clinic();
    const token = await c.login('nurse');
    c.clock.nowMs += 8 * 3_600_000 + 1;
    const r = await c.request('GET', '/api/auth/me', { token });
    assert.equal(r.statusCode, 401);
    assert.match(r.json().message, /expired/);
  });

  it('stores only token hashes and scrypt password hashes', async () => {
    const c = clinic();
    const token = await c.login('admin');
    const sessions = await c.ctx.db.selectFrom('sessions').select('token_hash').execute();
    assert.ok(sessions.every((s) => s.token_hash !== token && /^[0-9a-f]{64}$/.test(s.token_hash)));
    const users = await c.ctx.db.selectFrom('users').select('password_hash').execute();
    assert.ok(users.every((u) => u.password_hash.startsWith('scrypt$')));
  });
});
