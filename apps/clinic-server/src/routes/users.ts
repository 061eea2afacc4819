/** User administration and the audit log (admin only). */
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../auth/password.ts';
import { newId } from '../auth/sessions.ts';
import { ROLES, type Role } from '../db/schema.ts';
import type { AppContext } from '../http/context.ts';
import { conflict, HttpError } from '../http/errors.ts';
import { addRoute, type RouteTable } from '../http/route.ts';
import { uuid } from '../domain/schemas.ts';

export const UserInput = z
  .strictObject({
    username: z.string().regex(/^[a-z0-9._-]{3,64}$/, 'must be 3 to 64 lower-case letters, digits, dots, dashes or underscores'),
    password: z.string().min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`).max(MAX_PASSWORD_LENGTH),
    role: z.enum(ROLES as unknown as [Role, ...Role[]]),
    displayName: z.string().trim().min(1).max(100),
    patientId: uuid.nullable().default(null),
  })
  .refine((u) => (u.role === 'patient') === (u.patientId !== null), { message: 'a patient account needs patientId, and only a patient account may have one', path: ['patientId'] });
export type UserInputT = z.infer<typeof UserInput>;

export async function createUser(ctx: AppContext, u: UserInputT): Promise<{ id: string }> {
  if (u.patientId !== null) {
    const p = await ctx.db.selectFrom('patients').select('id').where('id', '=', u.patientId).executeTakeFirst();
    if (p === undefined) throw new HttpError(400, 'validation-failed', 'body.patientId: no such patient', [{ path: 'body.patientId', message: 'no such patient' }]);
  }
  const taken = await ctx.db.selectFrom('users').select('id').where('username', '=', u.username).executeTakeFirst();
  if (taken !== undefined) throw conflict(`user name "${u.username}" is taken`);
  const id = newId();
  await ctx.db
    .insertInto('users')
    .values({ id, username: u.username, password_hash: await hashPassword(u.password, ctx.config.scryptLog2N), role: u.role, patient_id: u.patientId, display_name: u.displayName, created_at_ms: ctx.now(), disabled: 0 })
    .execute();
  return { id };
}

const AuditQuery = z.strictObject({
  patientId: uuid.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

export function userRoutes(app: FastifyInstance, ctx: AppContext, table: RouteTable): void {
  addRoute(app, ctx, table, {
    method: 'POST',
    url: '/api/users',
    summary: 'Create a user (admin)',
    tag: 'users',
    roles: ['admin'],
    body: UserInput,
    audit: null,
    status: 201,
    handler: async ({ body }) => createUser(ctx, body),
  });
  addRoute(app, ctx, table, {
    method: 'GET',
    url: '/api/users',
    summary: 'List users (admin)',
    tag: 'users',
    roles: ['admin'],
    audit: null,
    handler: async () =>
      (await ctx.db.selectFrom('users').select(['id', 'username', 'role', 'patient_id', 'display_name', 'disabled']).orderBy('username').execute()).map((u) => ({
        id: u.id,
        username: u.username,
        role: u.role,
        patientId: u.patient_id,
        displayName: u.display_name,
        disabled: u.disabled !== 0,
      })),
  });
  addRoute(app, ctx, table, {
    method: 'GET',
    url: '/api/audit',
    summary: 'Read the audit log, newest first (admin)',
    tag: 'users',
    roles: ['admin'],
    query: AuditQuery,
    audit: null,
    handler: async ({ query }) => {
      let q = ctx.db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(query.limit);
      if (query.patientId !== undefined) q = q.where('patient_id', '=', query.patientId);
      return (await q.execute()).map(auditRow);
    },
  });
}

export function auditRow(a: { id: number; at_ms: number; user_id: string | null; username: string | null; role: string | null; action: string; resource: string; resource_id: string | null; patient_id: string | null; outcome: string; ip: string | null }) {
  return { id: Number(a.id), atMs: a.at_ms, userId: a.user_id, username: a.username, role: a.role, action: a.action, resource: a.resource, resourceId: a.resource_id, patientId: a.patient_id, outcome: a.outcome, ip: a.ip };
}
