/**
 * FHIR R4 resources built from the clinic's records, after the HL7 point-of-care device guide
 * (DOMAIN 7). Observation codes are IEEE 11073-10101 (checked against public implementations of
 * the nomenclature, not the licensed registry itself), units are UCUM.
 */
import { DRUG_LIBRARY, isDrugId, NL_PER_ML, PG_PER_MCG, PG_PER_MG, type Prescription } from '@thecal/pump-core';
import type { Selectable } from 'kysely';
import type { AlarmsTable, AuditLogTable, ImplantsTable, PatientsTable, PrescriptionsTable, RefillsTable } from '../db/schema.ts';

export const MDC_SYSTEM = 'urn:iso:std:iso:11073:10101';
export const UCUM = 'http://unitsofmeasure.org';
export const MRN_SYSTEM = 'urn:thecal:mrn';
export const SERIAL_SYSTEM = 'urn:thecal:pump-serial';
export const ALARM_SYSTEM = 'urn:thecal:pump-alarm';

/** IEEE 11073-10101 codes used here. */
export const MDC = {
  flowFluidPump: { code: '157784', display: 'MDC_FLOW_FLUID_PUMP' },
  volFluidTbiRemain: { code: '157872', display: 'MDC_VOL_FLUID_TBI_REMAIN' },
  volFluidDelivTotal: { code: '157993', display: 'MDC_VOL_FLUID_DELIV_TOTAL' },
} as const;

export type Resource = { resourceType: string; id: string } & Record<string, unknown>;

const iso = (ms: number) => new Date(ms).toISOString();
const ml = (nl: number) => Math.round((nl / NL_PER_ML) * 1e6) / 1e6;
const qty = (value: number, code: string) => ({ value, unit: code, system: UCUM, code });
const ref = (type: string, id: string) => ({ reference: `${type}/${id}` });
const fhirId = (s: string) => s.replace(/[^A-Za-z0-9.-]/g, '-').slice(0, 64);

export function drugText(drugId: string, concentrationMcgPerMl: number): string {
  if (!isDrugId(drugId)) return `${drugId} ${concentrationMcgPerMl} mcg/mL intrathecal`;
  const d = DRUG_LIBRARY[drugId];
  return d.displayUnit === 'mg' ? `${d.name} ${concentrationMcgPerMl / 1000} mg/mL intrathecal` : `${d.name} ${concentrationMcgPerMl} mcg/mL intrathecal`;
}

export function patientResource(p: Selectable<PatientsTable>): Resource {
  return {
    resourceType: 'Patient',
    id: p.id,
    identifier: [{ system: MRN_SYSTEM, value: p.mrn }],
    name: [{ family: p.family_name, given: [p.given_name] }],
    gender: p.sex,
    birthDate: p.birth_date,
  };
}

export function pumpDevice(i: Selectable<ImplantsTable>): Resource {
  return {
    resourceType: 'Device',
    id: i.id,
    identifier: [{ system: SERIAL_SYSTEM, value: i.pump_serial }],
    status: i.explanted_at_ms === null ? 'active' : 'inactive',
    serialNumber: i.pump_serial,
    deviceName: [{ name: `Thecal implantable intrathecal pump ${i.pump_model}`, type: 'model-name' }],
    modelNumber: i.pump_model,
    type: { text: 'Implantable programmable intrathecal infusion pump' },
    property: [{ type: { text: 'reservoir capacity' }, valueQuantity: [qty(ml(i.reservoir_capacity_nl), 'mL')] }],
    patient: ref('Patient', i.patient_id),
  };
}

export function catheterDevice(i: Selectable<ImplantsTable>): Resource {
  return {
    resourceType: 'Device',
    id: `${i.id}-catheter`,
    status: i.explanted_at_ms === null ? 'active' : 'inactive',
    deviceName: [{ name: i.catheter_model, type: 'model-name' }],
    modelNumber: i.catheter_model,
    type: { text: 'Intrathecal catheter' },
    property: [
      { type: { text: 'catheter length' }, valueQuantity: [qty(i.catheter_length_mm, 'mm')] },
      { type: { text: 'catheter volume' }, valueQuantity: [qty(i.catheter_volume_nl / 1000, 'uL')] },
    ],
    patient: ref('Patient', i.patient_id),
    parent: ref('Device', i.id),
  };
}

export function deviceUseStatement(i: Selectable<ImplantsTable>): Resource {
  return {
    resourceType: 'DeviceUseStatement',
    id: `${i.id}-use`,
    status: i.explanted_at_ms === null ? 'active' : 'completed',
    subject: ref('Patient', i.patient_id),
    timingPeriod: { start: iso(i.implanted_at_ms), ...(i.explanted_at_ms === null ? {} : { end: iso(i.explanted_at_ms) }) },
    recordedOn: iso(i.implanted_at_ms),
    device: ref('Device', i.id),
    bodySite: { text: 'abdominal wall, subcutaneous' },
  };
}

export function implantProcedure(i: Selectable<ImplantsTable>): Resource[] {
  const out: Resource[] = [
    {
      resourceType: 'Procedure',
      id: `${i.id}-implant`,
      status: 'completed',
      code: { text: 'Implantation of intrathecal drug pump and catheter' },
      subject: ref('Patient', i.patient_id),
      performedDateTime: iso(i.implanted_at_ms),
      focalDevice: [{ action: { text: 'implanted' }, manipulated: ref('Device', i.id) }],
    },
  ];
  if (i.explanted_at_ms !== null) {
    out.push({
      resourceType: 'Procedure',
      id: `${i.id}-explant`,
      status: 'completed',
      code: { text: 'Removal of intrathecal drug pump' },
      subject: ref('Patient', i.patient_id),
      performedDateTime: iso(i.explanted_at_ms),
      focalDevice: [{ action: { text: 'removed' }, manipulated: ref('Device', i.id) }],
    });
  }
  return out;
}

export function refillProcedure(r: Selectable<RefillsTable>, implantId: string | null): Resource {
  return {
    resourceType: 'Procedure',
    id: `refill-${r.id}`,
    status: 'completed',
    code: { text: 'Refill of implanted intrathecal pump reservoir' },
    subject: ref('Patient', r.patient_id),
    performedDateTime: iso(r.refilled_at_ms),
    note: [
      {
        text: `${drugText(r.drug_id, r.concentration_mcg_per_ml)}: withdrew ${ml(r.withdrawn_nl)} mL (expected ${ml(r.expected_residual_nl)} mL), filled ${ml(r.filled_nl)} mL${r.discrepancy_flagged !== 0 ? '; DISCREPANCY flagged' : ''}`,
      },
    ],
    ...(implantId === null ? {} : { focalDevice: [{ action: { text: 'refilled' }, manipulated: ref('Device', implantId) }] }),
  };
}

export function medicationRequest(p: Selectable<PrescriptionsTable>, latest: boolean): Resource {
  const rx = JSON.parse(p.prescription_json) as Prescription;
  const dailyNl =
    rx.basal.kind === 'continuous'
      ? rx.basal.rateNlPerDay
      : Math.round(rx.basal.week.reduce((s, d) => s + dayVolumeNl(rx.basal.kind === 'flex' ? rx.basal.dayPrograms[d]?.steps ?? [] : []), 0) / 7);
  const maxMg = rx.maxDailyDosePg / PG_PER_MG;
  const maxMcg = rx.maxDailyDosePg / PG_PER_MCG;
  const useMg = isDrugId(rx.drugId) && DRUG_LIBRARY[rx.drugId].displayUnit === 'mg';
  return {
    resourceType: 'MedicationRequest',
    id: p.id,
    status: latest ? 'active' : 'completed',
    intent: 'order',
    medicationCodeableConcept: { text: drugText(rx.drugId, rx.concentrationMcgPerMl) },
    subject: ref('Patient', p.patient_id),
    authoredOn: iso(p.created_at_ms),
    requester: ref('Practitioner', p.created_by),
    groupIdentifier: { system: 'urn:thecal:prescription-version', value: String(p.version) },
    note: [{ text: `version ${p.version}: ${p.reason}` }],
    dosageInstruction: [
      {
        text: `${rx.basal.kind} basal, mean ${ml(dailyNl)} mL/day${rx.patientBolus === null ? '' : `; patient bolus ${ml(rx.patientBolus.volumeNl)} mL, up to ${rx.patientBolus.maxPer24h} per 24 h`}`,
        route: { text: 'intrathecal' },
        doseAndRate: [{ rateQuantity: qty(ml(dailyNl), 'mL/d') }],
        maxDosePerPeriod: { numerator: useMg ? qty(maxMg, 'mg') : qty(maxMcg, 'ug'), denominator: qty(1, 'd') },
      },
    ],
  };
}

function dayVolumeNl(steps: { startMinute: number; rateNlPerDay: number }[]): number {
  let total = 0;
  steps.forEach((s, i) => {
    const end = steps[i + 1]?.startMinute ?? 1440;
    total += (s.rateNlPerDay * (end - s.startMinute)) / 1440;
  });
  return total;
}

export interface TherapyRow {
  pump_serial: string;
  seq: number;
  utc_ms: number;
  utc_offset_ms: number;
  type: string;
  data_json: string;
}

/** Daily totals and patient boluses from the therapy log. */
export function medicationAdministration(r: TherapyRow, patientId: string, implantId: string | null, drug: string): Resource | null {
  const d = JSON.parse(r.data_json) as Record<string, unknown>;
  const base = {
    resourceType: 'MedicationAdministration',
    id: fhirId(`${r.pump_serial}-t${r.seq}`),
    status: 'completed',
    medicationCodeableConcept: { text: drug },
    subject: ref('Patient', patientId),
    ...(implantId === null ? {} : { device: [ref('Device', implantId)] }),
  };
  if (r.type === 'daily-total' && typeof d['deliveredNl'] === 'number') {
    return {
      ...base,
      effectivePeriod: { start: iso(r.utc_ms - 86_400_000), end: iso(r.utc_ms) },
      note: [{ text: `daily total for local date ${String(d['localDate'])}: ${String(d['patientBolusesDelivered'] ?? 0)} patient boluses delivered, ${String(d['patientBolusesDenied'] ?? 0)} denied` }],
      dosage: { route: { text: 'intrathecal' }, dose: qty(ml(d['deliveredNl']), 'mL') },
    };
  }
  if (r.type === 'patient-bolus-ended' && typeof d['deliveredNl'] === 'number') {
    return {
      ...base,
      status: d['completed'] === true ? 'completed' : 'stopped',
      effectiveDateTime: iso(r.utc_ms),
      note: [{ text: 'patient-activated bolus' }],
      dosage: { route: { text: 'intrathecal' }, dose: qty(ml(d['deliveredNl']), 'mL') },
    };
  }
  return null;
}

export interface SessionRow {
  id: string;
  patient_id: string;
  interrogated_at_ms: number;
  pump_serial: string;
  status_json: string;
}

/** A clinic user who prescribes, refills or reviews: a Practitioner (the password and sessions stay out). */
export function practitionerResource(u: { id: string; username: string; role: string; display_name: string; disabled: number }): Resource {
  return {
    resourceType: 'Practitioner',
    id: u.id,
    identifier: [{ system: 'urn:thecal:user', value: u.username }],
    active: u.disabled === 0,
    name: [{ text: u.display_name }],
    qualification: [{ code: { text: u.role } }],
  };
}

/** The pump's three measured quantities (DOMAIN 7, the point-of-care device guide): each a DeviceMetric of the pump Device; Observations point at them. */
const METRICS = [
  { suffix: 'flow', code: MDC.flowFluidPump, unit: 'mL/d' },
  { suffix: 'remaining', code: MDC.volFluidTbiRemain, unit: 'mL' },
  { suffix: 'delivered', code: MDC.volFluidDelivTotal, unit: 'mL' },
] as const;
export const DEVICE_METRIC_SUFFIXES = METRICS.map((m) => m.suffix);

export function deviceMetrics(i: Selectable<ImplantsTable>): Resource[] {
  return METRICS.map((m) => ({
    resourceType: 'DeviceMetric',
    id: `${i.id}-${m.suffix}`,
    type: { coding: [{ system: MDC_SYSTEM, code: m.code.code, display: m.code.display }] },
    unit: { coding: [{ system: 'http://unitsofmeasure.org', code: m.unit }] },
    source: ref('Device', i.id),
    // Read at every interrogation, not measured continuously by an outside observer.
    operationalStatus: i.explanted_at_ms === null ? 'on' : 'off',
    category: 'measurement',
  }));
}

/** Flow rate, reservoir volume remaining and total volume delivered at each interrogation. */
export function sessionObservations(s: SessionRow, implantId: string | null): Resource[] {
  const st = JSON.parse(s.status_json) as { pumpUtcMs: number; therapy: { currentRateNlPerDay: number }; reservoir: { volumeNl: number }; delivered: { totalNl: number } };
  const obs = (suffix: string, code: { code: string; display: string }, value: ReturnType<typeof qty>): Resource => ({
    resourceType: 'Observation',
    id: `${s.id}-${suffix}`,
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'procedure' }] }],
    code: { coding: [{ system: MDC_SYSTEM, code: code.code, display: code.display }] },
    subject: ref('Patient', s.patient_id),
    effectiveDateTime: iso(st.pumpUtcMs),
    valueQuantity: value,
    ...(implantId === null ? {} : { device: ref('DeviceMetric', `${implantId}-${suffix}`) }),
  });
  return [
    obs('flow', MDC.flowFluidPump, qty(ml(st.therapy.currentRateNlPerDay), 'mL/d')),
    obs('remaining', MDC.volFluidTbiRemain, qty(ml(st.reservoir.volumeNl), 'mL')),
    obs('delivered', MDC.volFluidDelivTotal, qty(ml(st.delivered.totalNl), 'mL')),
  ];
}

/** The alarm's code and the time it lasted (no end while it lasts): the same in its Observation and its Flag. */
function alarmCoding(a: Selectable<AlarmsTable>) {
  return { system: ALARM_SYSTEM, code: a.code, display: `pump alarm ${a.code}` };
}
function alarmPeriod(a: Selectable<AlarmsTable>) {
  return { start: iso(a.raised_at_ms), ...(a.resolved_at_ms === null ? {} : { end: iso(a.resolved_at_ms) }) };
}

/** Alarms as Observations (R4 has no device alert resource). */
export function alarmObservation(a: Selectable<AlarmsTable>, implantId: string | null): Resource {
  return {
    resourceType: 'Observation',
    id: `alarm-${a.id}`,
    status: 'final',
    code: { coding: [alarmCoding(a)] },
    subject: ref('Patient', a.patient_id),
    effectivePeriod: alarmPeriod(a),
    valueString: a.critical !== 0 ? 'critical' : 'non-critical',
    ...(implantId === null ? {} : { device: ref('Device', implantId) }),
  };
}

/**
 * Pump alarms as Flags as well (DOMAIN 7: "Observation or Flag"): an active Flag is what a
 * clinical system shows in its safety banner while the alarm lasts; the Observation is the record.
 */
export function alarmFlag(a: Selectable<AlarmsTable>, implantId: string | null): Resource {
  return {
    resourceType: 'Flag',
    id: `alarm-${a.id}`,
    status: a.resolved_at_ms === null ? 'active' : 'inactive',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/flag-category', code: 'safety', display: 'Safety' }] }],
    code: { coding: [alarmCoding(a)], text: `${a.critical !== 0 ? 'critical' : 'non-critical'} pump alarm ${a.code} on pump ${a.pump_serial}` },
    subject: ref('Patient', a.patient_id),
    period: alarmPeriod(a),
    ...(implantId === null ? {} : { author: ref('Device', implantId) }),
  };
}

/** Programming sessions and every access to the patient's data. */
export function auditEvent(a: Selectable<AuditLogTable>): Resource {
  const action = a.action === 'create' ? 'C' : a.action === 'update' ? 'U' : a.action === 'read' || a.action === 'export' ? 'R' : 'E';
  return {
    resourceType: 'AuditEvent',
    id: `audit-${a.id}`,
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' },
    action,
    recorded: iso(a.at_ms),
    outcome: a.outcome === 'success' ? '0' : a.outcome === 'denied' ? '4' : '8',
    agent: [{ who: { display: `${a.username ?? 'anonymous'} (${a.role ?? 'none'})` }, requestor: true, ...(a.ip === null ? {} : { network: { address: a.ip, type: '2' } }) }],
    source: { observer: { display: 'Thecal clinic server' } },
    entity: [{ ...(a.patient_id === null ? {} : { what: ref('Patient', a.patient_id) }), description: `${a.resource}${a.resource_id === null ? '' : ` ${a.resource_id}`}` }],
  };
}

export interface SearchPage {
  count: number;
  offset: number;
}

/**
 * A searchset Bundle holding one page of the matches: `total` counts them all, and the self,
 * first, previous and next links carry _count and _offset, so a client walks every page by
 * following "next" until there is none.
 */
export function searchBundle(matches: Resource[], baseUrl: string, page: SearchPage = { count: matches.length || 1, offset: 0 }): Resource {
  const at = (offset: number) => `${baseUrl}${baseUrl.includes('?') ? '&' : '?'}_count=${page.count}&_offset=${offset}`;
  const link = [
    { relation: 'self', url: at(page.offset) },
    { relation: 'first', url: at(0) },
    ...(page.offset > 0 ? [{ relation: 'previous', url: at(Math.max(0, page.offset - page.count)) }] : []),
    ...(page.offset + page.count < matches.length ? [{ relation: 'next', url: at(page.offset + page.count) }] : []),
  ];
  return {
    resourceType: 'Bundle',
    id: `search-${Date.now().toString(36)}`,
    type: 'searchset',
    total: matches.length,
    link,
    entry: matches.slice(page.offset, page.offset + page.count).map((r) => ({ fullUrl: `urn:thecal:${r.resourceType}/${r.id}`, resource: r, search: { mode: 'match' } })),
  };
}

export const FHIR_TYPES = ['Patient', 'Device', 'DeviceMetric', 'DeviceUseStatement', 'MedicationRequest', 'MedicationAdministration', 'Observation', 'Flag', 'Procedure', 'AuditEvent'] as const;

export function capabilityStatement(nowMs: number): Resource {
  return {
    resourceType: 'CapabilityStatement',
    id: 'thecal-clinic',
    status: 'active',
    date: iso(nowMs),
    kind: 'instance',
    software: { name: 'Thecal clinic server', version: '0.1.0' },
    implementation: { description: 'Thecal clinic server FHIR R4 read API (a simulator, not a medical device)' },
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [
      {
        mode: 'server',
        security: { description: 'Bearer token from POST /api/auth/login; a patient sees only their own record' },
        resource: [
          // Read only: who prescribed (MedicationRequest.requester).
          { type: 'Practitioner', interaction: [{ code: 'read' }] },
          ...FHIR_TYPES.map((type) => ({
          type,
          interaction: [{ code: 'search-type' }, ...(type === 'Patient' || type === 'Device' || type === 'DeviceMetric' ? [{ code: 'read' }] : [])],
          searchParam: type === 'Patient' ? [{ name: '_id', type: 'token' }] : [{ name: 'patient', type: 'reference' }, { name: '_count', type: 'number', documentation: 'matches per page, 1 to 500 (default 100); follow the Bundle\'s next link for the rest' }],
          })),
        ],
      },
    ],
  };
}
