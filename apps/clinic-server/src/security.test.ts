/**
 * Over every endpoint there is (walked from the route table, not a hand-kept list): the role
 * matrix, and malformed, oversized and hostile input. Each must give a clear 4xx, store nothing,
 * and leave the server serving.
 */
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Role } from './db/schema.ts';
import { onBothDatabases } from './testing/databases.ts';
import { patientWithPump, useClinic, type TestClinic } from './testing/clinic.ts';
import type { RouteDef } from './http/route.ts';

const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';
type AnyRoute = RouteDef<unknown, unknown, unknown>;

function urlFor(def: AnyRoute, patientId: string): string {
  let url = def.url.replace(':patientId', patientId).replace(':id', def.patientParam === 'id' ? patientId : NO_SUCH_ID);
  if (def.url === '/fhir/Patient') url += `?_id=${patientId}`;
  else if (def.url.startsWith('/fhir/') && !def.url.includes(':') && def.url !== '/fhir/metadata') url += `?patient=${patientId}`;
  else if (def.url.endsWith('history.csv')) url += '?kind=refills';
  return url;
}

async function countRows(c: TestClinic): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of ['users', 'patients', 'assessments', 'screening_trials', 'implants', 'prescriptions', 'programming_sessions', 'log_records', 'refills', 'alarms', 'clinical_events', 'absences', 'forecasts'] as const) {
    const r = await c.ctx.db.selectFrom(t).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    out[t] = Number(r.n);
  }
  return out;
}

onBothDatabases('security over every endpoint', (kind) => {
  const clinic = useClinic(kind);
  let mine = '';
  let other = '';
  let patientToken = '';
  before(async () => {
    const c = clinic();
    mine = await patientWithPump(c, `SEC1-${kind}`);
    other = await patientWithPump(c, `SEC2-${kind}`);
    const u = await c.request('POST', '/api/users', { token: c.tokens.admin, body: { username: 'patient-one', password: 'patient password', role: 'patient', displayName: 'P1', patientId: mine } });
    assert.equal(u.statusCode, 201, u.body);
    patientToken = await c.login('patient-one', 'patient password');
  });

  it('role matrix: only the allowed role/endpoint pairs pass; a patient never reaches another patient', async () => {
    const c = clinic();
    const tokens: Record<Role, string> = { ...c.tokens, patient: patientToken };
    assert.ok(c.routes.length >= 40, `only ${c.routes.length} routes`);
    const before = await countRows(c);
    // Signing out is tested on its own: here it would end the very sessions the matrix uses.
    for (const def of c.routes.filter((d) => d.url !== '/api/auth/logout')) {
      const url = urlFor(def, mine);
      const body = def.method === 'GET' ? undefined : {};
      const anon = await c.request(def.method, url, { body });
      if (def.roles === 'public') {
        assert.notEqual(anon.statusCode, 401, `${def.method} ${def.url} is public`);
        continue;
      }
      assert.equal(anon.statusCode, 401, `anonymous ${def.method} ${def.url}: ${anon.body}`);
      for (const role of ['admin', 'clinician', 'nurse', 'patient'] as const) {
        const r = await c.request(def.method, url, { token: tokens[role], body });
        const allowed = def.roles.includes(role);
        if (allowed) assert.ok(r.statusCode !== 401 && r.statusCode !== 403, `${role} ${def.method} ${def.url} should pass: ${r.statusCode} ${r.body}`);
        else assert.equal(r.statusCode, 403, `${role} ${def.method} ${def.url} should be forbidden: ${r.statusCode} ${r.body}`);
        assert.ok(r.statusCode < 500, `${role} ${def.method} ${def.url}: ${r.statusCode} ${r.body}`);
        if (role === 'patient' && allowed && url.includes(mine)) {
          const theirs = await c.request(def.method, urlFor(def, other), { token: tokens.patient, body });
          assert.equal(theirs.statusCode, 403, `patient reached another patient through ${def.method} ${def.url}: ${theirs.body}`);
        }
      }
    }
    // Bodies were empty: nothing was stored by any of it.
    assert.deepEqual(await countRows(c), before);
    const denied = await c.ctx.db.selectFrom('audit_log').select('id').where('outcome', '=', 'denied').where('patient_id', '=', other).execute();
    assert.ok(denied.length > 0, 'denied attempts on another patient are audited');
  });

  it('hostile input on every endpoint: a clear 4xx, nothing stored, the server keeps serving', async () => {
    const c = clinic();
    const before = await countRows(c);
    const tokenFor = (def: AnyRoute) => (def.roles === 'public' ? undefined : def.roles.includes('clinician') ? c.tokens.clinician : def.roles.includes('nurse') ? c.tokens.nurse : def.roles.includes('admin') ? c.tokens.admin : patientToken);
    const hostileBodies: { name: string; payload: string; type?: string; expect: number[] }[] = [
      { name: 'malformed JSON', payload: '{"mrn": "A1", ', expect: [400] },
      { name: 'an array', payload: '[1,2,3]', expect: [400] },
      { name: 'a string', payload: '"DROP TABLE patients"', expect: [400] },
      { name: 'prototype pollution', payload: '{"__proto__": {"role": "admin"}, "mrn": "X"}', expect: [400] },
      { name: 'constructor pollution', payload: '{"constructor": {"prototype": {"x": 1}}}', expect: [400] },
      { name: 'huge string', payload: JSON.stringify({ mrn: 'A'.repeat(200_000) }), expect: [400] },
      { name: 'deep nesting', payload: '{"a":'.repeat(2000) + '1' + '}'.repeat(2000), expect: [400] },
      { name: 'SQL in fields', payload: JSON.stringify({ mrn: "x'; DROP TABLE patients; --", familyName: "Robert'); DROP TABLE users;--" }), expect: [400] },
      { name: 'form encoding', payload: 'mrn=1&x=2', type: 'application/x-www-form-urlencoded', expect: [415] },
      { name: 'oversized body', payload: JSON.stringify({ pad: 'x'.repeat(9 * 1024 * 1024) }), expect: [413] },
      { name: 'NaN and Infinity as text', payload: '{"refilledAtMs": NaN, "withdrawnNl": Infinity}', expect: [400] },
      { name: 'numbers out of range', payload: JSON.stringify({ refilledAtMs: 1e300, withdrawnNl: -5, filledNl: 1.5 }), expect: [400] },
    ];
    for (const def of c.routes.filter((d) => d.url !== '/api/auth/logout')) {
      const token = tokenFor(def);
      const withToken = token === undefined ? {} : { token };
      const auth = token === undefined ? {} : { authorization: `Bearer ${token}` };
      if (def.method !== 'GET') {
        for (const h of hostileBodies) {
          const r = await c.app.inject({ method: def.method, url: urlFor(def, mine), headers: { ...auth, 'content-type': h.type ?? 'application/json' }, payload: h.payload });
          assert.ok(h.expect.includes(r.statusCode) || (r.statusCode >= 400 && r.statusCode < 500 && def.body === undefined), `${h.name} -> ${def.method} ${def.url}: ${r.statusCode} ${r.body.slice(0, 300)}`);
          const json = r.json() as { error?: string; message?: string };
          assert.ok(typeof json.error === 'string' && typeof json.message === 'string' && json.message.length > 5, `${h.name} -> ${def.url}: unclear error ${r.body.slice(0, 200)}`);
        }
      }
      if (def.params !== undefined) {
        for (const bad of ['..%2F..%2Fetc%2Fpasswd', "1'%20OR%20'1'='1", 'not-a-uuid', '%00']) {
          const url = def.url.replace(':patientId', bad).replace(':id', bad);
          const r = await c.request(def.method, url, { ...withToken, ...(def.method === 'GET' ? {} : { body: {} }) });
          assert.ok(r.statusCode >= 400 && r.statusCode < 500, `${def.method} ${url}: ${r.statusCode} ${r.body}`);
        }
      }
      if (def.method === 'GET') {
        const sep = urlFor(def, mine).includes('?') ? '&' : '?';
        const r = await c.request('GET', `${urlFor(def, mine)}${sep}limit=-1&unexpected=%3Cscript%3E`, withToken);
        assert.ok(r.statusCode === 400 || def.query === undefined, `unknown query on ${def.url}: ${r.statusCode}`);
      }
    }
    assert.deepEqual(await countRows(c), before);
    assert.equal((await c.request('GET', '/fhir/metadata')).statusCode, 200);
    assert.equal((await c.request('GET', `/api/patients/${mine}`, { token: c.tokens.nurse })).statusCode, 200);
  });

  it('serves the OpenAPI document at /docs listing every endpoint', async () => {
    const c = clinic();
    const ui = await c.request('GET', '/docs/');
    assert.ok(ui.statusCode === 200 || ui.statusCode === 302, String(ui.statusCode));
    const doc = (await c.request('GET', '/docs/json')).json() as { openapi: string; paths: Record<string, unknown> };
    assert.match(doc.openapi, /^3\./);
    for (const def of c.routes) assert.ok(def.url.replace(/:(\w+)/g, '{$1}') in doc.paths, `${def.url} missing from OpenAPI`);
  });
});
