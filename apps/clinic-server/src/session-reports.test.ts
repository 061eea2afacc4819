import { it } from 'node:test';
import assert from 'node:assert/strict';
import { MS_PER_DAY } from '@thecal/pump-core';
import { onBothDatabases } from './testing/databases.ts';
import { T0, patientWithPump, programmedPump, uploadFromPump, useClinic } from './testing/clinic.ts';

const pdfBase64 = (text: string) => Buffer.from(`%PDF-1.4\n% ${text}\n%%EOF\n`, 'latin1').toString('base64');

onBothDatabases("the programmer's session reports", (kind) => {
  const clinic = useClinic(kind);

  async function session(serial: string): Promise<string> {
    const c = clinic();
    await patientWithPump(c, serial);
    const pump = programmedPump(serial);
    pump.advanceTo(T0 + MS_PER_DAY);
    const r = await c.request('POST', '/api/sessions', { token: c.tokens.nurse, body: uploadFromPump(pump) });
    assert.equal(r.statusCode, 201, r.body);
    return (r.json() as { sessionId: string }).sessionId;
  }

  it('stores a report once, answers a retry "already stored", and serves it back as a PDF', async () => {
    const c = clinic();
    const id = await session(`SR1-${kind}`);
    const body = { pdfBase64: pdfBase64('visit') };
    const first = await c.request('POST', `/api/sessions/${id}/report`, { token: c.tokens.clinician, body });
    assert.equal(first.statusCode, 201, first.body);
    assert.equal(first.json().duplicate, false);
    const again = await c.request('POST', `/api/sessions/${id}/report`, { token: c.tokens.clinician, body });
    assert.equal(again.statusCode, 200);
    assert.equal(again.json().duplicate, true);
    const got = await c.request('GET', `/api/sessions/${id}/report.pdf`, { token: c.tokens.nurse });
    assert.equal(got.statusCode, 200);
    assert.equal(got.headers['content-type'], 'application/pdf');
    assert.equal(got.rawPayload.toString('latin1'), '%PDF-1.4\n% visit\n%%EOF\n');
  });

  it('refuses a different report for the same session, a non-PDF, bad base64 and an unknown session', async () => {
    const c = clinic();
    const id = await session(`SR2-${kind}`);
    assert.equal((await c.request('POST', `/api/sessions/${id}/report`, { token: c.tokens.clinician, body: { pdfBase64: pdfBase64('one') } })).statusCode, 201);
    const other = await c.request('POST', `/api/sessions/${id}/report`, { token: c.tokens.clinician, body: { pdfBase64: pdfBase64('two') } });
    assert.equal(other.statusCode, 409);
    const notPdf = await c.request('POST', `/api/sessions/${id}/report`, { token: c.tokens.clinician, body: { pdfBase64: Buffer.from('hello').toString('base64') } });
    assert.equal(notPdf.statusCode, 400);
    assert.match(notPdf.body, /not a PDF/);
    const bad = await c.request('POST', `/api/sessions/${id}/report`, { token: c.tokens.clinician, body: { pdfBase64: 'not base64!' } });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /base64/);
    const unknown = await c.request('POST', '/api/sessions/00000000-0000-4000-8000-000000000000/report', { token: c.tokens.clinician, body: { pdfBase64: pdfBase64('x') } });
    assert.equal(unknown.statusCode, 404);
    assert.equal((await c.request('GET', '/api/sessions/00000000-0000-4000-8000-000000000000/report.pdf', { token: c.tokens.clinician })).statusCode, 404);
  });
});
