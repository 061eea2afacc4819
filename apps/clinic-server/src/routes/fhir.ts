/** The FHIR R4 read API: read Patient and Device by id, search every type by patient, CapabilityStatement. */
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../http/context.ts';
import { forbidden, notFound } from '../http/errors.ts';
import { addRoute, type HandlerInput, type RouteTable } from '../http/route.ts';
import { uuid } from '../domain/schemas.ts';
import { requirePatient } from './patients.ts';
import {
  alarmFlag,
  alarmObservation,
  auditEvent,
  capabilityStatement,
  catheterDevice,
  drugText,
  deviceMetrics,
  deviceUseStatement,
  DEVICE_METRIC_SUFFIXES,
  implantProcedure,
  medicationAdministration,
  medicationRequest,
  patientResource,
  practitionerResource,
  pumpDevice,
  refillProcedure,
  searchBundle,
  sessionObservations,
  type Resource,
} from '../fhir/resources.ts';

const FHIR_JSON = 'application/fhir+json; charset=utf-8';
/** FHIR paging: _count per page (default 100, at most 500) and the _offset of the first match. */
const paging = {
  _count: z.coerce.number().int().min(1).max(500).default(100),
  _offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
};
const ByPatient = z.strictObject({ patient: uuid.or(z.string().regex(/^Patient\/[0-9a-f-]{36}$/, 'must be a patient id or Patient/<id>').transform((s) => s.slice(8))), ...paging });
const ByIdQuery = z.strictObject({ _id: uuid });
const IdParams = z.strictObject({ id: uuid });
const DeviceIdParams = z.strictObject({ id: z.string().regex(/^[0-9a-f-]{36}(-catheter)?$/, 'must be a device id') });
const DeviceMetricIdParams = z.strictObject({ id: z.string().regex(new RegExp(`^[0-9a-f-]{36}-(${DEVICE_METRIC_SUFFIXES.join('|')})$`), 'must be a device metric id') });
const EVERYONE = ['clinician', 'nurse', 'patient'] as const;

export function fhirRoutes(app: FastifyInstance, ctx: AppContext, table: RouteTable): void {
  const db = ctx.db;
  addRoute(app, ctx, table, {
    method: 'GET',
    url: '/fhir/metadata',
    summary: 'FHIR CapabilityStatement',
    tag: 'fhir',
    roles: 'public',
    audit: null,
    handler: async ({ reply }) => {
      void reply.type(FHIR_JSON);
      return capabilityStatement(ctx.now());
    },
  });
  addRoute(app, ctx, table, {
    method: 'GET',
    url: '/fhir/Patient/:id',
    summary: 'FHIR Patient by id',
    tag: 'fhir',
    roles: EVERYONE,
    patientParam: 'id',
    params: IdParams,
    audit: { action: 'read', resource: 'fhir-patient' },
    handler: async ({ params, reply, audit }) => {
      audit.resourceId = params.id;
      void reply.type(FHIR_JSON);
      return patientResource(await requirePatient(ctx, params.id));
    },
  });
  addRoute(app, ctx, table, {
    method: 'GET',
    url: '/fhir/Patient',
    summary: 'FHIR Patient search by _id',
    tag: 'fhir',
    roles: EVERYONE,
    query: ByIdQuery,
    audit: { action: 'read', resource: 'fhir-patient' },
    handler: async (input) => {
      const id = ownPatient(input, input.query._id);
      const p = await db.selectFrom('patients').selectAll().where('id', '=', id).execute();
      void input.reply.type(FHIR_JSON);
      return searchBundle(p.map(patientResource), `/fhir/Patient?_id=${id}`);
    },
  });
  addRoute(app, ctx, table, {
    method: 'GET',
    url: '/fhir/Device/:id',
    summary: 'FHIR Device (pump, or catheter with the -catheter suffix) by id',
    tag: 'fhir',
    roles: ['clinician', 'nurse'],
    params: DeviceIdParams,
    audit: { action: 'read', resource: 'fhir-device' },
    handler: async ({ params, reply, audit }) => {
      const implantId = params.id.replace(/-catheter$/, '');
      const i = await db.selectFrom('implants').selectAll().where('id', '=', implantId).executeTakeFirst();
      if (i === undefined) throw notFound(`Device ${params.id}`);
      audit.patientId = i.patient_id;
      audit.resourceId = params.id;
      void reply.type(FHIR_JSON);
      return params.id.endsWith('-catheter') ? catheterDevice(i) : pumpDevice(i);
    },
  });

  addRoute(app, ctx, table, {
    method: 'GET',
    url: '/fhir/DeviceMetric/:id',
    summary: "FHIR DeviceMetric (the pump's flow rate, volume remaining or volume delivered) by id",
    tag: 'fhir',
    roles: ['clinician', 'nurse'],
    params: DeviceMetricIdParams,
    audit: { action: 'read', resource: 'fhir-device-metric' },
    handler: async ({ params, reply, audit }) => {
      const implantId = params.id.slice(0, 36);
      const i = await db.selectFrom('implants').selectAll().where('id', '=', implantId).executeTakeFirst();
      const metric = i === undefined ? undefined : deviceMetrics(i).find((m) => m.id === params.id);
      if (i === undefined || metric === undefined) throw notFound(`DeviceMetric ${params.id}`);
      audit.patientId = i.patient_id;
      audit.resourceId = params.id;
      void reply.type(FHIR_JSON);
      return metric;
    },
  });

  addRoute(app, ctx, table, {
    method: 'GET',
    url: '/fhir/Practitioner/:id',
    summary: 'FHIR Practitioner (a clinic user who prescribes or refills) by id',
    tag: 'fhir',
    roles: ['admin', 'clinician', 'nurse'],
    params: IdParams,
    audit: null,
    handler: async ({ params, reply }) => {
      const u = await db.selectFrom('users').select(['id', 'username', 'role', 'display_name', 'disabled']).where('id', '=', params.id).where('role', '!=', 'patient').executeTakeFirst();
      if (u === undefined) throw notFound(`Practitioner ${params.id}`);
      void reply.type(FHIR_JSON);
      return practitionerResource(u);
    },
  });

  const search = (type: string, roles: readonly ('admin' | 'clinician' | 'nurse' | 'patient')[], load: (patientId: string) => Promise<Resource[]>) =>
    addRoute(app, ctx, table, {
      method: 'GET',
      url: `/fhir/${type}`,
      summary: `FHIR ${type} search by patient`,
      tag: 'fhir',
      roles,
      query: ByPatient,
      audit: { action: 'read', resource: `fhir-${type}` },
      handler: async (input) => {
        const id = ownPatient(input, input.query.patient);
        input.audit.patientId = id;
        await requirePatient(ctx, id);
        void input.reply.type(FHIR_JSON);
        return searchBundle(await load(id), `/fhir/${type}?patient=${id}`, { count: input.query._count, offset: input.query._offset });
      },
    });
  const implantsOf = (pid: string) => db.selectFrom('implants').selectAll().where('patient_id', '=', pid).orderBy('implanted_at_ms').execute();
  const currentImplantId = async (pid: string) => (await db.selectFrom('implants').select('id').where('patient_id', '=', pid).orderBy('implanted_at_ms', 'desc').executeTakeFirst())?.id ?? null;

  search('Device', EVERYONE, async (pid) => (await implantsOf(pid)).flatMap((i) => [pumpDevice(i), catheterDevice(i)]));
  search('DeviceMetric', EVERYONE, async (pid) => (await implantsOf(pid)).flatMap(deviceMetrics));
  search('DeviceUseStatement', EVERYONE, async (pid) => (await implantsOf(pid)).map(deviceUseStatement));
  search('MedicationRequest', EVERYONE, async (pid) => {
    const rows = await db.selectFrom('prescriptions').selectAll().where('patient_id', '=', pid).orderBy('version').execute();
    return rows.map((r, i) => medicationRequest(r, i === rows.length - 1));
  });
  search('MedicationAdministration', EVERYONE, async (pid) => {
    const implantId = await currentImplantId(pid);
    const rx = await db.selectFrom('prescriptions').select('prescription_json').where('patient_id', '=', pid).orderBy('version', 'desc').executeTakeFirst();
    const parsed = rx === undefined ? null : (JSON.parse(rx.prescription_json) as { drugId: string; concentrationMcgPerMl: number });
    const drug = parsed === null ? 'intrathecal drug' : drugText(parsed.drugId, parsed.concentrationMcgPerMl);
    const rows = await db
      .selectFrom('log_records')
      .select(['pump_serial', 'seq', 'utc_ms', 'utc_offset_ms', 'type', 'data_json'])
      .where('patient_id', '=', pid)
      .where('log', '=', 'therapy')
      .where('type', 'in', ['daily-total', 'patient-bolus-ended'])
      .orderBy('utc_ms', 'desc')
      .limit(20_000)
      .execute();
    return rows.map((r) => medicationAdministration(r, pid, implantId, drug)).filter((r): r is Resource => r !== null);
  });
  search('Observation', EVERYONE, async (pid) => {
    const implantId = await currentImplantId(pid);
    const sessions = await db.selectFrom('programming_sessions').select(['id', 'patient_id', 'interrogated_at_ms', 'pump_serial', 'status_json']).where('patient_id', '=', pid).orderBy('interrogated_at_ms').execute();
    const alarms = await db.selectFrom('alarms').selectAll().where('patient_id', '=', pid).orderBy('raised_at_ms').execute();
    return [...sessions.flatMap((s) => sessionObservations(s, implantId)), ...alarms.map((a) => alarmObservation(a, implantId))];
  });
  search('Flag', EVERYONE, async (pid) => {
    const implantId = await currentImplantId(pid);
    const alarms = await db.selectFrom('alarms').selectAll().where('patient_id', '=', pid).orderBy('raised_at_ms').execute();
    return alarms.map((a) => alarmFlag(a, implantId));
  });
  search('Procedure', EVERYONE, async (pid) => {
    const implants = await implantsOf(pid);
    const refills = await db.selectFrom('refills').selectAll().where('patient_id', '=', pid).orderBy('refilled_at_ms').execute();
    const bySerial = new Map(implants.map((i) => [i.pump_serial, i.id]));
    return [...implants.flatMap(implantProcedure), ...refills.map((r) => refillProcedure(r, bySerial.get(r.pump_serial) ?? null))];
  });
  search('AuditEvent', ['admin', 'clinician'], async (pid) =>
    (await db.selectFrom('audit_log').selectAll().where('patient_id', '=', pid).orderBy('id', 'desc').limit(500).execute()).map(auditEvent),
  );
}

/** A patient may search only their own record. */
function ownPatient(input: HandlerInput<unknown, unknown, unknown>, id: string): string {
  if (input.user?.role === 'patient' && input.user.patientId !== id) throw forbidden('a patient may only see their own record');
  return id;
}
