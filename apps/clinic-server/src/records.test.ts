import { it } from 'node:test';
import assert from 'node:assert/strict';
import { MS_PER_DAY, NL_PER_ML } from '@thecal/pump-core';
import { onBothDatabases } from './testing/databases.ts';
import { MORPHINE_RX, T0, implantInput, patientInput, useClinic } from './testing/clinic.ts';

onBothDatabases('patient records', (kind) => {
  const clinic = useClinic(kind);

  it('registers a patient and shows the patient page', async () => {
    const c = clinic();
    const r = await c.request('POST', '/api/patients', { token: c.tokens.clinician, body: patientInput({ familyName: 'Okafor' }) });
    assert.equal(r.statusCode, 201, r.body);
    const id = r.json().id as string;
    const page = await c.request('GET', `/api/patients/${id}`, { token: c.tokens.nurse });
    assert.equal(page.statusCode, 200);
    assert.equal(page.json().patient.familyName, 'Okafor');
    assert.equal(page.json().implant, null);
  });

  it('refuses a duplicate record number with 409 and stores nothing more', async () => {
    const c = clinic();
    const body = patientInput();
    assert.equal((await c.request('POST', '/api/patients', { token: c.tokens.clinician, body })).statusCode, 201);
    const again = await c.request('POST', '/api/patients', { token: c.tokens.clinician, body });
    assert.equal(again.statusCode, 409);
    const list = await c.request('GET', `/api/patients?q=${body.mrn}`, { token: c.tokens.clinician });
    assert.equal(list.json().length, 1);
  });

  it('names the field and the reason for bad input', async () => {
    const c = clinic();
    const r = await c.request('POST', '/api/patients', { token: c.tokens.clinician, body: patientInput({ birthDate: '1970-13-45', extra: 1 }) });
    assert.equal(r.statusCode, 400);
    const paths = (r.json().issues as { path: string }[]).map((i) => i.path);
    assert.ok(paths.includes('body.birthDate'), r.body);
    assert.ok(r.json().message.length > 0);
  });

  it('decides candidacy from the seed criteria and names every unmet one', async () => {
    const c = clinic();
    const id = (await c.request('POST', '/api/patients', { token: c.tokens.clinician, body: patientInput({ birthDate: '2023-01-01', indication: 'spasticity-traumatic-brain-injury' }) })).json().id;
    const base = {
      assessedAtMs: T0,
      severity: 'severe',
      interferesWithFunctionOrCare: true,
      screeningResponse: 'positive',
      origin: 'traumatic-brain-injury',
      brainInjuryAtMs: T0 - 100 * MS_PER_DAY,
      activeInfection: true,
      allergyToDrug: false,
      plannedPumpDepthMm: 30,
      bodySizeSufficient: true,
      oralTherapyFailed: true,
    };
    const r = await c.request('POST', `/api/patients/${id}/assessments`, { token: c.tokens.clinician, body: base });
    assert.equal(r.statusCode, 201, r.body);
    const reasons = r.json().reasons as string[];
    assert.equal(r.json().eligible, false);
    assert.equal(reasons.length, 4, reasons.join('; '));
    assert.ok(reasons.some((x) => x.includes('age')));
    assert.ok(reasons.some((x) => x.includes('one year')));
    assert.ok(reasons.some((x) => x.includes('infection')));
    assert.ok(reasons.some((x) => x.includes('depth')));
    const adult = (await c.request('POST', '/api/patients', { token: c.tokens.clinician, body: patientInput({ birthDate: '1960-01-01' }) })).json().id;
    const ok = await c.request('POST', `/api/patients/${adult}/assessments`, {
      token: c.tokens.clinician,
      body: { ...base, brainInjuryAtMs: T0 - 400 * MS_PER_DAY, activeInfection: false, plannedPumpDepthMm: 20 },
    });
    assert.equal(ok.json().eligible, true, ok.body);
  });

  it('records a screening trial and derives the starting dose (twice the dose if the effect lasted under 8 h)', async () => {
    const c = clinic();
    const id = (await c.request('POST', '/api/patients', { token: c.tokens.clinician, body: patientInput({ indication: 'spasticity-spinal' }) })).json().id;
    const dose = (doseMcg: number, h: number, response: string, effectH: number | null) => ({ doseMcg, givenAtMs: T0 + h * 3_600_000, observedUntilMs: T0 + (h + 8) * 3_600_000, response, effectDurationMs: effectH === null ? null : effectH * 3_600_000, sideEffects: [] });
    const r = await c.request('POST', `/api/patients/${id}/screening-trials`, {
      token: c.tokens.clinician,
      body: { drugId: 'baclofen', startedAtMs: T0, doses: [dose(50, 0, 'negative', null), dose(75, 24, 'positive', 6)] },
    });
    assert.equal(r.statusCode, 201, r.body);
    assert.equal(r.json().outcome, 'positive');
    assert.equal(r.json().startingDoseMcgPerDay, 150);
  });

  it('keeps every prescription version with who, when and why, and refuses hard-limit breaches naming the field', async () => {
    const c = clinic();
    const id = (await c.request('POST', '/api/patients', { token: c.tokens.clinician, body: patientInput() })).json().id;
    const v1 = await c.request('POST', `/api/patients/${id}/prescriptions`, { token: c.tokens.clinician, body: { prescription: MORPHINE_RX, reason: 'start of therapy' } });
    assert.equal(v1.statusCode, 201, v1.body);
    const higher = { ...MORPHINE_RX, basal: { kind: 'continuous', rateNlPerDay: 480_000 } };
    const v2 = await c.request('POST', `/api/patients/${id}/prescriptions`, { token: c.tokens.clinician, body: { prescription: higher, reason: 'titration +20%' } });
    assert.equal(v2.statusCode, 201, v2.body);
    assert.equal(v2.json().version, 2);
    const bad = await c.request('POST', `/api/patients/${id}/prescriptions`, { token: c.tokens.clinician, body: { prescription: { ...MORPHINE_RX, concentrationMcgPerMl: 12_345 }, reason: 'typo' } });
    assert.equal(bad.statusCode, 422, bad.body);
    assert.ok((bad.json().issues as { path: string }[]).some((i) => i.path.startsWith('body.prescription.concentration')), bad.body);
    const nurse = await c.request('POST', `/api/patients/${id}/prescriptions`, { token: c.tokens.nurse, body: { prescription: MORPHINE_RX, reason: 'x' } });
    assert.equal(nurse.statusCode, 403);
    const list = await c.request('GET', `/api/patients/${id}/prescriptions`, { token: c.tokens.nurse });
    assert.deepEqual(list.json().map((p: { version: number; reason: string }) => [p.version, p.reason]), [[1, 'start of therapy'], [2, 'titration +20%']]);
  });

  it('flags a refill discrepancy above 2 mL on a 40 mL pump and above 1 mL on a 20 mL pump', async () => {
    const c = clinic();
    const mk = async (serial: string, model: string) => {
      const id = (await c.request('POST', '/api/patients', { token: c.tokens.clinician, body: patientInput() })).json().id as string;
      assert.equal((await c.request('POST', `/api/patients/${id}/implants`, { token: c.tokens.clinician, body: implantInput(serial, { pumpModel: model }) })).statusCode, 201);
      return id;
    };
    const p40 = await mk(`R40-${kind}`, 'thecal-40');
    const p20 = await mk(`R20-${kind}`, 'thecal-20');
    const refill = (withdrawnNl: number) => ({ refilledAtMs: T0, drugId: 'morphine', concentrationMcgPerMl: 10_000, expectedResidualNl: 5 * NL_PER_ML, withdrawnNl, filledNl: 18 * NL_PER_ML });
    const a = await c.request('POST', `/api/patients/${p40}/refills`, { token: c.tokens.nurse, body: refill(3_500_000) });
    assert.equal(a.json().discrepancyFlagged, false, a.body);
    const b = await c.request('POST', `/api/patients/${p20}/refills`, { token: c.tokens.nurse, body: refill(3_500_000) });
    assert.equal(b.json().discrepancyFlagged, true);
    const over = await c.request('POST', `/api/patients/${p20}/refills`, { token: c.tokens.nurse, body: { ...refill(5 * NL_PER_ML), filledNl: 25 * NL_PER_ML } });
    assert.equal(over.statusCode, 400);
    const wl = await c.request('GET', '/api/worklist', { token: c.tokens.clinician });
    const items = (wl.json() as { kind: string; patientId: string }[]).filter((i) => i.kind === 'refill-discrepancy');
    assert.deepEqual(items.map((i) => i.patientId), [p20]);
    const refills = (await c.request('GET', `/api/patients/${p20}/refills`, { token: c.tokens.clinician })).json();
    const review = await c.request('POST', `/api/refills/${refills[0].id}/review`, { token: c.tokens.clinician, body: { note: 'syringe misread' } });
    assert.equal(review.statusCode, 200, review.body);
    const wl2 = (await c.request('GET', '/api/worklist', { token: c.tokens.clinician })).json() as { kind: string }[];
    assert.equal(wl2.filter((i) => i.kind === 'refill-discrepancy').length, 0);
  });

  it('records complications and adverse events from the seed lists only', async () => {
    const c = clinic();
    const id = (await c.request('POST', '/api/patients', { token: c.tokens.clinician, body: patientInput() })).json().id;
    const ok = await c.request('POST', `/api/patients/${id}/clinical-events`, { token: c.tokens.nurse, body: { kind: 'complication', code: 'catheter-kink', occurredAtMs: T0, severity: 'moderate' } });
    assert.equal(ok.statusCode, 201, ok.body);
    const ae = await c.request('POST', `/api/patients/${id}/clinical-events`, { token: c.tokens.nurse, body: { kind: 'adverse-event', code: 'withdrawal-itching', occurredAtMs: T0, severity: 'mild' } });
    assert.equal(ae.statusCode, 201, ae.body);
    const bad = await c.request('POST', `/api/patients/${id}/clinical-events`, { token: c.tokens.nurse, body: { kind: 'complication', code: 'withdrawal-itching', occurredAtMs: T0, severity: 'mild' } });
    assert.equal(bad.statusCode, 400);
    assert.equal((await c.request('GET', `/api/patients/${id}/clinical-events`, { token: c.tokens.clinician })).json().length, 2);
  });

  it('writes every read and write of patient data to the audit log', async () => {
    const c = clinic();
    const id = (await c.request('POST', '/api/patients', { token: c.tokens.clinician, body: patientInput() })).json().id;
    await c.request('GET', `/api/patients/${id}`, { token: c.tokens.nurse });
    await c.request('GET', `/api/patients/${id}/refills`, { token: c.tokens.clinician });
    const audit = (await c.request('GET', `/api/audit?patientId=${id}`, { token: c.tokens.admin })).json() as { action: string; resource: string; username: string }[];
    assert.deepEqual(
      audit.map((a) => `${a.username} ${a.action} ${a.resource}`).reverse(),
      ['clinician create patient', 'nurse read patient', 'clinician read refills'],
    );
  });
});
