import { it } from 'node:test';
import assert from 'node:assert/strict';
import { MS_PER_DAY } from '@thecal/pump-core';
import { onBothDatabases } from './testing/databases.ts';
import { MORPHINE_RX, T0, patientWithPump, programmedPump, uploadFromPump, useClinic } from './testing/clinic.ts';

onBothDatabases('exports', (kind) => {
  const clinic = useClinic(kind);

  it('exports the session / refill report as a PDF and the worklist and histories as CSV', async () => {
    const c = clinic();
    const serial = `EXP-${kind}`;
    const pid = await patientWithPump(c, serial, { familyName: 'Exportson' });
    await c.request('POST', `/api/patients/${pid}/prescriptions`, { token: c.tokens.clinician, body: { prescription: MORPHINE_RX, reason: 'start' } });
    const pump = programmedPump(serial, MORPHINE_RX, 4_000_000);
    pump.advanceTo(T0 + 2 * MS_PER_DAY);
    assert.equal((await c.request('POST', '/api/sessions', { token: c.tokens.nurse, body: uploadFromPump(pump) })).statusCode, 201);
    const pdf = await c.request('GET', `/api/patients/${pid}/exports/report.pdf`, { token: c.tokens.nurse });
    assert.equal(pdf.statusCode, 200);
    assert.equal(pdf.headers['content-type'], 'application/pdf');
    assert.equal(pdf.rawPayload.subarray(0, 5).toString(), '%PDF-');
    assert.ok(pdf.rawPayload.length > 1500);
    const csv = await c.request('GET', '/api/exports/worklist.csv', { token: c.tokens.clinician });
    assert.equal(csv.statusCode, 200);
    assert.match(String(csv.headers['content-type']), /text\/csv/);
    const lines = csv.body.trim().split('\n');
    assert.equal(lines[0], 'priority,kind,due,mrn,patient,message,patientId');
    assert.ok(lines.some((l) => l.includes('Exportson') && l.includes('refill-due')), csv.body);
    for (const kindName of ['refills', 'sessions', 'alarms', 'prescriptions', 'bolus-usage']) {
      const h = await c.request('GET', `/api/patients/${pid}/exports/history.csv?kind=${kindName}`, { token: c.tokens.clinician });
      assert.equal(h.statusCode, 200, `${kindName}: ${h.body}`);
    }
    const sessions = await c.request('GET', `/api/patients/${pid}/exports/history.csv?kind=sessions`, { token: c.tokens.clinician });
    assert.match(sessions.body.split('\n')[0] ?? '', /interrogatedAtMs,interrogatedAtIso/);
    assert.equal((await c.request('GET', `/api/patients/${pid}/exports/history.csv?kind=passwords`, { token: c.tokens.clinician })).statusCode, 400);
  });
});
