/**
 * One way to declare an endpoint: method, path, who may call it, the zod schemas of its input,
 * and what the audit log records. The declarations are kept (`RouteTable`) so the role-matrix and
 * hostile-input tests walk every endpoint there is, not a hand-kept list.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z, type ZodType } from 'zod';
import type { Role } from '../db/schema.ts';
import { authenticate, type AuthUser } from '../auth/sessions.ts';
import { writeAudit, type AuditAction } from './audit.ts';
import type { AppContext } from './context.ts';
import { forbidden, fromZod, HttpError } from './errors.ts';
import { PatientIdParams } from '../domain/schemas.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH';

export interface HandlerInput<B, Q, P> {
  ctx: AppContext;
  user: AuthUser | null;
  body: B;
  query: Q;
  params: P;
  ip: string;
  request: FastifyRequest;
  reply: FastifyReply;
  /** Set by a handler when the patient is known only after a lookup (for the audit log). */
  audit: { patientId: string | null; resourceId: string | null };
}

export interface RouteDef<B = unknown, Q = unknown, P = unknown> {
  method: Method;
  url: string;
  summary: string;
  tag: string;
  /** 'public' needs no session. */
  roles: readonly Role[] | 'public';
  /** Name of the path parameter holding a patient id: a patient may use the route for their own id only. */
  patientParam?: string;
  body?: ZodType<B>;
  query?: ZodType<Q>;
  params?: ZodType<P>;
  bodyLimit?: number;
  /** What this endpoint does to patient data, for the audit log; null for non-patient data. */
  audit: { action: AuditAction; resource: string } | null;
  /** Status on success (default 200). */
  status?: number;
  handler: (input: HandlerInput<B, Q, P>) => Promise<unknown>;
}

export type RouteTable = RouteDef<any, any, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any

function jsonSchemaOf(schema: ZodType): unknown {
  return z.toJSONSchema(schema, { target: 'openapi-3.0', unrepresentable: 'any', io: 'input' });
}

export function addRoute<B, Q, P>(app: FastifyInstance, ctx: AppContext, table: RouteTable, def: RouteDef<B, Q, P>): void {
  table.push(def);
  const schema: Record<string, unknown> = { summary: def.summary, tags: [def.tag] };
  if (def.body !== undefined) schema['body'] = jsonSchemaOf(def.body);
  if (def.query !== undefined) schema['querystring'] = jsonSchemaOf(def.query);
  if (def.params !== undefined) schema['params'] = jsonSchemaOf(def.params);
  if (def.roles !== 'public') schema['security'] = [{ bearer: [] }];
  app.route({
    method: def.method,
    url: def.url,
    schema,
    ...(def.bodyLimit === undefined ? {} : { bodyLimit: def.bodyLimit }),
    handler: async (request, reply) => {
      const ip = request.ip;
      const user = def.roles === 'public' ? null : await authenticate(ctx, request.headers.authorization);
      const rawParams = (request.params ?? {}) as Record<string, string>;
      if (user !== null && def.roles !== 'public' && !def.roles.includes(user.role)) {
        await auditDenied(ctx, def, user, ip, rawParams);
        throw forbidden(`the ${user.role} role may not ${def.method} ${def.url}`);
      }
      if (user?.role === 'patient' && def.patientParam !== undefined && rawParams[def.patientParam] !== user.patientId) {
        await auditDenied(ctx, def, user, ip, rawParams);
        throw forbidden('a patient may only see their own record');
      }
      const params = parse('params', def.params, rawParams) as P;
      const query = parse('query', def.query, request.query ?? {}) as Q;
      const body = parse('body', def.body, request.body) as B;
      const audit = { patientId: def.patientParam === undefined ? null : (rawParams[def.patientParam] ?? null), resourceId: null as string | null };
      // The default success status is set first so a handler may still choose another (200 for a replayed upload).
      reply.code(def.status ?? 200);
      let result: unknown;
      try {
        result = await def.handler({ ctx, user, body, query, params, ip, request, reply, audit });
      } catch (e) {
        // A refusal decided inside the handler (a patient searching another patient) is audited too.
        if (e instanceof HttpError && e.statusCode === 403 && user !== null) await auditDenied(ctx, def, user, ip, { ...rawParams, ...(audit.patientId === null ? {} : { [def.patientParam ?? '']: audit.patientId }) });
        throw e;
      }
      if (def.audit !== null) {
        await writeAudit(ctx.db, { atMs: ctx.now(), user, action: def.audit.action, resource: def.audit.resource, resourceId: audit.resourceId, patientId: audit.patientId, outcome: 'success', ip });
      }
      return result;
    },
  });
}

/**
 * A route under one patient's record, `/api/patients/:patientId` + `path`: the patient-only-sees-
 * their-own check and the id's validation come with it, so no such route can forget them.
 */
export function addPatientRoute<B, Q, P extends { patientId: string } = { patientId: string }>(
  app: FastifyInstance,
  ctx: AppContext,
  table: RouteTable,
  def: Omit<RouteDef<B, Q, P>, 'url' | 'patientParam' | 'params'> & { path: string; params?: ZodType<P> },
): void {
  const { path, params, ...rest } = def;
  addRoute(app, ctx, table, { ...rest, url: `/api/patients/:patientId${path}`, patientParam: 'patientId', params: params ?? (PatientIdParams as unknown as ZodType<P>) });
}

function parse(where: 'body' | 'query' | 'params', schema: ZodType | undefined, value: unknown): unknown {
  if (schema === undefined) {
    // An endpoint without a body refuses one rather than silently ignoring it.
    if (where === 'body' && value !== undefined && value !== null && !(typeof value === 'object' && Object.keys(value).length === 0)) {
      throw new HttpError(400, 'validation-failed', 'body: this endpoint takes no body', [{ path: 'body', message: 'this endpoint takes no body' }]);
    }
    return value;
  }
  const r = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (!r.success) throw fromZod(where, r.error);
  return r.data;
}

async function auditDenied(ctx: AppContext, def: RouteDef<any, any, any>, user: AuthUser, ip: string, params: Record<string, string>): Promise<void> { // eslint-disable-line @typescript-eslint/no-explicit-any
  if (def.audit === null) return;
  await writeAudit(ctx.db, {
    atMs: ctx.now(),
    user,
    action: def.audit.action,
    resource: def.audit.resource,
    // Only an id that could name a patient is kept: a hostile one (a NUL byte) must not fail the audit write itself.
    patientId: def.patientParam === undefined ? null : auditablePatientId(params[def.patientParam]),
    outcome: 'denied',
    ip,
  });
}

function auditablePatientId(id: string | undefined): string | null {
  return id !== undefined && /^[0-9a-f-]{1,64}$/i.test(id) ? id : null;
}
