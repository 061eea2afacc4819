/** Sign in, sign out, who am I. */
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { decoyHash, verifyPassword, MAX_PASSWORD_LENGTH } from '../auth/password.ts';
import { createSession, endSession } from '../auth/sessions.ts';
import { writeAudit } from '../http/audit.ts';
import type { AppContext } from '../http/context.ts';
import { HttpError } from '../http/errors.ts';
import { addRoute, type RouteTable } from '../http/route.ts';
import { ROLES } from '../db/schema.ts';

const LoginInput = z.strictObject({ username: z.string().min(1).max(64), password: z.string().min(1).max(MAX_PASSWORD_LENGTH) });

export function authRoutes(app: FastifyInstance, ctx: AppContext, table: RouteTable): void {
  addRoute(app, ctx, table, {
    method: 'POST',
    url: '/api/auth/login',
    summary: 'Sign in: returns a bearer token (limited tries per user name and address)',
    tag: 'auth',
    roles: 'public',
    body: LoginInput,
    audit: null,
    handler: async ({ body, ip }) => {
      const now = ctx.now();
      const wait = await ctx.limiter.retryAfterMs(body.username, ip, now);
      if (wait > 0) {
        const seconds = Math.ceil(wait / 1000);
        throw new HttpError(429, 'too-many-attempts', `too many failed sign-ins: try again in ${seconds} s`, [], { 'retry-after': String(seconds) });
      }
      const user = await ctx.db.selectFrom('users').selectAll().where('username', '=', body.username.toLowerCase()).executeTakeFirst();
      // An unknown name costs the same time as a wrong password, so names cannot be probed.
      const ok = await verifyPassword(body.password, user?.password_hash ?? (await decoyHash(ctx.config.scryptLog2N)));
      if (user === undefined || !ok || user.disabled !== 0) {
        await ctx.limiter.recordFailure(body.username, ip, now);
        await writeAudit(ctx.db, { atMs: now, user: null, action: 'login', resource: 'session', resourceId: body.username.slice(0, 64), outcome: 'denied', ip });
        throw new HttpError(401, 'bad-credentials', 'unknown user name or wrong password');
      }
      await ctx.limiter.recordSuccess(body.username);
      const session = await createSession(ctx, user.id);
      await writeAudit(ctx.db, { atMs: now, user: { id: user.id, username: user.username, role: user.role }, action: 'login', resource: 'session', outcome: 'success', ip });
      return { token: session.token, expiresAtMs: session.expiresAtMs, user: { id: user.id, username: user.username, role: user.role, patientId: user.patient_id } };
    },
  });
  addRoute(app, ctx, table, {
    method: 'POST',
    url: '/api/auth/logout',
    summary: 'Sign out: the token stops working at once',
    tag: 'auth',
    roles: ROLES,
    audit: null,
    handler: async ({ request }) => {
      await endSession(ctx, request.headers.authorization);
      return { signedOut: true };
    },
  });
  addRoute(app, ctx, table, {
    method: 'GET',
    url: '/api/auth/me',
    summary: 'The signed-in user',
    tag: 'auth',
    roles: ROLES,
    audit: null,
    handler: async ({ user }) => user,
  });
}
