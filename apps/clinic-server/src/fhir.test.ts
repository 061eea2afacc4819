/**
 * Every FHIR resource the server produces, validated by an independent library (the `fhir` npm
 * package's R4 validator), not by our own checks: no errors, and no unexpected properties.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import fhirPackage from 'fhir';
import { MS_PER_DAY, MS_PER_HOUR } from '@thecal/pump-core';
import { onBothDatabases } from './testing/databases.ts';
import { MORPHINE_RX, T0, patientWithPump, programmedPump, uploadFromPump, useClinic, type TestClinic } from './testing/clinic.ts';
import { FHIR_TYPES } from './fhir/resources.ts';

const validator = new fhirPackage.Fhir();

function assertValid(resource: { resourceType: string; id?: string }): void {
  const result = validator.validate(resource, { errorOnUnexpected: true });
  const problems = (result.messages ?? []).filter((m) => m.severity === 'error' || (m.message ?? '').includes('Unexpected'));
  assert.equal(problems.length, 0, `${resource.resourceType}/${resource.id}: ${JSON.stringify(problems)}`);
  assert.equal(result.valid, true);
}

async function richPatient(c: TestClinic, serial: string): Promise<string> {
  const pid = await patientWithPump(c, serial);
  await c.request('POST', `/api/patients/${pid}/prescriptions`, { token: c.tokens.clinician, body: { prescription: MORPHINE_RX, reason: 'start' } });
  const pump = programmedPump(serial, MORPHINE_RX, 5_000_000);
  pump.execute(T0 + MS_PER_HOUR, 'b1', { type: 'patient-bolus' });
  pump.advanceTo(T0 + 20 * MS_PER_DAY);
  const up = await c.request('POST', '/api/sessions', { token: c.tokens.nurse, body: uploadFromPump(pump) });
  assert.equal(up.statusCode, 201, up.body);
  await c.request('POST', `/api/patients/${pid}/refills`, {
    token: c.tokens.nurse,
    body: { refilledAtMs: T0 + 20 * MS_PER_DAY, drugId: 'morphine', concentrationMcgPerMl: 10_000, expectedResidualNl: 0, withdrawnNl: 0, filledNl: 20_000_000 },
  });
  return pid;
}

onBothDatabases('FHIR R4 API', (kind) => {
  const clinic = useClinic(kind);

  it('serves a valid CapabilityStatement at /fhir/metadata', async () => {
    const c = clinic();
    const r = await c.request('GET', '/fhir/metadata');
    assert.equal(r.statusCode, 200);
    assert.match(String(r.headers['content-type']), /application\/fhir\+json/);
    assertValid(r.json());
    assert.equal(r.json().fhirVersion, '4.0.1');
    // The validator can fail: a resource missing required elements is refused.
    assert.equal(validator.validate({ resourceType: 'Observation', id: 'x', valueQuantity: { value: 1 } }).valid, false);
  });

  it('returns valid resources of every type, searched by patient, with IEEE 11073 codes and UCUM units', async () => {
    const c = clinic();
    const pid = await richPatient(c, `FH1-${kind}`);
    const seen = new Set<string>();
    for (const type of FHIR_TYPES) {
      const url = type === 'Patient' ? `/fhir/Patient?_id=${pid}` : `/fhir/${type}?patient=${pid}`;
      const r = await c.request('GET', url, { token: c.tokens.clinician });
      assert.equal(r.statusCode, 200, `${url}: ${r.body}`);
      const bundle = r.json();
      assertValid(bundle);
      assert.ok(bundle.entry.length > 0, `${type} search is empty`);
      for (const e of bundle.entry) {
        assertValid(e.resource);
        seen.add(e.resource.resourceType);
      }
    }
    assert.deepEqual([...seen].sort(), [...FHIR_TYPES].sort());
    const obs = (await c.request('GET', `/fhir/Observation?patient=${pid}`, { token: c.tokens.clinician })).json();
    const codes = obs.entry.flatMap((e: { resource: { code: { coding: { system: string; code: string }[] } } }) => e.resource.code.coding.filter((x) => x.system === 'urn:iso:std:iso:11073:10101').map((x) => x.code));
    assert.ok(codes.includes('157784'), 'MDC_FLOW_FLUID_PUMP');
    const flow = obs.entry.find((e: { resource: { id: string } }) => e.resource.id.endsWith('-flow')).resource;
    assert.deepEqual([flow.valueQuantity.system, flow.valueQuantity.code], ['http://unitsofmeasure.org', 'mL/d']);
    // Each alarm is a Flag too: active exactly while its Observation has no end.
    const flags = (await c.request('GET', `/fhir/Flag?patient=${pid}`, { token: c.tokens.clinician })).json();
    for (const { resource: flag } of flags.entry as { resource: { id: string; status: string } }[]) {
      const record = obs.entry.find((e: { resource: { id: string } }) => e.resource.id === flag.id)?.resource as { effectivePeriod: { end?: string } } | undefined;
      assert.ok(record !== undefined, `flag ${flag.id} has no alarm Observation`);
      assert.equal(flag.status, record.effectivePeriod.end === undefined ? 'active' : 'inactive', flag.id);
    }
    const patient = await c.request('GET', `/fhir/Patient/${pid}`, { token: c.tokens.nurse });
    assertValid(patient.json());
    const devices = (await c.request('GET', `/fhir/Device?patient=${pid}`, { token: c.tokens.nurse })).json();
    const device = await c.request('GET', `/fhir/Device/${devices.entry[0].resource.id}`, { token: c.tokens.nurse });
    assert.equal(device.statusCode, 200);
    assertValid(device.json());
    // Each interrogation's flow Observation points at the pump's flow DeviceMetric, which points at the pump.
    assert.equal(flow.device.reference, `DeviceMetric/${devices.entry[0].resource.id}-flow`);
    const metric = await c.request('GET', `/fhir/${flow.device.reference}`, { token: c.tokens.nurse });
    assert.equal(metric.statusCode, 200, metric.body);
    assertValid(metric.json());
    assert.equal(metric.json().source.reference, `Device/${devices.entry[0].resource.id}`);
    assert.deepEqual(metric.json().type.coding[0].code, '157784');
    assert.equal((await c.request('GET', `/fhir/DeviceMetric/${devices.entry[0].resource.id}-battery`, { token: c.tokens.nurse })).statusCode, 400);
    // Who prescribed: the MedicationRequest's requester is a Practitioner that can be read.
    const rx = (await c.request('GET', `/fhir/MedicationRequest?patient=${pid}`, { token: c.tokens.clinician })).json();
    const requester = rx.entry[0].resource.requester.reference as string;
    assert.match(requester, /^Practitioner\//);
    const practitioner = await c.request('GET', `/fhir/${requester}`, { token: c.tokens.nurse });
    assert.equal(practitioner.statusCode, 200, practitioner.body);
    assertValid(practitioner.json());
    assert.equal(JSON.stringify(practitioner.json()).includes('scrypt'), false, 'no password hash');
  });

  it('lets a patient read only their own FHIR record', async () => {
    const c = clinic();
    const mine = await richPatient(c, `FH2-${kind}`);
    const other = await richPatient(c, `FH3-${kind}`);
    const u = await c.request('POST', '/api/users', { token: c.tokens.admin, body: { username: `pat-${kind}`, password: 'long enough password', role: 'patient', displayName: 'P', patientId: mine } });
    assert.equal(u.statusCode, 201, u.body);
    const token = await c.login(`pat-${kind}`, 'long enough password');
    assert.equal((await c.request('GET', `/fhir/Patient/${mine}`, { token })).statusCode, 200);
    assert.equal((await c.request('GET', `/fhir/MedicationRequest?patient=${mine}`, { token })).statusCode, 200);
    assert.equal((await c.request('GET', `/fhir/Patient/${other}`, { token })).statusCode, 403);
    assert.equal((await c.request('GET', `/fhir/Observation?patient=${other}`, { token })).statusCode, 403);
    assert.equal((await c.request('GET', `/fhir/Patient?_id=${other}`, { token })).statusCode, 403);
  });

  it('pages a search: total counts every match, next links walk them all once, a bad _count is refused', async () => {
    const c = clinic();
    const pid = await richPatient(c, `FH4-${kind}`);
    const all = (await c.request('GET', `/fhir/Observation?patient=${pid}&_count=500`, { token: c.tokens.clinician })).json();
    const total = all.total as number;
    assert.ok(total >= 5, `total ${total}`);
    assert.equal(all.entry.length, total);
    assert.ok(!all.link.some((l: { relation: string }) => l.relation === 'next'));
    const ids: string[] = [];
    let url: string | undefined = `/fhir/Observation?patient=${pid}&_count=2`;
    let pages = 0;
    while (url !== undefined) {
      const r = await c.request('GET', url, { token: c.tokens.clinician });
      assert.equal(r.statusCode, 200, r.body);
      const bundle = r.json();
      assertValid(bundle);
      assert.equal(bundle.total, total);
      assert.ok(bundle.entry.length <= 2);
      ids.push(...bundle.entry.map((e: { resource: { id: string } }) => e.resource.id));
      if (pages > 0) assert.ok(bundle.link.some((l: { relation: string }) => l.relation === 'previous'));
      url = bundle.link.find((l: { relation: string; url: string }) => l.relation === 'next')?.url;
      pages++;
    }
    assert.equal(pages, Math.ceil(total / 2));
    assert.deepEqual(ids, all.entry.map((e: { resource: { id: string } }) => e.resource.id));
    for (const bad of ['0', '501', 'ten']) {
      const r = await c.request('GET', `/fhir/Observation?patient=${pid}&_count=${bad}`, { token: c.tokens.clinician });
      assert.equal(r.statusCode, 400, `_count=${bad}`);
      assert.match(r.json().message, /_count/);
    }
  });
});

