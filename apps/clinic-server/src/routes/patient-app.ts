/**
 * What the patient's app (apps/ptm) sends the clinic: the dates the patient will be away (travel,
 * hospital stay) and the usage reports they choose to share. Only a signed-in patient may send,
 * and only for their own record. The app queues these while offline and may send one twice (an
 * answer lost on a bad connection), so each carries the app's own id: the same id with the same
 * content is a harmless replay (200), the same id with other content is refused (409).
 */
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { LIMITS } from '@thecal/pump-core';
import type { AppContext } from '../http/context.ts';
import { conflict, HttpError } from '../http/errors.ts';
import { addPatientRoute, type RouteTable } from '../http/route.ts';
import { epochMs, uuid } from '../domain/schemas.ts';
import { requirePatient } from './patients.ts';

const MS_PER_DAY = 86_400_000;
/** A report spans at most this long: a year of use plus slack for a 53-week span. */
const MAX_REPORT_DAYS = 400;
const count = z.number().int().min(0).max(1_000_000);
const noControl = (max: number) => z.string().max(max).refine((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(s), 'must not contain control characters');

export const AppAbsenceInput = z
  .strictObject({
    /** The app's id for this entry (a UUID it made when the patient saved it). */
    clientId: uuid,
    kind: z.enum(['travel', 'hospital-stay']),
    fromMs: epochMs,
    untilMs: epochMs,
    notes: noControl(500).default(''),
  })
  .refine((a) => a.untilMs > a.fromMs, { message: 'untilMs must be after fromMs', path: ['untilMs'] })
  .refine((a) => a.untilMs - a.fromMs <= 366 * MS_PER_DAY, { message: 'an absence may last at most 366 days', path: ['untilMs'] });

const Counts = z.strictObject({ requested: count, delivered: count, denied: count });
type Counts = z.infer<typeof Counts>;

export const UsageReportInput = z
  .strictObject({
    clientId: uuid,
    pumpSerial: z.string().regex(/^[A-Za-z0-9-]{1,32}$/, 'must be 1 to 32 letters, digits or dashes'),
    fromMs: epochMs,
    untilMs: epochMs,
    generatedAtMs: epochMs,
    /** The pump's local-time offset the per-day and per-hour counts were made in. */
    utcOffsetMs: z.number().int().min(LIMITS.minUtcOffsetMs).max(LIMITS.maxUtcOffsetMs),
    totals: Counts,
    /** Requests the pump denied, by the pump's own reason code. */
    deniedByReason: z.record(z.string().regex(/^[a-z0-9-]{1,40}$/, 'must be a pump reason code'), count),
    deliveredNl: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    perDay: z.array(Counts.extend({ date: z.iso.date({ error: 'must be a date YYYY-MM-DD' }) })).max(MAX_REPORT_DAYS),
    perHour: z.array(Counts).length(24, 'must have one entry per hour of the day (24)'),
  })
  .superRefine((r, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (r.untilMs <= r.fromMs) issue(['untilMs'], 'untilMs must be after fromMs');
    if (r.untilMs - r.fromMs > MAX_REPORT_DAYS * MS_PER_DAY) issue(['untilMs'], `a report may span at most ${MAX_REPORT_DAYS} days`);
    if (r.totals.delivered + r.totals.denied > r.totals.requested) issue(['totals'], 'delivered plus denied cannot exceed requested');
    const sum = (xs: readonly Counts[]): Counts => xs.reduce((a, x) => ({ requested: a.requested + x.requested, delivered: a.delivered + x.delivered, denied: a.denied + x.denied }), { requested: 0, delivered: 0, denied: 0 });
    const same = (a: Counts, b: Counts) => a.requested === b.requested && a.delivered === b.delivered && a.denied === b.denied;
    if (!same(sum(r.perDay), r.totals)) issue(['perDay'], 'the per-day counts must add up to the totals');
    if (!same(sum(r.perHour), r.totals)) issue(['perHour'], 'the per-hour counts must add up to the totals');
    const byReason = Object.values(r.deniedByReason).reduce((a, b) => a + b, 0);
    if (byReason !== r.totals.denied) issue(['deniedByReason'], 'the denials by reason must add up to totals.denied');
    if (Object.keys(r.deniedByReason).length > 32) issue(['deniedByReason'], 'at most 32 reasons');
    const dates = r.perDay.map((d) => d.date);
    if (new Set(dates).size !== dates.length) issue(['perDay'], 'each date may appear once');
  });
export type UsageReportInput = z.infer<typeof UsageReportInput>;

export function patientAppRoutes(app: FastifyInstance, ctx: AppContext, table: RouteTable): void {
  const db = ctx.db;
  addPatientRoute(app, ctx, table, {
    method: 'POST',
    path: '/app/absences',
    summary: 'From the patient app: record dates away (travel, hospital stay); re-sending the same clientId is a harmless replay',
    tag: 'patient-app',
    roles: ['patient'],
    body: AppAbsenceInput,
    audit: { action: 'create', resource: 'absence' },
    status: 201,
    handler: async ({ params, body, user, audit, reply }) => {
      await requirePatient(ctx, params.patientId);
      audit.resourceId = body.clientId;
      const existing = await db.selectFrom('absences').selectAll().where('id', '=', body.clientId).executeTakeFirst();
      if (existing !== undefined) {
        const same = existing.patient_id === params.patientId && existing.kind === body.kind && Number(existing.from_ms) === body.fromMs && Number(existing.until_ms) === body.untilMs && existing.notes === body.notes;
        if (!same) throw conflict(`absence ${body.clientId} was already recorded with other content`);
        reply.code(200);
        return { id: body.clientId, replayed: true };
      }
      await db.insertInto('absences').values({ id: body.clientId, patient_id: params.patientId, kind: body.kind, from_ms: body.fromMs, until_ms: body.untilMs, notes: body.notes, recorded_by: user?.id ?? '' }).execute();
      return { id: body.clientId, replayed: false };
    },
  });

  addPatientRoute(app, ctx, table, {
    method: 'POST',
    path: '/usage-reports',
    summary: 'From the patient app: share a usage report (patient bolus requests, delivered, denied by reason, per day and per hour)',
    tag: 'patient-app',
    roles: ['patient'],
    body: UsageReportInput,
    audit: { action: 'create', resource: 'usage-report' },
    status: 201,
    handler: async ({ params, body, user, audit, reply }) => {
      await requirePatient(ctx, params.patientId);
      audit.resourceId = body.clientId;
      const json = JSON.stringify(body);
      const existing = await db.selectFrom('usage_reports').select(['patient_id', 'report_json']).where('id', '=', body.clientId).executeTakeFirst();
      if (existing !== undefined) {
        if (existing.patient_id !== params.patientId || existing.report_json !== json) throw conflict(`usage report ${body.clientId} was already shared with other content`);
        reply.code(200);
        return { id: body.clientId, replayed: true };
      }
      const implant = await db.selectFrom('implants').select('patient_id').where('pump_serial', '=', body.pumpSerial).executeTakeFirst();
      // A report from a pump registered to someone else is a mix-up, not this patient's data.
      if (implant !== undefined && implant.patient_id !== params.patientId) {
        throw new HttpError(400, 'validation-failed', `body.pumpSerial: pump ${body.pumpSerial} is registered to another patient`, [{ path: 'body.pumpSerial', message: 'registered to another patient' }]);
      }
      await db
        .insertInto('usage_reports')
        .values({
          id: body.clientId,
          patient_id: params.patientId,
          pump_serial: body.pumpSerial,
          from_ms: body.fromMs,
          until_ms: body.untilMs,
          generated_at_ms: body.generatedAtMs,
          requested: body.totals.requested,
          delivered: body.totals.delivered,
          denied: body.totals.denied,
          report_json: json,
          received_at_ms: ctx.now(),
          submitted_by: user?.id ?? '',
        })
        .execute();
      return { id: body.clientId, replayed: false };
    },
  });

  addPatientRoute(app, ctx, table, {
    method: 'GET',
    path: '/usage-reports',
    summary: 'The usage reports the patient shared, newest first (the clinic reads them to adjust the dose)',
    tag: 'patient-app',
    roles: ['clinician', 'nurse', 'patient'],
    audit: { action: 'read', resource: 'usage-report' },
    handler: async ({ params }) => {
      await requirePatient(ctx, params.patientId);
      const rows = await db.selectFrom('usage_reports').selectAll().where('patient_id', '=', params.patientId).orderBy('generated_at_ms', 'desc').limit(200).execute();
      return rows.map((r) => ({ id: r.id, receivedAtMs: Number(r.received_at_ms), report: JSON.parse(r.report_json) as UsageReportInput }));
    },
  });
}
