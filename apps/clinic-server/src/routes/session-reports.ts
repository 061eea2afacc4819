/**
 * The programmer's session report: a PDF the programmer writes at the end of a visit and sends
 * right after the session upload (from its offline queue, so possibly days later, and possibly
 * twice). One report per programming session; the same report again is "already stored", a
 * different one is a conflict.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../http/context.ts';
import { conflict, HttpError, notFound } from '../http/errors.ts';
import { addRoute, type RouteTable } from '../http/route.ts';
import { uuid } from '../domain/schemas.ts';

/** Largest report accepted (a text report of a visit is a few kB). */
export const MAX_REPORT_BYTES = 2 * 1024 * 1024;

const SessionParams = z.strictObject({ id: uuid });
const ReportInput = z.strictObject({
  pdfBase64: z
    .string()
    .max(Math.ceil(MAX_REPORT_BYTES / 3) * 4, `must be at most ${MAX_REPORT_BYTES} bytes of PDF`)
    .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'must be base64'),
});

export function sessionReportRoutes(app: FastifyInstance, ctx: AppContext, table: RouteTable): void {
  const db = ctx.db;
  const sessionOf = async (id: string) => {
    const s = await db.selectFrom('programming_sessions').select(['id', 'patient_id']).where('id', '=', id).executeTakeFirst();
    if (s === undefined) throw notFound('programming session');
    return s;
  };
  addRoute(app, ctx, table, {
    method: 'POST',
    url: '/api/sessions/:id/report',
    summary: "Attach the programmer's session report (PDF, base64) to a programming session; idempotent",
    tag: 'pump-data',
    roles: ['clinician', 'nurse'],
    params: SessionParams,
    body: ReportInput,
    bodyLimit: Math.ceil(MAX_REPORT_BYTES / 3) * 4 + 1024,
    audit: { action: 'create', resource: 'session-report' },
    status: 201,
    handler: async ({ params, body, user, audit, reply }) => {
      const s = await sessionOf(params.id);
      audit.patientId = s.patient_id;
      audit.resourceId = s.id;
      const pdf = Buffer.from(body.pdfBase64, 'base64');
      if (pdf.subarray(0, 5).toString('latin1') !== '%PDF-') throw new HttpError(400, 'bad-request', 'the report is not a PDF (it must start with %PDF-)', [{ path: 'body.pdfBase64', message: 'not a PDF' }]);
      const sha256 = createHash('sha256').update(pdf).digest('hex');
      const held = await db.selectFrom('session_reports').select(['sha256']).where('session_id', '=', s.id).executeTakeFirst();
      if (held !== undefined) {
        if (held.sha256 !== sha256) throw conflict('this session already has a different report');
        reply.code(200);
        return { sessionId: s.id, sizeBytes: pdf.length, sha256, duplicate: true };
      }
      await db.insertInto('session_reports').values({ session_id: s.id, patient_id: s.patient_id, pdf_base64: body.pdfBase64, size_bytes: pdf.length, sha256, uploaded_at_ms: ctx.now(), uploaded_by: user?.id ?? '' }).execute();
      return { sessionId: s.id, sizeBytes: pdf.length, sha256, duplicate: false };
    },
  });
  addRoute(app, ctx, table, {
    method: 'GET',
    url: '/api/sessions/:id/report.pdf',
    summary: "The programmer's session report of a programming session (PDF)",
    tag: 'pump-data',
    roles: ['clinician', 'nurse'],
    params: SessionParams,
    audit: { action: 'read', resource: 'session-report' },
    handler: async ({ params, audit, reply }) => {
      const s = await sessionOf(params.id);
      audit.patientId = s.patient_id;
      audit.resourceId = s.id;
      const r = await db.selectFrom('session_reports').select(['pdf_base64']).where('session_id', '=', s.id).executeTakeFirst();
      if (r === undefined) throw notFound('a report for this session');
      void reply.type('application/pdf').header('content-disposition', `attachment; filename="session-${s.id}.pdf"`);
      return Buffer.from(r.pdf_base64, 'base64');
    },
  });
}
