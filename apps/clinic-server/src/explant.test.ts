import { it } from 'node:test';
import assert from 'node:assert/strict';
import { MS_PER_DAY } from '@thecal/pump-core';
import { onBothDatabases } from './testing/databases.ts';
import { T0, patientWithPump, programmedPump, uploadFromPump, useClinic } from './testing/clinic.ts';

onBothDatabases('explant', (kind) => {
  const clinic = useClinic(kind);

  it('records when and why a pump came out; its uploads, forecast and worklist items stop; refused twice, early or in the future', async () => {
    const c = clinic();
    const serial = `EX1-${kind}`;
    const pid = await patientWithPump(c, serial);
    const pump = programmedPump(serial);
    pump.advanceTo(T0 + 2 * MS_PER_DAY);
    assert.equal((await c.request('POST', '/api/sessions', { token: c.tokens.nurse, body: uploadFromPump(pump) })).statusCode, 201);
    assert.equal((await c.request('GET', `/api/patients/${pid}/forecast`, { token: c.tokens.clinician })).statusCode, 200);
    const implants = (await c.request('GET', `/api/patients/${pid}/implants`, { token: c.tokens.clinician })).json() as { id: string; implantedAtMs: number }[];
    const implant = implants[0]!;
    const url = `/api/patients/${pid}/implants/${implant.id}/explant`;

    const early = await c.request('POST', url, { token: c.tokens.clinician, body: { explantedAtMs: implant.implantedAtMs - 1, reason: 'infection' } });
    assert.equal(early.statusCode, 400, early.body);
    assert.match(early.json().message, /^body\.explantedAtMs: before the implant date/);
    const future = await c.request('POST', url, { token: c.tokens.clinician, body: { explantedAtMs: T0 + 2 * 60 * 60 * 1000, reason: 'infection' } });
    assert.equal(future.statusCode, 400);
    assert.match(future.json().message, /in the future/);
    const badReason = await c.request('POST', url, { token: c.tokens.clinician, body: { explantedAtMs: T0, reason: 'bored' } });
    assert.equal(badReason.statusCode, 400);
    const byNurse = await c.request('POST', url, { token: c.tokens.nurse, body: { explantedAtMs: T0, reason: 'infection' } });
    assert.equal(byNurse.statusCode, 403);
    assert.equal(((await c.request('GET', `/api/patients/${pid}/implants`, { token: c.tokens.clinician })).json() as { explantedAtMs: number | null }[])[0]!.explantedAtMs, null, 'refusals change nothing');

    const ok = await c.request('POST', url, { token: c.tokens.clinician, body: { explantedAtMs: T0, reason: 'infection', notes: 'pocket infection' } });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(ok.json(), { id: implant.id, pumpSerial: serial, explantedAtMs: T0, reason: 'infection' });
    const again = await c.request('POST', url, { token: c.tokens.clinician, body: { explantedAtMs: T0, reason: 'infection' } });
    assert.equal(again.statusCode, 409);

    assert.equal(((await c.request('GET', `/api/patients/${pid}/implants`, { token: c.tokens.clinician })).json() as { explantedAtMs: number | null }[])[0]!.explantedAtMs, T0);
    const events = (await c.request('GET', `/api/patients/${pid}/clinical-events`, { token: c.tokens.clinician })).json() as { kind: string; code: string; notes: string }[];
    assert.ok(events.some((e) => e.kind === 'procedure' && e.code === 'explant-infection' && /pocket infection/.test(e.notes)));
    assert.equal((await c.request('GET', `/api/patients/${pid}/forecast`, { token: c.tokens.clinician })).statusCode, 404);
    pump.advanceTo(T0 + 3 * MS_PER_DAY);
    const late = await c.request('POST', '/api/sessions', { token: c.tokens.nurse, body: uploadFromPump(pump) });
    assert.equal(late.statusCode, 409);
    const items = (await c.request('GET', '/api/worklist', { token: c.tokens.nurse })).json() as { patientId: string }[];
    assert.ok(!items.some((i) => i.patientId === pid));
  });
});
