/** Bearer sessions: a login makes a random token with a fixed expiry; every request looks it up. */
import { randomUUID } from 'node:crypto';
import type { Role } from '../db/schema.ts';
import type { AppContext } from '../http/context.ts';
import { HttpError } from '../http/errors.ts';
import { newSessionToken, tokenHash } from './tokens.ts';

export interface AuthUser {
  id: string;
  username: string;
  role: Role;
  patientId: string | null;
}

const unauthorized = (why: string) => new HttpError(401, 'unauthorized', why, [], { 'www-authenticate': 'Bearer' });

export async function authenticate(ctx: AppContext, header: string | undefined): Promise<AuthUser> {
  if (header === undefined) throw unauthorized('sign in first: send "Authorization: Bearer <token>" from POST /api/auth/login');
  const m = /^Bearer ([A-Za-z0-9_-]{16,128})$/.exec(header);
  if (m === null || m[1] === undefined) throw unauthorized('the Authorization header must be "Bearer <token>"');
  const row = await ctx.db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['users.id', 'users.username', 'users.role', 'users.patient_id', 'users.disabled', 'sessions.expires_at_ms'])
    .where('sessions.token_hash', '=', tokenHash(m[1]))
    .executeTakeFirst();
  if (row === undefined) throw unauthorized('unknown or signed-out session');
  if (row.expires_at_ms <= ctx.now()) throw unauthorized('the session has expired: sign in again');
  if (row.disabled !== 0) throw unauthorized('this account is disabled');
  return { id: row.id, username: row.username, role: row.role, patientId: row.patient_id };
}

export async function createSession(ctx: AppContext, userId: string): Promise<{ token: string; expiresAtMs: number }> {
  const token = newSessionToken();
  const now = ctx.now();
  const expiresAtMs = now + ctx.config.sessionTtlMs;
  await ctx.db.insertInto('sessions').values({ token_hash: tokenHash(token), user_id: userId, created_at_ms: now, expires_at_ms: expiresAtMs }).execute();
  // Expired sessions are swept as new ones are made, so the table does not grow forever.
  await ctx.db.deleteFrom('sessions').where('expires_at_ms', '<=', now).execute();
  return { token, expiresAtMs };
}

export async function endSession(ctx: AppContext, header: string | undefined): Promise<void> {
  const token = header?.replace(/^Bearer /, '') ?? '';
  await ctx.db.deleteFrom('sessions').where('token_hash', '=', tokenHash(token)).execute();
}

export const newId = (): string => randomUUID();
