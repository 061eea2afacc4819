/** Programming-session uploads, the worklist, reviews of alarms and refill discrepancies, forecast recomputation. */
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../http/context.ts';
import { conflict, notFound } from '../http/errors.ts';
import { addPatientRoute, addRoute, type RouteTable } from '../http/route.ts';
import { ingestUpload } from '../domain/ingest.ts';
import { recomputeAllForecasts } from '../domain/recompute.ts';
import { ReviewInput, uuid } from '../domain/schemas.ts';
import { UploadInput } from '../domain/upload-schema.ts';
import { buildWorklist } from '../domain/worklist.ts';

export const WorklistQuery = z.strictObject({
  /** Override the horizons (days) for planning further ahead. */
  refillDays: z.coerce.number().int().min(0).max(365).optional(),
  replacementDays: z.coerce.number().int().min(0).max(3650).optional(),
  /** The most urgent items first; a page is at most this long. */
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

export function worklistOptions(ctx: AppContext, q: z.infer<typeof WorklistQuery>) {
  return {
    take: q.offset + q.limit,
    nowMs: ctx.now(),
    refillHorizonMs: q.refillDays === undefined ? ctx.config.refillHorizonMs : q.refillDays * 86_400_000,
    replacementHorizonMs: q.replacementDays === undefined ? ctx.config.replacementHorizonMs : q.replacementDays * 86_400_000,
  };
}

export function clinicRoutes(app: FastifyInstance, ctx: AppContext, table: RouteTable): void {
  addRoute(app, ctx, table, {
    method: 'POST',
    url: '/api/sessions',
    summary: 'Upload a programming session (interrogation status, snapshot, log pages); idempotent by pump serial and log sequence',
    tag: 'pump-data',
    roles: ['clinician', 'nurse'],
    body: UploadInput,
    bodyLimit: ctx.config.uploadBodyLimitBytes,
    audit: { action: 'create', resource: 'programming-session' },
    status: 201,
    handler: async ({ body, user, audit, reply }) => {
      const r = await ingestUpload(ctx.db, body, user?.id ?? '', ctx.now());
      audit.patientId = r.patientId;
      audit.resourceId = r.sessionId;
      // A retry that found its upload already stored is a success, not a creation.
      if (r.duplicate) reply.code(200);
      return r;
    },
  });
  addRoute(app, ctx, table, {
    method: 'GET',
    url: '/api/worklist',
    summary: 'Refills due and overdue, patients away when a refill falls due, ERI and replacement, unresolved critical alarms, unreviewed refill discrepancies',
    tag: 'worklist',
    roles: ['clinician', 'nurse'],
    query: WorklistQuery,
    audit: { action: 'read', resource: 'worklist' },
    handler: async ({ query }) => (await buildWorklist(ctx.db, worklistOptions(ctx, query))).slice(query.offset, query.offset + query.limit),
  });
  addRoute(app, ctx, table, {
    method: 'POST',
    url: '/api/forecasts/recompute',
    summary: "Recompute every patient's forecast from their last interrogation with the current pump core",
    tag: 'worklist',
    roles: ['admin', 'clinician'],
    audit: { action: 'update', resource: 'forecast-all' },
    handler: async () => {
      const started = performance.now();
      const r = await recomputeAllForecasts(ctx.db, ctx.now());
      return { ...r, elapsedMs: Math.round(performance.now() - started) };
    },
  });
  const IdParams = z.strictObject({ id: uuid });
  addRoute(app, ctx, table, {
    method: 'POST',
    url: '/api/alarms/:id/review',
    summary: 'Mark an alarm as reviewed by the clinic (it leaves the worklist)',
    tag: 'worklist',
    roles: ['clinician', 'nurse'],
    params: IdParams,
    body: ReviewInput,
    audit: { action: 'update', resource: 'alarm' },
    handler: async ({ params, user, audit }) => {
      const a = await ctx.db.selectFrom('alarms').select(['patient_id', 'reviewed_at_ms']).where('id', '=', params.id).executeTakeFirst();
      if (a === undefined) throw notFound(`alarm ${params.id}`);
      audit.patientId = a.patient_id;
      audit.resourceId = params.id;
      if (a.reviewed_at_ms !== null) throw conflict('this alarm was already reviewed');
      const at = ctx.now();
      await ctx.db.updateTable('alarms').set({ reviewed_at_ms: at, reviewed_by: user?.id ?? '' }).where('id', '=', params.id).execute();
      return { id: params.id, reviewedAtMs: at };
    },
  });
  addPatientRoute(app, ctx, table, {
    method: 'POST',
    path: '/forecast/eri-shift/review',
    summary: 'Mark the battery forecast moving earlier as reviewed (clinician): it leaves the worklist until the next session moves it again',
    tag: 'worklist',
    roles: ['clinician'],
    body: ReviewInput,
    audit: { action: 'update', resource: 'forecast' },
    handler: async ({ params, user, audit }) => {
      const f = await ctx.db.selectFrom('forecasts').select(['eri_shift_ms', 'eri_shift_reviewed_at_ms']).where('patient_id', '=', params.patientId).executeTakeFirst();
      if (f === undefined || !(Number(f.eri_shift_ms) > 0)) throw notFound('no earlier battery forecast to review for this patient');
      if (f.eri_shift_reviewed_at_ms !== null) throw conflict('this battery forecast change was already reviewed');
      const at = ctx.now();
      await ctx.db.updateTable('forecasts').set({ eri_shift_reviewed_at_ms: at, eri_shift_reviewed_by: user?.id ?? '' }).where('patient_id', '=', params.patientId).execute();
      audit.resourceId = params.patientId;
      return { patientId: params.patientId, reviewedAtMs: at };
    },
  });
  addRoute(app, ctx, table, {
    method: 'POST',
    url: '/api/refills/:id/review',
    summary: 'Mark a refill discrepancy as reviewed (clinician)',
    tag: 'worklist',
    roles: ['clinician'],
    params: IdParams,
    body: ReviewInput,
    audit: { action: 'update', resource: 'refill' },
    handler: async ({ params, user, audit }) => {
      const r = await ctx.db.selectFrom('refills').select(['patient_id', 'reviewed_at_ms']).where('id', '=', params.id).executeTakeFirst();
      if (r === undefined) throw notFound(`refill ${params.id}`);
      audit.patientId = r.patient_id;
      audit.resourceId = params.id;
      if (r.reviewed_at_ms !== null) throw conflict('this refill was already reviewed');
      const at = ctx.now();
      await ctx.db.updateTable('refills').set({ reviewed_at_ms: at, reviewed_by: user?.id ?? '' }).where('id', '=', params.id).execute();
      return { id: params.id, reviewedAtMs: at };
    },
  });
}
