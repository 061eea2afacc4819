import { it } from 'node:test';
import assert from 'node:assert/strict';
import { MS_PER_DAY, MS_PER_HOUR, NL_PER_ML } from '@thecal/pump-core';
import { onBothDatabases } from './testing/databases.ts';
import { T0, patientWithPump, programmedPump, uploadFromPump, useClinic } from './testing/clinic.ts';

onBothDatabases('programming-session uploads', (kind) => {
  const clinic = useClinic(kind);

  it('stores an upload once: a retry answers "already stored", logs are never duplicated', async () => {
    const c = clinic();
    const serial = `UP1-${kind}`;
    const pid = await patientWithPump(c, serial);
    const pump = programmedPump(serial);
    pump.advanceTo(T0 + 3 * MS_PER_DAY);
    const body = uploadFromPump(pump);
    const first = await c.request('POST', '/api/sessions', { token: c.tokens.nurse, body });
    assert.equal(first.statusCode, 201, first.body);
    assert.equal(first.json().duplicate, false);
    const again = await c.request('POST', '/api/sessions', { token: c.tokens.nurse, body });
    assert.equal(again.statusCode, 200, again.body);
    assert.equal(again.json().duplicate, true);
    assert.equal(again.json().sessionId, first.json().sessionId);
    const records = (await c.request('GET', `/api/patients/${pid}/log-records?log=event&limit=500`, { token: c.tokens.clinician })).json() as { seq: number }[];
    assert.equal(records.length, pump.events.all().length);
    assert.equal(new Set(records.map((r) => r.seq)).size, records.length);
    assert.equal((await c.request('GET', `/api/patients/${pid}/sessions`, { token: c.tokens.clinician })).json().length, 1);
  });

  it('refuses a different upload at the same log position (409) and an unknown pump (409), storing nothing', async () => {
    const c = clinic();
    const serial = `UP2-${kind}`;
    await patientWithPump(c, serial);
    const pump = programmedPump(serial);
    pump.advanceTo(T0 + MS_PER_DAY);
    const body = uploadFromPump(pump);
    assert.equal((await c.request('POST', '/api/sessions', { token: c.tokens.nurse, body })).statusCode, 201);
    const stored = async (s: string) => Number((await c.ctx.db.selectFrom('log_records').select((eb) => eb.fn.countAll().as('n')).where('pump_serial', '=', s).executeTakeFirstOrThrow()).n);
    const held = await stored(serial);
    const tampered = structuredClone(body);
    (tampered.eventLog as { data: Record<string, unknown> }[])[0]!.data['tampered'] = true;
    const r = await c.request('POST', '/api/sessions', { token: c.tokens.nurse, body: tampered });
    assert.equal(r.statusCode, 409, r.body);
    assert.equal(await stored(serial), held, 'the refused upload added no record');
    const stranger = programmedPump(`NOPE-${kind}`);
    const u = await c.request('POST', '/api/sessions', { token: c.tokens.nurse, body: uploadFromPump(stranger) });
    assert.equal(u.statusCode, 409);
    assert.match(u.json().message, /no implanted pump/);
    assert.equal(await stored(`NOPE-${kind}`), 0);
    // The implant says thecal-40; an upload saying thecal-20 is refused and stores nothing either.
    const other = structuredClone(body);
    (other.status as { model: string; log: { eventNextSeq: number } }).model = 'thecal-20';
    (other.status as { log: { eventNextSeq: number } }).log.eventNextSeq += 5000;
    (other.eventLog as { seq: number }[]).forEach((x) => (x.seq += 5000));
    other.snapshot = null;
    const m = await c.request('POST', '/api/sessions', { token: c.tokens.nurse, body: other });
    assert.equal(m.statusCode, 409, m.body);
    assert.equal(m.json().error ?? m.json().code, 'model-mismatch');
    assert.equal(await stored(serial), held);
  });

  it('refuses log data that is not flat named values, naming the record and the field, and stores nothing', async () => {
    const c = clinic();
    const serial = `UP12-${kind}`;
    await patientWithPump(c, serial);
    const pump = programmedPump(serial);
    pump.advanceTo(T0 + MS_PER_DAY);
    const body = uploadFromPump(pump);
    (body.eventLog as { data: Record<string, unknown> }[])[1]!.data['nested'] = { a: 1 };
    const r = await c.request('POST', '/api/sessions', { token: c.tokens.nurse, body });
    assert.equal(r.statusCode, 400, r.body);
    assert.match(r.json().message, /body\.eventLog\[1\]\.data: field "nested" must be a finite number, a string of at most 200 characters, true\/false or null/);
    const many = uploadFromPump(pump);
    (many.eventLog as { data: Record<string, unknown> }[])[0]!.data = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`f${i}`, i]));
    const m = await c.request('POST', '/api/sessions', { token: c.tokens.nurse, body: many });
    assert.equal(m.statusCode, 400);
    assert.match(m.json().message, /at most 32 fields, got 33/);
    // Each limit of the rule, just past it: a 201-character string, a 41-character field name.
    for (const [field, value, why] of [
      ['note', 'x'.repeat(201), /field "note" must be a finite number, a string of at most 200 characters/],
      ['n'.repeat(41), 1, /field name "n{40}\.\.\." is longer than 40 characters/],
    ] as const) {
      const bad = uploadFromPump(pump);
      (bad.eventLog as { data: Record<string, unknown> }[])[0]!.data[field] = value;
      const b = await c.request('POST', '/api/sessions', { token: c.tokens.nurse, body: bad });
      assert.equal(b.statusCode, 400, b.body);
      assert.match(b.json().message, why);
    }
    assert.equal((await c.ctx.db.selectFrom('log_records').select('seq').where('pump_serial', '=', serial).execute()).length, 0, 'the refused uploads stored nothing');
    // At the limits it is accepted: 200 characters, a 40-character name.
    const edge = uploadFromPump(pump);
    Object.assign((edge.eventLog as { data: Record<string, unknown> }[])[0]!.data, { note: 'x'.repeat(200), ['n'.repeat(40)]: 1 });
    assert.equal((await c.request('POST', '/api/sessions', { token: c.tokens.nurse, body: edge })).statusCode, 201);
    // Only the valid upload at the limits was stored.
    const rows = await c.ctx.db.selectFrom('programming_sessions').select('id').where('pump_serial', '=', serial).execute();
    assert.equal(rows.length, 1);
  });

  it('overlapping log pages from successive sessions merge without duplicates; gaps are counted', async () => {
    const c = clinic();
    const serial = `UP3-${kind}`;
    const pid = await patientWithPump(c, serial);
    const pump = programmedPump(serial);
    pump.advanceTo(T0 + 2 * MS_PER_DAY);
    pump.execute(T0 + 2 * MS_PER_DAY, 'i1', { type: 'interrogate' });
    assert.equal((await c.request('POST', '/api/sessions', { token: c.tokens.nurse, body: uploadFromPump(pump) })).statusCode, 201);
    for (let i = 0; i < 3; i++) pump.execute(T0 + 2 * MS_PER_DAY + (i + 1) * 2 * MS_PER_HOUR, `pb${i}`, { type: 'patient-bolus' });
    pump.advanceTo(T0 + 5 * MS_PER_DAY);
    pump.execute(T0 + 5 * MS_PER_DAY, 'i2', { type: 'interrogate' });
    const second = await c.request('POST', '/api/sessions', { token: c.tokens.nurse, body: uploadFromPump(pump) });
    assert.equal(second.statusCode, 201, second.body);
    assert.equal(second.json().recordsMissed, 0);
    const therapy = (await c.request('GET', `/api/patients/${pid}/log-records?log=therapy&limit=500`, { token: c.tokens.clinician })).json() as unknown[];
    assert.equal(therapy.length, pump.therapyLog.all().length);
    // A third upload sending only the newest records, after a gap the pump overwrote.
    pump.advanceTo(T0 + 9 * MS_PER_DAY);
    pump.execute(T0 + 9 * MS_PER_DAY, 'i3', { type: 'interrogate' });
    const next = pump.therapyLog.nextSequence;
    const third = await c.request('POST', '/api/sessions', { token: c.tokens.nurse, body: uploadFromPump(pump, { eventSeq: 1, therapySeq: next - 1 }) });
    assert.equal(third.statusCode, 201, third.body);
    assert.ok(third.json().recordsMissed > 0);
    const usage = (await c.request('GET', `/api/patients/${pid}/bolus-usage`, { token: c.tokens.clinician })).json() as { requested: number; delivered: number }[];
    assert.equal(usage.reduce((s, d) => s + d.requested, 0), 3);
    assert.equal(usage.reduce((s, d) => s + d.delivered, 0), 3);
  });

  it('forecasts from the snapshot exactly as the pump core does, and rebuilds one from the status alone', async () => {
    const c = clinic();
    const serial = `UP4-${kind}`;
    const pid = await patientWithPump(c, serial);
    const pump = programmedPump(serial);
    pump.advanceTo(T0 + 4 * MS_PER_DAY);
    const expected = pump.forecast();
    const r = await c.request('POST', '/api/sessions', { token: c.tokens.nurse, body: uploadFromPump(pump) });
    assert.equal(r.statusCode, 201, r.body);
    const f = (await c.request('GET', `/api/patients/${pid}/forecast`, { token: c.tokens.clinician })).json();
    assert.equal(f.method, 'snapshot');
    assert.equal(f.nextRefillByMs, expected.nextRefillByMs);
    assert.equal(f.lowReservoirAtMs, expected.lowReservoirAtMs);
    assert.equal(f.eriAtMs, expected.eriAtMs);
    assert.equal(f.replaceByMs, expected.replaceByMs);
    pump.advanceTo(T0 + 6 * MS_PER_DAY);
    const noSnap = uploadFromPump(pump, undefined, false);
    const r2 = await c.request('POST', '/api/sessions', { token: c.tokens.nurse, body: noSnap });
    assert.equal(r2.statusCode, 201, r2.body);
    const f2 = (await c.request('GET', `/api/patients/${pid}/forecast`, { token: c.tokens.clinician })).json();
    assert.equal(f2.method, 'rebuilt');
    const truth = pump.forecast();
    // Rebuilt from status: the same reservoir and program give the same dates within a stroke's time.
    assert.ok(Math.abs(f2.lowReservoirAtMs - (truth.lowReservoirAtMs ?? 0)) < MS_PER_HOUR, `${f2.lowReservoirAtMs} vs ${truth.lowReservoirAtMs}`);
    assert.ok(Math.abs(f2.nextRefillByMs - (truth.nextRefillByMs ?? 0)) < MS_PER_HOUR);
    const recompute = await c.request('POST', '/api/forecasts/recompute', { token: c.tokens.admin });
    assert.equal(recompute.statusCode, 200, recompute.body);
    assert.ok(recompute.json().patients >= 1);
    assert.equal(recompute.json().failed, 0);
  });

  it('puts due refills, travel at refill time, unresolved critical alarms and ERI on the worklist', async () => {
    const c = clinic();
    const serial = `UP5-${kind}`;
    const pid = await patientWithPump(c, serial, { familyName: 'Worklist' });
    // 5 mL at 0.4 mL/day: low reservoir (2 mL) in ~7.5 days, refill (3 mL, boluses counted) in ~4 days.
    const pump = programmedPump(serial, undefined, 5 * NL_PER_ML);
    pump.advanceTo(T0 + MS_PER_DAY);
    assert.equal((await c.request('POST', '/api/sessions', { token: c.tokens.nurse, body: uploadFromPump(pump) })).statusCode, 201);
    const due = pump.forecast().nextRefillByMs as number;
    c.clock.nowMs = T0 + MS_PER_DAY;
    // Moving the clock a day expires the 8 h sessions: sign in again.
    c.tokens.nurse = await c.login('nurse');
    c.tokens.clinician = await c.login('clinician');
    await c.request('POST', `/api/patients/${pid}/absences`, { token: c.tokens.nurse, body: { kind: 'travel', fromMs: due - MS_PER_DAY, untilMs: due + 10 * MS_PER_DAY } });
    const wl = await c.request('GET', '/api/worklist', { token: c.tokens.nurse });
    assert.equal(wl.statusCode, 200, wl.body);
    let items = wl.json() as { kind: string; patientId: string; message: string }[];
    const mine = items.filter((i) => i.patientId === pid).map((i) => i.kind);
    assert.ok(mine.includes('refill-due'), JSON.stringify(items));
    assert.ok(mine.includes('away-at-refill'));
    // Run it dry: the empty alarm is critical.
    pump.advanceTo(T0 + 20 * MS_PER_DAY);
    pump.execute(T0 + 20 * MS_PER_DAY, 'iq', { type: 'interrogate' });
    c.clock.nowMs = T0 + 20 * MS_PER_DAY;
    c.tokens.nurse = await c.login('nurse');
    c.tokens.clinician = await c.login('clinician');
    const up = await c.request('POST', '/api/sessions', { token: c.tokens.nurse, body: uploadFromPump(pump) });
    assert.equal(up.statusCode, 201, up.body);
    items = (await c.request('GET', '/api/worklist?replacementDays=3650', { token: c.tokens.nurse })).json();
    const kinds = items.filter((i) => i.patientId === pid).map((i) => i.kind);
    assert.ok(kinds.includes('critical-alarm'), JSON.stringify(items));
    assert.ok(kinds.includes('replacement'));
    assert.equal(items[0]?.kind === 'refill-overdue' || items[0]?.kind === 'critical-alarm', true);
    const alarms = (await c.request('GET', `/api/patients/${pid}/alarms`, { token: c.tokens.clinician })).json() as { id: string; code: string; critical: boolean }[];
    const empty = alarms.find((a) => a.code === 'reservoir-empty');
    assert.ok(empty !== undefined && empty.critical);
    assert.equal((await c.request('POST', `/api/alarms/${empty.id}/review`, { token: c.tokens.nurse, body: {} })).statusCode, 200);
    items = (await c.request('GET', '/api/worklist', { token: c.tokens.nurse })).json();
    assert.ok(!items.some((i) => i.patientId === pid && i.kind === 'critical-alarm'));
  });

  it('shows a battery whose ERI forecast moved more than a month earlier since the previous session, until reviewed', async () => {
    const c = clinic();
    const serial = `UP11-${kind}`;
    const pid = await patientWithPump(c, serial);
    const pump = programmedPump(serial);
    pump.advanceTo(T0 + MS_PER_DAY);
    const first = uploadFromPump(pump);
    assert.equal((await c.request('POST', '/api/sessions', { token: c.tokens.nurse, body: first })).statusCode, 201);
    // The status gives the replace-by date (ERI + 90 days) until ERI is reached: move that.
    const replaceBy0 = (first.status as { battery: { replaceByMs: number } }).battery.replaceByMs;
    const later = (eriShiftDays: number, atMs: number) => {
      pump.advanceTo(atMs);
      pump.execute(atMs, `iq${atMs}`, { type: 'interrogate' });
      const u = uploadFromPump(pump);
      (u.status as { battery: { replaceByMs: number } }).battery.replaceByMs = replaceBy0 - eriShiftDays * MS_PER_DAY;
      u.snapshot = null;
      return u;
    };
    const drained = () => c.request('GET', '/api/worklist?limit=500', { token: c.tokens.clinician }).then((r) => (r.json() as { kind: string; patientId: string; message: string }[]).filter((i) => i.patientId === pid && i.kind === 'battery-draining-early'));
    // Twenty days earlier: within what a month allows.
    assert.equal((await c.request('POST', '/api/sessions', { token: c.tokens.nurse, body: later(20, T0 + 2 * MS_PER_DAY) })).statusCode, 201);
    assert.deepEqual(await drained(), []);
    // Then 80 days earlier than the start, 60 more than the previous session: on the worklist.
    assert.equal((await c.request('POST', '/api/sessions', { token: c.tokens.nurse, body: later(80, T0 + 3 * MS_PER_DAY) })).statusCode, 201);
    const items = await drained();
    assert.equal(items.length, 1, JSON.stringify(items));
    assert.match(items[0]?.message ?? '', /60 days earlier/);
    // Recomputing the same session keeps it; a review takes it off; a second review is a conflict.
    assert.equal((await c.request('POST', '/api/forecasts/recompute', { token: c.tokens.clinician })).statusCode, 200);
    assert.equal((await drained()).length, 1);
    assert.equal((await c.request('POST', `/api/patients/${pid}/forecast/eri-shift/review`, { token: c.tokens.clinician, body: {} })).statusCode, 200);
    assert.deepEqual(await drained(), []);
    assert.equal((await c.request('POST', `/api/patients/${pid}/forecast/eri-shift/review`, { token: c.tokens.clinician, body: {} })).statusCode, 409);
  });

  it('ends an alarm the pump no longer shows: when the log says, else at the interrogation; an alarm still showing stays open', async () => {
    const c = clinic();
    const serial = `UP9-${kind}`;
    const pid = await patientWithPump(c, serial);
    const pump = programmedPump(serial);
    pump.advanceTo(T0 + 2 * MS_PER_DAY);
    const first = uploadFromPump(pump);
    type Rec = { seq: number; utcMs: number; utcOffsetMs: number; type: string; data: Record<string, unknown> };
    const events = first.eventLog as Rec[];
    const last = events[events.length - 1]!;
    const raisedAt = T0 + MS_PER_DAY;
    const raise = (i: number, code: string): Rec => ({ seq: last.seq + i, utcMs: raisedAt + i, utcOffsetMs: 0, type: 'alarm-raised', data: { code } });
    // Three alarms raised, all still showing at the first interrogation.
    first.eventLog = [...events, raise(1, 'reservoir-low'), raise(2, 'refill-reminder'), raise(3, 'eri')];
    const st = first.status as { alarms: unknown[]; log: { eventNextSeq: number }; pumpUtcMs: number };
    st.log.eventNextSeq = last.seq + 4;
    st.alarms = ['reservoir-low', 'refill-reminder', 'eri'].map((code, i) => ({ code, critical: false, raisedAtMs: raisedAt + i + 1, acknowledged: false }));
    assert.equal((await c.request('POST', '/api/sessions', { token: c.tokens.nurse, body: first })).statusCode, 201);
    // Later: the log says when reservoir-low ended; refill-reminder is gone without a record; battery-eri still shows.
    const second = structuredClone(first);
    const endedAt = raisedAt + 5 * MS_PER_HOUR;
    second.eventLog = [{ seq: last.seq + 4, utcMs: endedAt, utcOffsetMs: 0, type: 'alarm-resolved', data: { code: 'reservoir-low' } }];
    const st2 = second.status as typeof st & { nowMs: number };
    st2.log.eventNextSeq = last.seq + 5;
    st2.pumpUtcMs = st.pumpUtcMs + MS_PER_HOUR;
    st2.nowMs += MS_PER_HOUR;
    st2.alarms = [st.alarms[2]];
    second.snapshot = null;
    const r = await c.request('POST', '/api/sessions', { token: c.tokens.nurse, body: second });
    assert.equal(r.statusCode, 201, r.body);
    const alarms = (await c.request('GET', `/api/patients/${pid}/alarms`, { token: c.tokens.clinician })).json() as { code: string; resolvedAtMs: number | null }[];
    const endOf = (code: string) => alarms.find((a) => a.code === code)?.resolvedAtMs;
    assert.equal(endOf('reservoir-low'), endedAt);
    assert.equal(endOf('refill-reminder'), st2.pumpUtcMs);
    assert.equal(endOf('eri'), null);
  });

  it('ends an alarm raised and ended within one upload by the same rule, as the upload is stored', async () => {
    const c = clinic();
    const serial = `UP10-${kind}`;
    const pid = await patientWithPump(c, serial);
    const pump = programmedPump(serial);
    pump.advanceTo(T0 + 2 * MS_PER_DAY);
    const up = uploadFromPump(pump);
    type Rec = { seq: number; utcMs: number; utcOffsetMs: number; type: string; data: Record<string, unknown> };
    const events = up.eventLog as Rec[];
    const last = events[events.length - 1]!;
    const at = T0 + MS_PER_DAY;
    const rec = (i: number, type: string, code: string, utcMs: number): Rec => ({ seq: last.seq + i, utcMs, utcOffsetMs: 0, type, data: { code } });
    // reservoir-low raised and resolved in the log; eri raised and still showing; refill-reminder raised, gone, no record of its end.
    up.eventLog = [...events, rec(1, 'alarm-raised', 'reservoir-low', at), rec(2, 'alarm-resolved', 'reservoir-low', at + MS_PER_HOUR), rec(3, 'alarm-raised', 'eri', at + 2), rec(4, 'alarm-raised', 'refill-reminder', at + 3)];
    const st = up.status as { alarms: unknown[]; log: { eventNextSeq: number }; pumpUtcMs: number };
    st.log.eventNextSeq = last.seq + 5;
    st.alarms = [{ code: 'eri', critical: false, raisedAtMs: at + 2, acknowledged: false }];
    up.snapshot = null;
    const r = await c.request('POST', '/api/sessions', { token: c.tokens.nurse, body: up });
    assert.equal(r.statusCode, 201, r.body);
    const alarms = (await c.request('GET', `/api/patients/${pid}/alarms`, { token: c.tokens.clinician })).json() as { code: string; resolvedAtMs: number | null }[];
    const endOf = (code: string) => alarms.find((a) => a.code === code)?.resolvedAtMs;
    assert.equal(endOf('reservoir-low'), at + MS_PER_HOUR);
    assert.equal(endOf('refill-reminder'), st.pumpUtcMs);
    assert.equal(endOf('eri'), null);
  });
});

