import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword, verifyPassword } from './auth/password.ts';
import fc from 'fast-check';
import { LoginLimiter, retryAfterMs } from './auth/rate-limit.ts';
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

describe('login limiter: the wait', () => {
  const opts = { maxFailures: 5, windowMs: 60_000 };
  it('blocks a name after 5 failures in the window, from any address, then lets it try again', () => {
    const failures = [0, 1, 2, 3, 4].flatMap((i) => [{ key: 'user:eve', atMs: 1000 + i }, { key: 'ip:10.0.0.1', atMs: 1000 + i }]);
    assert.equal(retryAfterMs(failures, opts, 2000), 60_000 + 1000 - 2000);
    assert.equal(retryAfterMs(failures, opts, 1000 + 60_000), 0);
    assert.equal(retryAfterMs(failures.slice(0, 8), opts, 2000), 0, 'four failures do not block');
  });
  it('property: the wait ends exactly when fewer than the limit remain in the window', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ key: fc.constantFrom('user:a', 'ip:b'), atMs: fc.integer({ min: 0, max: 200_000 }) }), { maxLength: 30 }), fc.integer({ min: 0, max: 200_000 }), (failures, nowMs) => {
        const inWindow = (at: number) => failures.filter((f) => f.atMs > at - opts.windowMs && f.atMs <= nowMs);
        const blockedAt = (at: number) => ['user:a', 'ip:b'].some((k) => inWindow(at).filter((f) => f.key === k).length >= opts.maxFailures);
        const past = failures.filter((f) => f.atMs <= nowMs);
        const wait = retryAfterMs(past, opts, nowMs);
        assert.equal(wait > 0, blockedAt(nowMs));
        if (wait > 0) {
          assert.equal(blockedAt(nowMs + wait - 1), true, 'still blocked a millisecond before the wait ends');
          assert.equal(blockedAt(nowMs + wait), false, 'free when the wait ends');
        }
      }),
    );
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

  it('keeps the failures in the database: a restarted (or second) server still refuses, and old failures are pruned', async () => {
    const c = clinic();
    for (let i = 0; i < 5; i++) {
      const r = await c.request('POST', '/api/auth/login', { body: { username: 'nurse', password: 'wrong password!' } });
      assert.equal(r.statusCode, 401);
    }
    // A new limiter on the same database is what a restarted or second server has.
    const restarted = new LoginLimiter(c.ctx.db, { maxFailures: c.ctx.config.loginMaxFailures, windowMs: c.ctx.config.loginWindowMs });
    assert.ok((await restarted.retryAfterMs('nurse', '192.0.2.7', c.clock.nowMs)) > 0, 'the name stays blocked after a restart');
    c.clock.nowMs += c.ctx.config.loginWindowMs + 1;
    assert.equal(await restarted.retryAfterMs('nurse', '192.0.2.7', c.clock.nowMs), 0);
    await restarted.recordFailure('someone', '192.0.2.8', c.clock.nowMs);
    const left = await c.ctx.db.selectFrom('login_failures').select(['key']).execute();
    assert.deepEqual(left.map((r) => r.key).sort(), ['ip:192.0.2.8', 'user:someone'], 'failures out of the window are deleted');
    c.tokens.nurse = await c.login('nurse');
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
