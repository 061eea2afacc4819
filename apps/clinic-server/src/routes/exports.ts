/** Exports: the worklist and a patient's histories as CSV, the session / refill report as PDF. */
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../http/context.ts';
import { addPatientRoute, addRoute, type RouteTable } from '../http/route.ts';
import { alarmView, prescriptionView, refillView, sessionView } from '../domain/views.ts';
import { buildWorklist } from '../domain/worklist.ts';
import { recordsCsv, worklistCsv } from '../exports/csv.ts';
import { sessionReportPdf } from '../exports/pdf.ts';
import { bolusUsage, patientPage, requirePatient } from './patients.ts';
import { WorklistQuery, worklistOptions } from './clinic.ts';

const HistoryQuery = z.strictObject({ kind: z.enum(['refills', 'sessions', 'alarms', 'prescriptions', 'bolus-usage']) });

export function exportRoutes(app: FastifyInstance, ctx: AppContext, table: RouteTable): void {
  const db = ctx.db;
  addRoute(app, ctx, table, {
    method: 'GET',
    url: '/api/exports/worklist.csv',
    summary: 'The worklist as CSV',
    tag: 'exports',
    roles: ['clinician', 'nurse'],
    query: WorklistQuery,
    audit: { action: 'export', resource: 'worklist' },
    handler: async ({ query, reply }) => {
      void reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="worklist.csv"');
      return worklistCsv((await buildWorklist(db, worklistOptions(ctx, query))).slice(query.offset, query.offset + query.limit));
    },
  });
  addPatientRoute(app, ctx, table, {
    method: 'GET',
    path: '/exports/history.csv',
    summary: "A patient's history as CSV: refills, sessions, alarms, prescriptions or bolus usage",
    tag: 'exports',
    roles: ['clinician', 'nurse'],
    query: HistoryQuery,
    audit: { action: 'export', resource: 'history' },
    handler: async ({ params, query, reply }) => {
      await requirePatient(ctx, params.patientId);
      const pid = params.patientId;
      let rows: Record<string, unknown>[];
      switch (query.kind) {
        case 'refills':
          rows = (await db.selectFrom('refills').selectAll().where('patient_id', '=', pid).orderBy('refilled_at_ms').execute()).map(refillView);
          break;
        case 'sessions':
          rows = (
            await db
              .selectFrom('programming_sessions')
              .select(['id', 'patient_id', 'pump_serial', 'interrogated_at_ms', 'uploaded_at_ms', 'uploaded_by', 'event_next_seq', 'therapy_next_seq', 'records_received', 'records_missed'])
              .where('patient_id', '=', pid)
              .orderBy('interrogated_at_ms')
              .execute()
          ).map(sessionView);
          break;
        case 'alarms':
          rows = (await db.selectFrom('alarms').selectAll().where('patient_id', '=', pid).orderBy('raised_at_ms').execute()).map(alarmView);
          break;
        case 'prescriptions':
          rows = (await db.selectFrom('prescriptions').selectAll().where('patient_id', '=', pid).orderBy('version').execute()).map(prescriptionView);
          break;
        case 'bolus-usage':
          rows = await bolusUsage(ctx, pid);
          break;
      }
      void reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${query.kind}.csv"`);
      return recordsCsv(rows);
    },
  });
  addPatientRoute(app, ctx, table, {
    method: 'GET',
    path: '/exports/report.pdf',
    summary: 'The session / refill report as PDF',
    tag: 'exports',
    roles: ['clinician', 'nurse'],
    audit: { action: 'export', resource: 'report' },
    handler: async ({ params, reply }) => {
      const pdf = await sessionReportPdf(await patientPage(ctx, params.patientId), ctx.now());
      void reply.type('application/pdf').header('content-disposition', 'attachment; filename="session-report.pdf"');
      return pdf;
    },
  });
}
