/** Patients and their records: assessment, screening trial, implant, prescriptions, refills, events, absences. */
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { PUMP_MODELS, validatePrescription, type Prescription } from '@thecal/pump-core';
import { newId } from '../auth/sessions.ts';
import type { AppContext } from '../http/context.ts';
import { conflict, HttpError, notFound } from '../http/errors.ts';
import { addPatientRoute, addRoute, type RouteTable } from '../http/route.ts';
import { assessCandidate } from '../domain/assessment.ts';
import { AbsenceInput, AssessmentInput, ClinicalEventInput, ExplantInput, ImplantInput, ImplantParams, ListQuery, PatientInput, PrescriptionInput, RefillInput, ScreeningTrialInput } from '../domain/schemas.ts';
import { absenceView, alarmView, assessmentView, clinicalEventView, forecastView, implantView, patientView, prescriptionView, refillView, sessionView, trialView } from '../domain/views.ts';

const CLINICAL = ['clinician', 'nurse'] as const;
const CLINICAL_AND_PATIENT = ['clinician', 'nurse', 'patient'] as const;

export async function requirePatient(ctx: AppContext, patientId: string) {
  const p = await ctx.db.selectFrom('patients').selectAll().where('id', '=', patientId).executeTakeFirst();
  if (p === undefined) throw notFound(`patient ${patientId}`);
  return p;
}

const PatientSearch = z.strictObject({
  q: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

export function patientRoutes(app: FastifyInstance, ctx: AppContext, table: RouteTable): void {
  const db = ctx.db;
  addRoute(app, ctx, table, {
    method: 'POST',
    url: '/api/patients',
    summary: 'Register a patient',
    tag: 'patients',
    roles: CLINICAL,
    body: PatientInput,
    audit: { action: 'create', resource: 'patient' },
    status: 201,
    handler: async ({ body, user, audit }) => {
      const taken = await db.selectFrom('patients').select('id').where('mrn', '=', body.mrn).executeTakeFirst();
      if (taken !== undefined) throw conflict(`medical record number ${body.mrn} is already registered`);
      const id = newId();
      await db
        .insertInto('patients')
        .values({ id, mrn: body.mrn, family_name: body.familyName, given_name: body.givenName, birth_date: body.birthDate, sex: body.sex, indication: body.indication, created_at_ms: ctx.now(), created_by: user?.id ?? '' })
        .execute();
      audit.patientId = id;
      audit.resourceId = id;
      return { id };
    },
  });
  addRoute(app, ctx, table, {
    method: 'GET',
    url: '/api/patients',
    summary: 'List or search patients (by name or record number)',
    tag: 'patients',
    roles: CLINICAL,
    query: PatientSearch,
    audit: { action: 'read', resource: 'patient-list' },
    handler: async ({ query }) => {
      let q = db.selectFrom('patients').selectAll().orderBy('family_name').orderBy('given_name').limit(query.limit).offset(query.offset);
      if (query.q !== undefined && query.q !== '') {
        const like = `%${query.q.toLowerCase().replace(/[%_\\]/g, '')}%`;
        q = q.where((eb) => eb.or([eb(eb.fn('lower', ['family_name']), 'like', like), eb(eb.fn('lower', ['given_name']), 'like', like), eb(eb.fn('lower', ['mrn']), 'like', like)]));
      }
      return (await q.execute()).map(patientView);
    },
  });
  addPatientRoute(app, ctx, table, {
    method: 'GET',
    path: '',
    summary: 'The patient page: record, implant, current prescription, forecast, open alarms, last refill and session, absences',
    tag: 'patients',
    roles: CLINICAL_AND_PATIENT,
    audit: { action: 'read', resource: 'patient' },
    handler: async ({ params, audit }) => {
      audit.resourceId = params.patientId;
      return patientPage(ctx, params.patientId);
    },
  });

  // ---- candidate assessment and screening trial
  addPatientRoute(app, ctx, table, {
    method: 'POST',
    path: '/assessments',
    summary: 'Record a candidate assessment; the server decides eligibility and names every unmet criterion',
    tag: 'candidacy',
    roles: ['clinician'],
    body: AssessmentInput,
    audit: { action: 'create', resource: 'assessment' },
    status: 201,
    handler: async ({ params, body, user, audit }) => {
      const p = await requirePatient(ctx, params.patientId);
      const verdict = assessCandidate(body, p.birth_date);
      const id = newId();
      await db
        .insertInto('assessments')
        .values({ id, patient_id: p.id, assessed_at_ms: body.assessedAtMs, assessed_by: user?.id ?? '', criteria_json: JSON.stringify(body), eligible: verdict.eligible ? 1 : 0, reasons_json: JSON.stringify(verdict.reasons) })
        .execute();
      audit.resourceId = id;
      return { id, ...verdict };
    },
  });
  listRoute(app, ctx, table, 'assessments', 'candidacy', CLINICAL, async (pid) => (await db.selectFrom('assessments').selectAll().where('patient_id', '=', pid).orderBy('assessed_at_ms').execute()).map(assessmentView));

  addPatientRoute(app, ctx, table, {
    method: 'POST',
    path: '/screening-trials',
    summary: 'Record a screening trial: doses, times, responses',
    tag: 'candidacy',
    roles: ['clinician'],
    body: ScreeningTrialInput,
    audit: { action: 'create', resource: 'screening-trial' },
    status: 201,
    handler: async ({ params, body, user, audit }) => {
      await requirePatient(ctx, params.patientId);
      for (const [i, d] of body.doses.entries()) {
        if (d.observedUntilMs < d.givenAtMs) throw new HttpError(400, 'validation-failed', `body.doses[${i}].observedUntilMs: must not be before givenAtMs`, [{ path: `body.doses[${i}].observedUntilMs`, message: 'must not be before givenAtMs' }]);
      }
      const outcome = body.doses.some((d) => d.response === 'positive') ? 'positive' : body.doses.some((d) => d.response === 'partial') ? 'partial' : 'negative';
      const effective = body.doses.find((d) => d.response === 'positive');
      // DOMAIN 2.4: the starting pump dose is the effective screening dose per 24 h, twice that if the effect lasted under 8 h.
      const startingDoseMcgPerDay = effective === undefined ? null : effective.effectDurationMs !== null && effective.effectDurationMs < 8 * 3_600_000 ? effective.doseMcg * 2 : effective.doseMcg;
      const id = newId();
      await db.insertInto('screening_trials').values({ id, patient_id: params.patientId, drug_id: body.drugId, started_at_ms: body.startedAtMs, doses_json: JSON.stringify(body.doses), outcome, recorded_by: user?.id ?? '' }).execute();
      audit.resourceId = id;
      return { id, outcome, startingDoseMcgPerDay };
    },
  });
  listRoute(app, ctx, table, 'screening-trials', 'candidacy', CLINICAL, async (pid) => (await db.selectFrom('screening_trials').selectAll().where('patient_id', '=', pid).orderBy('started_at_ms').execute()).map(trialView));

  // ---- implants
  addPatientRoute(app, ctx, table, {
    method: 'POST',
    path: '/implants',
    summary: 'Record an implant: pump model, serial, reservoir, date, catheter',
    tag: 'implants',
    roles: ['clinician'],
    body: ImplantInput,
    audit: { action: 'create', resource: 'implant' },
    status: 201,
    handler: async ({ params, body, user, audit }) => {
      await requirePatient(ctx, params.patientId);
      const taken = await db.selectFrom('implants').select('id').where('pump_serial', '=', body.pumpSerial).executeTakeFirst();
      if (taken !== undefined) throw conflict(`pump serial ${body.pumpSerial} is already recorded`);
      const id = newId();
      // A new implant replaces the patient's current one (pump replacement at end of service).
      await db.transaction().execute(async (trx) => {
        const replaced = await trx.updateTable('implants').set({ explanted_at_ms: body.implantedAtMs }).where('patient_id', '=', params.patientId).where('explanted_at_ms', 'is', null).executeTakeFirst();
        // The forecast belonged to the pump that came out; the new pump's first upload makes a new one.
        if (Number(replaced.numUpdatedRows) > 0) await trx.deleteFrom('forecasts').where('patient_id', '=', params.patientId).execute();
        await trx
          .insertInto('implants')
          .values({
            id,
            patient_id: params.patientId,
            pump_serial: body.pumpSerial,
            pump_model: body.pumpModel,
            reservoir_capacity_nl: PUMP_MODELS[body.pumpModel].reservoirCapacityNl,
            implanted_at_ms: body.implantedAtMs,
            pump_depth_mm: body.pumpDepthMm,
            catheter_model: body.catheterModel,
            catheter_length_mm: body.catheterLengthMm,
            catheter_volume_nl: body.catheterVolumeNl,
            explanted_at_ms: null,
            created_by: user?.id ?? '',
          })
          .execute();
      });
      audit.resourceId = id;
      return { id };
    },
  });
  addPatientRoute(app, ctx, table, {
    method: 'POST',
    path: '/implants/:implantId/explant',
    summary: 'Record that a pump came out (without a replacement): when and why; its uploads and worklist items stop',
    tag: 'implants',
    roles: ['clinician'],
    params: ImplantParams,
    body: ExplantInput,
    audit: { action: 'update', resource: 'implant' },
    handler: async ({ params, body, user, audit }) => {
      await requirePatient(ctx, params.patientId);
      const implant = await db.selectFrom('implants').select(['id', 'pump_serial', 'implanted_at_ms', 'explanted_at_ms']).where('id', '=', params.implantId).where('patient_id', '=', params.patientId).executeTakeFirst();
      if (implant === undefined) throw notFound(`no implant ${params.implantId} for this patient`);
      if (implant.explanted_at_ms !== null) throw conflict(`pump ${implant.pump_serial} was already explanted at ${new Date(implant.explanted_at_ms).toISOString()}`);
      if (body.explantedAtMs < implant.implanted_at_ms) {
        throw new HttpError(400, 'validation-failed', `body.explantedAtMs: before the implant date ${new Date(implant.implanted_at_ms).toISOString()}`, [{ path: 'body.explantedAtMs', message: 'before the implant date' }]);
      }
      if (body.explantedAtMs > ctx.now() + 60 * 60 * 1000) {
        throw new HttpError(400, 'validation-failed', 'body.explantedAtMs: in the future; record an explant when it has happened', [{ path: 'body.explantedAtMs', message: 'in the future' }]);
      }
      await db.transaction().execute(async (trx) => {
        // "explanted_at_ms is null" again inside the transaction: of two racing requests, one wins.
        const done = await trx.updateTable('implants').set({ explanted_at_ms: body.explantedAtMs }).where('id', '=', implant.id).where('explanted_at_ms', 'is', null).executeTakeFirst();
        if (Number(done.numUpdatedRows) !== 1) throw conflict(`pump ${implant.pump_serial} was explanted by another request`);
        await trx.deleteFrom('forecasts').where('patient_id', '=', params.patientId).execute();
        await trx
          .insertInto('clinical_events')
          .values({ id: newId(), patient_id: params.patientId, kind: 'procedure', code: `explant-${body.reason}`, occurred_at_ms: body.explantedAtMs, severity: 'mild', notes: `pump ${implant.pump_serial} explanted${body.notes === '' ? '' : `: ${body.notes}`}`, recorded_by: user?.id ?? '' })
          .execute();
      });
      audit.resourceId = implant.id;
      return { id: implant.id, pumpSerial: implant.pump_serial, explantedAtMs: body.explantedAtMs, reason: body.reason };
    },
  });
  listRoute(app, ctx, table, 'implants', 'implants', CLINICAL_AND_PATIENT, async (pid) => (await db.selectFrom('implants').selectAll().where('patient_id', '=', pid).orderBy('implanted_at_ms').execute()).map(implantView));

  // ---- prescriptions: every version kept, with who, when and why
  addPatientRoute(app, ctx, table, {
    method: 'POST',
    path: '/prescriptions',
    summary: 'Record a new prescription version (checked against the pump core drug library and limits)',
    tag: 'prescriptions',
    roles: ['clinician'],
    body: PrescriptionInput,
    audit: { action: 'create', resource: 'prescription' },
    status: 201,
    handler: async ({ params, body, user, audit }) => {
      await requirePatient(ctx, params.patientId);
      const last = await db.selectFrom('prescriptions').select(['version', 'prescription_json']).where('patient_id', '=', params.patientId).orderBy('version', 'desc').executeTakeFirst();
      const rx = body.prescription as Prescription;
      const issues = validatePrescription(rx, { current: last === undefined ? null : (JSON.parse(last.prescription_json) as Prescription) });
      const hard = issues.filter((i) => i.severity === 'hard');
      const unacknowledged = issues.filter((i) => i.severity === 'soft' && !body.acknowledgedSoftLimits.includes(i.code));
      const problems = [...hard, ...unacknowledged];
      if (problems.length > 0) {
        const fields = problems.map((i) => ({ path: `body.prescription.${i.path}`, message: `${i.severity === 'soft' ? `soft limit ${i.code} not acknowledged: ` : ''}${i.message}` }));
        throw new HttpError(422, hard.length > 0 ? 'prescription-refused' : 'soft-limits-not-acknowledged', `${fields[0]?.path}: ${fields[0]?.message}`, fields);
      }
      const id = newId();
      const version = (last?.version ?? 0) + 1;
      await db.insertInto('prescriptions').values({ id, patient_id: params.patientId, version, prescription_json: JSON.stringify(rx), reason: body.reason, created_by: user?.id ?? '', created_at_ms: ctx.now() }).execute();
      audit.resourceId = id;
      return { id, version, softLimitsAcknowledged: issues.filter((i) => i.severity === 'soft').map((i) => i.code) };
    },
  });
  listRoute(app, ctx, table, 'prescriptions', 'prescriptions', CLINICAL_AND_PATIENT, async (pid) => (await db.selectFrom('prescriptions').selectAll().where('patient_id', '=', pid).orderBy('version').execute()).map(prescriptionView));

  // ---- refills
  addPatientRoute(app, ctx, table, {
    method: 'POST',
    path: '/refills',
    summary: 'Record a refill: expected vs withdrawn residual (discrepancy flagged over 2 mL, 1 mL for a 20 mL pump), drug, concentration, volume',
    tag: 'refills',
    roles: CLINICAL,
    body: RefillInput,
    audit: { action: 'create', resource: 'refill' },
    status: 201,
    handler: async ({ params, body, user, audit }) => {
      await requirePatient(ctx, params.patientId);
      const implant = await db.selectFrom('implants').select(['pump_serial', 'pump_model', 'reservoir_capacity_nl']).where('patient_id', '=', params.patientId).where('explanted_at_ms', 'is', null).executeTakeFirst();
      if (implant === undefined) throw conflict('the patient has no implanted pump to refill');
      if (body.filledNl > implant.reservoir_capacity_nl) throw new HttpError(400, 'validation-failed', `body.filledNl: ${body.filledNl} nL is more than the ${implant.reservoir_capacity_nl} nL reservoir`, [{ path: 'body.filledNl', message: 'more than the reservoir holds' }]);
      const threshold = PUMP_MODELS[implant.pump_model as keyof typeof PUMP_MODELS].refillDiscrepancyNl;
      const discrepancy = body.withdrawnNl - body.expectedResidualNl;
      const id = newId();
      const flagged = Math.abs(discrepancy) > threshold;
      await db
        .insertInto('refills')
        .values({
          id,
          patient_id: params.patientId,
          pump_serial: implant.pump_serial,
          refilled_at_ms: body.refilledAtMs,
          drug_id: body.drugId,
          concentration_mcg_per_ml: body.concentrationMcgPerMl,
          expected_residual_nl: body.expectedResidualNl,
          withdrawn_nl: body.withdrawnNl,
          filled_nl: body.filledNl,
          discrepancy_nl: discrepancy,
          discrepancy_flagged: flagged ? 1 : 0,
          reviewed_at_ms: null,
          reviewed_by: null,
          source: 'clinic',
          source_key: null,
          recorded_by: user?.id ?? '',
        })
        .execute();
      audit.resourceId = id;
      return { id, discrepancyNl: discrepancy, discrepancyFlagged: flagged, thresholdNl: threshold };
    },
  });
  listRoute(app, ctx, table, 'refills', 'refills', CLINICAL_AND_PATIENT, async (pid) => (await db.selectFrom('refills').selectAll().where('patient_id', '=', pid).orderBy('refilled_at_ms').execute()).map(refillView));

  // ---- complications and adverse events
  addPatientRoute(app, ctx, table, {
    method: 'POST',
    path: '/clinical-events',
    summary: 'Record a complication or an adverse event (codes from the seed lists)',
    tag: 'events',
    roles: CLINICAL,
    body: ClinicalEventInput,
    audit: { action: 'create', resource: 'clinical-event' },
    status: 201,
    handler: async ({ params, body, user, audit }) => {
      await requirePatient(ctx, params.patientId);
      const id = newId();
      await db.insertInto('clinical_events').values({ id, patient_id: params.patientId, kind: body.kind, code: body.code, occurred_at_ms: body.occurredAtMs, severity: body.severity, notes: body.notes, recorded_by: user?.id ?? '' }).execute();
      audit.resourceId = id;
      return { id };
    },
  });
  listRoute(app, ctx, table, 'clinical-events', 'events', CLINICAL, async (pid) => (await db.selectFrom('clinical_events').selectAll().where('patient_id', '=', pid).orderBy('occurred_at_ms').execute()).map(clinicalEventView));

  // ---- absences (travel, hospital stay): a patient may announce their own
  addPatientRoute(app, ctx, table, {
    method: 'POST',
    path: '/absences',
    summary: 'Record a time away (travel, hospital stay) so refills are planned around it',
    tag: 'patients',
    roles: CLINICAL_AND_PATIENT,
    body: AbsenceInput,
    audit: { action: 'create', resource: 'absence' },
    status: 201,
    handler: async ({ params, body, user, audit }) => {
      await requirePatient(ctx, params.patientId);
      const id = newId();
      await db.insertInto('absences').values({ id, patient_id: params.patientId, kind: body.kind, from_ms: body.fromMs, until_ms: body.untilMs, notes: body.notes, recorded_by: user?.id ?? '' }).execute();
      audit.resourceId = id;
      return { id };
    },
  });
  listRoute(app, ctx, table, 'absences', 'patients', CLINICAL_AND_PATIENT, async (pid) => (await db.selectFrom('absences').selectAll().where('patient_id', '=', pid).orderBy('from_ms').execute()).map(absenceView));

  // ---- what the pump reported
  listRoute(app, ctx, table, 'alarms', 'pump-data', CLINICAL_AND_PATIENT, async (pid) => (await db.selectFrom('alarms').selectAll().where('patient_id', '=', pid).orderBy('raised_at_ms').execute()).map(alarmView));
  listRoute(app, ctx, table, 'sessions', 'pump-data', CLINICAL, async (pid) =>
    (
      await db
        .selectFrom('programming_sessions')
        .select(['id', 'patient_id', 'pump_serial', 'interrogated_at_ms', 'uploaded_at_ms', 'uploaded_by', 'event_next_seq', 'therapy_next_seq', 'records_received', 'records_missed'])
        .where('patient_id', '=', pid)
        .orderBy('interrogated_at_ms')
        .execute()
    ).map(sessionView),
  );
  addPatientRoute(app, ctx, table, {
    method: 'GET',
    path: '/forecast',
    summary: 'The forecast from the last interrogation: low reservoir, next refill, empty, ERI, replace by',
    tag: 'pump-data',
    roles: CLINICAL_AND_PATIENT,
    audit: { action: 'read', resource: 'forecast' },
    handler: async ({ params }) => {
      await requirePatient(ctx, params.patientId);
      const f = await db.selectFrom('forecasts').selectAll().where('patient_id', '=', params.patientId).executeTakeFirst();
      if (f === undefined) throw notFound('a forecast (no interrogation has been uploaded yet)');
      return forecastView(f);
    },
  });
  addPatientRoute(app, ctx, table, {
    method: 'GET',
    path: '/bolus-usage',
    summary: 'Patient-bolus usage per local day: requested, delivered, denied (from the therapy log)',
    tag: 'pump-data',
    roles: CLINICAL_AND_PATIENT,
    audit: { action: 'read', resource: 'bolus-usage' },
    handler: async ({ params }) => {
      await requirePatient(ctx, params.patientId);
      return bolusUsage(ctx, params.patientId);
    },
  });
  const LogQuery = ListQuery.extend({ log: z.enum(['event', 'therapy']).default('event'), fromSeq: z.coerce.number().int().min(0).default(0) });
  addPatientRoute(app, ctx, table, {
    method: 'GET',
    path: '/log-records',
    summary: "The pump's event or therapy log as stored, by sequence",
    tag: 'pump-data',
    roles: CLINICAL,
    query: LogQuery,
    audit: { action: 'read', resource: 'log-records' },
    handler: async ({ params, query }) => {
      await requirePatient(ctx, params.patientId);
      const rows = await db
        .selectFrom('log_records')
        .selectAll()
        .where('patient_id', '=', params.patientId)
        .where('log', '=', query.log)
        .where('seq', '>=', query.fromSeq)
        .orderBy('pump_serial')
        .orderBy('seq')
        .limit(query.limit)
        .offset(query.offset)
        .execute();
      return rows.map((r) => ({ pumpSerial: r.pump_serial, log: r.log, seq: r.seq, utcMs: r.utc_ms, utcOffsetMs: r.utc_offset_ms, type: r.type, data: JSON.parse(r.data_json) as unknown }));
    },
  });
}

/** GET /api/patients/:patientId/<what>: a per-patient list. */
function listRoute(app: FastifyInstance, ctx: AppContext, table: RouteTable, what: string, tag: string, roles: readonly ('clinician' | 'nurse' | 'patient')[], load: (patientId: string) => Promise<unknown[]>): void {
  addPatientRoute(app, ctx, table, {
    method: 'GET',
    path: `/${what}`,
    summary: `The patient's ${what.replace(/-/g, ' ')}`,
    tag,
    roles,
    audit: { action: 'read', resource: what },
    handler: async ({ params }) => {
      await requirePatient(ctx, params.patientId);
      return load(params.patientId);
    },
  });
}

export async function patientPage(ctx: AppContext, patientId: string) {
  const db = ctx.db;
  const p = await requirePatient(ctx, patientId);
  const [implant, rx, forecast, alarms, refill, session, absences] = await Promise.all([
    db.selectFrom('implants').selectAll().where('patient_id', '=', patientId).where('explanted_at_ms', 'is', null).executeTakeFirst(),
    db.selectFrom('prescriptions').selectAll().where('patient_id', '=', patientId).orderBy('version', 'desc').executeTakeFirst(),
    db.selectFrom('forecasts').selectAll().where('patient_id', '=', patientId).executeTakeFirst(),
    db.selectFrom('alarms').selectAll().where('patient_id', '=', patientId).where('resolved_at_ms', 'is', null).orderBy('raised_at_ms').execute(),
    db.selectFrom('refills').selectAll().where('patient_id', '=', patientId).orderBy('refilled_at_ms', 'desc').executeTakeFirst(),
    db
      .selectFrom('programming_sessions')
      .select(['id', 'patient_id', 'pump_serial', 'interrogated_at_ms', 'uploaded_at_ms', 'uploaded_by', 'event_next_seq', 'therapy_next_seq', 'records_received', 'records_missed'])
      .where('patient_id', '=', patientId)
      .orderBy('interrogated_at_ms', 'desc')
      .executeTakeFirst(),
    db.selectFrom('absences').selectAll().where('patient_id', '=', patientId).where('until_ms', '>=', ctx.now()).orderBy('from_ms').execute(),
  ]);
  return {
    patient: patientView(p),
    implant: implant === undefined ? null : implantView(implant),
    prescription: rx === undefined ? null : prescriptionView(rx),
    forecast: forecast === undefined ? null : forecastView(forecast),
    openAlarms: alarms.map(alarmView),
    lastRefill: refill === undefined ? null : refillView(refill),
    lastSession: session === undefined ? null : sessionView(session),
    upcomingAbsences: absences.map(absenceView),
  };
}

export async function bolusUsage(ctx: AppContext, patientId: string) {
  const rows = await ctx.db
    .selectFrom('log_records')
    .select(['type', 'utc_ms', 'utc_offset_ms', 'data_json'])
    .where('patient_id', '=', patientId)
    .where('log', '=', 'therapy')
    .where('type', 'in', ['patient-bolus-started', 'patient-bolus-denied', 'patient-bolus-ended'])
    .orderBy('utc_ms')
    .execute();
  const days = new Map<string, { date: string; requested: number; delivered: number; denied: number; deliveredNl: number; deniedReasons: Record<string, number> }>();
  for (const r of rows) {
    const date = new Date(r.utc_ms + r.utc_offset_ms).toISOString().slice(0, 10);
    const d = days.get(date) ?? { date, requested: 0, delivered: 0, denied: 0, deliveredNl: 0, deniedReasons: {} };
    const data = JSON.parse(r.data_json) as Record<string, unknown>;
    if (r.type === 'patient-bolus-started') d.requested += 1;
    if (r.type === 'patient-bolus-denied') {
      d.requested += 1;
      d.denied += 1;
      const why = String(data['reason'] ?? 'unknown');
      d.deniedReasons[why] = (d.deniedReasons[why] ?? 0) + 1;
    }
    if (r.type === 'patient-bolus-ended') {
      d.delivered += data['completed'] === true ? 1 : 0;
      d.deliveredNl += typeof data['deliveredNl'] === 'number' ? data['deliveredNl'] : 0;
    }
    days.set(date, d);
  }
  return [...days.values()];
}
