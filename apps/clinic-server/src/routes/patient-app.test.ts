/**
 * What the patient app sends: absences and shared usage reports. Patient role only, own record
 * only, validated (every count must add up), audited, and idempotent by the app's own id so the
 * offline queue may send twice without storing twice.
 */
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { onBothDatabases } from '../testing/databases.ts';
import { T0, patientWithPump, useClinic } from '../testing/clinic.ts';

const DAY = 86_400_000;

function report(over: Record<string, unknown> = {}) {
  const perHour = Array.from({ length: 24 }, () => ({ requested: 0, delivered: 0, denied: 0 }));
  perHour[9] = { requested: 3, delivered: 1, denied: 2 };
  perHour[21] = { requested: 1, delivered: 1, denied: 0 };
  return {
    clientId: randomUUID(),
    pumpSerial: 'PA-1',
    fromMs: T0 - 7 * DAY,
    untilMs: T0,
    generatedAtMs: T0,
    utcOffsetMs: 0,
    totals: { requested: 4, delivered: 2, denied: 2 },
    deniedByReason: { lockout: 1, 'count-24h-reached': 1 },
    deliveredNl: 20_000,
    perDay: [
      { date: '2026-01-01', requested: 3, delivered: 1, denied: 2 },
      { date: '2026-01-02', requested: 1, delivered: 1, denied: 0 },
    ],
    perHour,
    ...over,
  };
}

onBothDatabases('patient app routes', (kind) => {
  const clinic = useClinic(kind);
  let mine = '';
  let other = '';
  let patient = '';
  before(async () => {
    const c = clinic();
    mine = await patientWithPump(c, `PA-1`);
    other = await patientWithPump(c, `PA-2`);
    const u = await c.request('POST', '/api/users', { token: c.tokens.admin, body: { username: 'app-patient', password: 'patient password', role: 'patient', displayName: 'P', patientId: mine } });
    assert.equal(u.statusCode, 201, u.body);
    patient = await c.login('app-patient', 'patient password');
  });

  it('records an absence from the app once, even when the queue sends it twice', async () => {
    const c = clinic();
    const body = { clientId: randomUUID(), kind: 'travel', fromMs: T0 + 3 * DAY, untilMs: T0 + 10 * DAY, notes: 'Lisbon' };
    const first = await c.request('POST', `/api/patients/${mine}/app/absences`, { token: patient, body });
    assert.equal(first.statusCode, 201, first.body);
    assert.deepEqual(first.json(), { id: body.clientId, replayed: false });
    const again = await c.request('POST', `/api/patients/${mine}/app/absences`, { token: patient, body });
    assert.equal(again.statusCode, 200, again.body);
    assert.equal(again.json().replayed, true);
    const list = await c.request('GET', `/api/patients/${mine}/absences`, { token: c.tokens.nurse });
    assert.equal(list.json().filter((a: { id: string }) => a.id === body.clientId).length, 1);
    const changed = await c.request('POST', `/api/patients/${mine}/app/absences`, { token: patient, body: { ...body, untilMs: T0 + 11 * DAY } });
    assert.equal(changed.statusCode, 409, changed.body);
    const audit = await c.ctx.db.selectFrom('audit_log').selectAll().where('resource', '=', 'absence').where('resource_id', '=', body.clientId).execute();
    assert.ok(audit.length >= 2 && audit.every((a) => a.patient_id === mine && a.role === 'patient'), JSON.stringify(audit));
  });

  it('refuses absences that end before they start, or from anyone but the patient for their own record', async () => {
    const c = clinic();
    const body = { clientId: randomUUID(), kind: 'hospital-stay', fromMs: T0 + 5 * DAY, untilMs: T0 + 4 * DAY };
    const bad = await c.request('POST', `/api/patients/${mine}/app/absences`, { token: patient, body });
    assert.equal(bad.statusCode, 400);
    assert.ok(bad.json().issues.some((i: { path: string }) => i.path === 'body.untilMs'), bad.body);
    const good = { ...body, untilMs: T0 + 6 * DAY };
    const theirs = await c.request('POST', `/api/patients/${other}/app/absences`, { token: patient, body: good });
    assert.equal(theirs.statusCode, 403);
    const byNurse = await c.request('POST', `/api/patients/${mine}/app/absences`, { token: c.tokens.nurse, body: good });
    assert.equal(byNurse.statusCode, 403);
    const anon = await c.request('POST', `/api/patients/${mine}/app/absences`, { body: good });
    assert.equal(anon.statusCode, 401);
    const denied = await c.ctx.db.selectFrom('audit_log').select('id').where('outcome', '=', 'denied').where('patient_id', '=', other).where('resource', '=', 'absence').execute();
    assert.ok(denied.length >= 1, 'the attempt on another record is audited');
  });

  it('stores a shared usage report once, and the clinic reads it back', async () => {
    const c = clinic();
    const body = report();
    const first = await c.request('POST', `/api/patients/${mine}/usage-reports`, { token: patient, body });
    assert.equal(first.statusCode, 201, first.body);
    const again = await c.request('POST', `/api/patients/${mine}/usage-reports`, { token: patient, body });
    assert.equal(again.statusCode, 200, again.body);
    assert.equal(again.json().replayed, true);
    const other_ = await c.request('POST', `/api/patients/${mine}/usage-reports`, { token: patient, body: { ...body, deliveredNl: 1 } });
    assert.equal(other_.statusCode, 409);
    const read = await c.request('GET', `/api/patients/${mine}/usage-reports`, { token: c.tokens.clinician });
    assert.equal(read.statusCode, 200, read.body);
    const mineList = read.json().filter((r: { id: string }) => r.id === body.clientId);
    assert.equal(mineList.length, 1);
    assert.deepEqual(mineList[0].report, body);
    assert.equal((await c.request('GET', `/api/patients/${mine}/usage-reports`, { token: patient })).statusCode, 200);
    assert.equal((await c.request('GET', `/api/patients/${other}/usage-reports`, { token: patient })).statusCode, 403);
    const audit = await c.ctx.db.selectFrom('audit_log').select(['action', 'outcome']).where('resource', '=', 'usage-report').where('patient_id', '=', mine).execute();
    assert.ok(audit.some((a) => a.action === 'create' && a.outcome === 'success'));
    assert.ok(audit.some((a) => a.action === 'read' && a.outcome === 'success'));
  });

  it('refuses a report whose counts do not add up, naming the field', async () => {
    const c = clinic();
    const cases: [Record<string, unknown>, string][] = [
      [{ totals: { requested: 4, delivered: 3, denied: 2 } }, 'body.totals'],
      [{ deniedByReason: { lockout: 2, 'count-24h-reached': 1 } }, 'body.deniedByReason'],
      [{ perHour: Array.from({ length: 24 }, () => ({ requested: 0, delivered: 0, denied: 0 })) }, 'body.perHour'],
      [{ perHour: [] }, 'body.perHour'],
      [{ untilMs: T0 - 8 * DAY }, 'body.untilMs'],
      [{ pumpSerial: 'PA 1; drop' }, 'body.pumpSerial'],
      [{ utcOffsetMs: 20 * 3_600_000 }, 'body.utcOffsetMs'],
      [{ extra: true }, 'body'],
    ];
    for (const [over, path] of cases) {
      const r = await c.request('POST', `/api/patients/${mine}/usage-reports`, { token: patient, body: report(over) });
      assert.equal(r.statusCode, 400, `${JSON.stringify(over)}: ${r.body}`);
      assert.ok(r.json().issues.some((i: { path: string }) => i.path === path || (path === 'body' && i.path.startsWith('body'))), `${path}: ${r.body}`);
    }
    const wrongPump = await c.request('POST', `/api/patients/${mine}/usage-reports`, { token: patient, body: report({ pumpSerial: 'PA-2' }) });
    assert.equal(wrongPump.statusCode, 400, wrongPump.body);
    const byClinician = await c.request('POST', `/api/patients/${mine}/usage-reports`, { token: c.tokens.clinician, body: report() });
    assert.equal(byClinician.statusCode, 403);
    const n = await c.ctx.db.selectFrom('usage_reports').select((eb) => eb.fn.countAll().as('n')).where('patient_id', '=', mine).executeTakeFirstOrThrow();
    assert.equal(Number(n.n), 1, 'only the one good report from the previous test is stored');
  });
});
