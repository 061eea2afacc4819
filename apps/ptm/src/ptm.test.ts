/**
 * The patient app's logic outside the browser: reading the pump's bolus answers (from the real
 * pump core), the usage report (from the core's own therapy log, and as a property over random
 * logs), the symptom check, the refill-during-absence warning, the pump-clock countdown, the
 * outbox, the formatting and the message catalogue.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MS_PER_DAY, MS_PER_MINUTE, NL_PER_ML, Pump, type ChangeSet, type CommandResult, type LogRecord } from '@thecal/pump-core';
import type { Response } from '@thecal/protocol';
import { EXPLAINED_REASONS, readBolusAnswer } from './bolus-answer.ts';
import { buildUsageReport } from './usage.ts';
import { adviceFor, OVERDOSE_SIGNS, WITHDRAWAL_SIGNS, type Sign } from './symptoms.ts';
import { refillDuring } from './travel.ts';
import { PumpClock } from './pump-clock.ts';
import { MemoryStore, Outbox } from './outbox.ts';
import { clinicSender, signIn } from './clinic-api.ts';
import { formatAmount, formatCountdown, formatVolume, pumpLocalDate } from './format.ts';
import { en } from './i18n/en.ts';
import { es } from './i18n/es.ts';
import { initialLang, translator } from './i18n/index.ts';
import { toneSegments } from './tones.ts';

const T0 = Date.UTC(2026, 2, 2, 8, 0);
const RX: ChangeSet = {
  refill: { withdrawnNl: 0, filledNl: 20 * NL_PER_ML, drugId: 'morphine', concentrationMcgPerMl: 25_000 },
  prescription: {
    drugId: 'morphine',
    concentrationMcgPerMl: 25_000,
    basal: { kind: 'continuous', rateNlPerDay: 500_000 },
    maxRateNlPerDay: 1_000_000,
    maxDailyDosePg: 18_000_000_000,
    patientBolus: { volumeNl: 10_000, durationMs: 10 * MS_PER_MINUTE, lockoutMs: 60 * MS_PER_MINUTE, maxPer24h: 2 },
  },
};

function programmedPump(): Pump {
  const pump = Pump.manufacture({ serial: 'TH-UNIT', model: 'thecal-40', atMs: T0 });
  const st = pump.execute(T0, 'stage', { type: 'stage', changes: RX });
  assert.ok(st.ok, JSON.stringify(st));
  const c = pump.execute(T0, 'commit', { type: 'commit', stagedId: st.detail['stagedId'] as number, acknowledgedSoftLimits: [] });
  assert.ok(c.ok, JSON.stringify(c));
  return pump;
}

/** What the radio sends back for a core result (handlers.ts: the command id is in the frame, not the body). */
function asResponse(r: CommandResult): Response {
  const { commandId, ...body } = r;
  return { type: 'patient-bolus', commandId, status: r.ok ? 'ok' : 'refused', body: body as Response['body'] };
}

describe('the pump core decides; the app reads its answer', () => {
  it('reads delivered, lockout (with the next allowed time) and daily count from the real core', () => {
    const pump = programmedPump();
    const bolus = (atMs: number, id: string) => {
      pump.advanceTo(atMs);
      return readBolusAnswer(asResponse(pump.execute(atMs, id, { type: 'patient-bolus' })));
    };
    const first = bolus(T0 + MS_PER_MINUTE, 'r:0000000000000001');
    assert.equal(first.kind, 'accepted');
    if (first.kind === 'accepted') {
      assert.equal(first.volumeNl, 10_000);
      assert.equal(first.amountPg, 250_000_000);
      assert.equal(first.nextAllowedAtMs, T0 + 61 * MS_PER_MINUTE);
    }
    const early = bolus(T0 + 30 * MS_PER_MINUTE, 'r:0000000000000002');
    assert.equal(early.kind, 'denied');
    if (early.kind === 'denied') {
      assert.equal(early.reason, 'lockout');
      assert.equal(early.nextAllowedAtMs, T0 + 61 * MS_PER_MINUTE);
    }
    assert.equal(bolus(T0 + 62 * MS_PER_MINUTE, 'r:0000000000000003').kind, 'accepted');
    const third = bolus(T0 + 130 * MS_PER_MINUTE, 'r:0000000000000004');
    assert.equal(third.kind === 'denied' && third.reason, 'count-24h-reached');

    // The usage report, from the same pump's therapy log.
    const log = pump.therapyLog.readFrom(1, 10_000);
    const report = buildUsageReport({ clientId: 'c', pumpSerial: 'TH-UNIT', untilMs: pump.status().pumpUtcMs, days: 7, utcOffsetMs: 0, generatedAtMs: T0, therapyLog: log });
    assert.deepEqual(report.totals, { requested: 4, delivered: 2, denied: 2 });
    assert.deepEqual(report.deniedByReason, { lockout: 1, 'count-24h-reached': 1 });
    assert.equal(report.deliveredNl, 20_000);
    assert.deepEqual(report.perHour[8], { requested: 2, delivered: 1, denied: 1 });
    assert.deepEqual(report.perHour[10], { requested: 1, delivered: 0, denied: 1 });
  });

  it('never shows success without the dose the pump started', () => {
    const okWithoutDetail: Response = { type: 'patient-bolus', commandId: 'r:00', status: 'ok', body: { ok: true, atMs: T0, detail: {} } };
    assert.equal(readBolusAnswer(okWithoutDetail).kind, 'error');
    const denied: Response = { type: 'patient-bolus', commandId: 'r:00', status: 'denied', body: { error: 'role' } };
    assert.deepEqual(readBolusAnswer(denied), { kind: 'error', commandId: 'r:00', message: 'role' });
  });

  it('has plain words for every reason the core gives a patient bolus, in both languages', () => {
    const coreReasons = ['patient-bolus-not-enabled', 'therapy-stopped', 'therapy-suspended', 'clinician-bolus-active', 'lockout', 'count-24h-reached', 'reservoir-insufficient', 'dose-history-incomplete', 'max-daily-dose'];
    for (const r of coreReasons) {
      assert.ok((EXPLAINED_REASONS as readonly string[]).includes(r), r);
      assert.ok(`reason.${r}` in en && `reason.${r}` in es, r);
    }
  });
});

describe('usage report', () => {
  const TYPES = ['patient-bolus-started', 'patient-bolus-denied', 'patient-bolus-ended', 'daily-total'] as const;
  const record = fc.record({
    dt: fc.integer({ min: 0, max: 6 * MS_PER_DAY }),
    type: fc.constantFrom(...TYPES),
    reason: fc.constantFrom('lockout', 'count-24h-reached', 'max-daily-dose'),
    offsetH: fc.integer({ min: -12, max: 14 }),
    deliveredNl: fc.integer({ min: 0, max: 50_000 }),
  });
  it('counts add up per day, per hour and by reason, whatever the log (property)', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 200 }), (rs) => {
        const log: LogRecord[] = rs.map((r, i) => ({ seq: i + 1, utcMs: T0 + r.dt, utcOffsetMs: r.offsetH * 3_600_000, type: r.type, data: r.type === 'patient-bolus-denied' ? { reason: r.reason } : r.type === 'patient-bolus-ended' ? { deliveredNl: r.deliveredNl } : {} }));
        const rep = buildUsageReport({ clientId: 'c', pumpSerial: 'S', untilMs: T0 + 7 * MS_PER_DAY, days: 7, utcOffsetMs: 0, generatedAtMs: T0, therapyLog: log });
        const sum = (xs: { requested: number; delivered: number; denied: number }[]) => xs.reduce((a, x) => ({ requested: a.requested + x.requested, delivered: a.delivered + x.delivered, denied: a.denied + x.denied }), { requested: 0, delivered: 0, denied: 0 });
        assert.deepEqual(sum(rep.perHour), rep.totals);
        assert.deepEqual(sum(rep.perDay), rep.totals);
        assert.equal(rep.totals.requested, rep.totals.delivered + rep.totals.denied);
        assert.equal(rep.totals.delivered, rs.filter((r) => r.type === 'patient-bolus-started').length);
        assert.equal(Object.values(rep.deniedByReason).reduce((a, b) => a + b, 0), rep.totals.denied);
        assert.equal(new Set(rep.perDay.map((d) => d.date)).size, rep.perDay.length);
        assert.equal(rep.perHour.length, 24);
      }),
    );
  });
  it('leaves out records outside the period', () => {
    const log: LogRecord[] = [
      { seq: 1, utcMs: T0 - 8 * MS_PER_DAY, utcOffsetMs: 0, type: 'patient-bolus-started', data: {} },
      { seq: 2, utcMs: T0 - MS_PER_DAY, utcOffsetMs: 0, type: 'patient-bolus-started', data: {} },
    ];
    const rep = buildUsageReport({ clientId: 'c', pumpSerial: 'S', untilMs: T0, days: 7, utcOffsetMs: 0, generatedAtMs: T0, therapyLog: log });
    assert.equal(rep.totals.requested, 1);
  });
});

describe('symptom check', () => {
  const all: Sign[] = [...WITHDRAWAL_SIGNS, ...OVERDOSE_SIGNS];
  it('sends breathing trouble, seizures, unconsciousness and a changed mental state to emergency services', () => {
    for (const s of ['breathing', 'seizure', 'unconscious', 'mental'] as const) assert.equal(adviceFor(new Set([s])), 'emergency');
    assert.equal(adviceFor(new Set<Sign>(['fever', 'spasticity'])), 'emergency');
    assert.equal(adviceFor(new Set<Sign>(['itching'])), 'call-clinic');
    assert.equal(adviceFor(new Set()), 'none-ticked');
  });
  it('never says "nothing to worry about" once any sign is ticked (property)', () => {
    fc.assert(fc.property(fc.subarray(all, { minLength: 1 }), (ticked) => adviceFor(new Set(ticked)) !== 'none-ticked'));
  });
  it('every sign has words in both languages', () => {
    for (const s of all) assert.ok(`sym.${s}` in en && `sym.${s}` in es, s);
  });
});

describe('travel', () => {
  it('warns when the refill falls on any day away, first and last included', () => {
    const a = { fromMs: T0, untilMs: T0 + 5 * MS_PER_DAY };
    assert.equal(refillDuring(a, T0).kind, 'during');
    assert.equal(refillDuring(a, T0 + 5 * MS_PER_DAY).kind, 'during');
    assert.equal(refillDuring(a, T0 - 1).kind, 'clear');
    assert.equal(refillDuring(a, T0 + 5 * MS_PER_DAY + 1).kind, 'clear');
    assert.equal(refillDuring(a, null).kind, 'unknown');
  });
});

describe('pump clock', () => {
  it('learns the pump pace from two readings and counts down at it', () => {
    const c = new PumpClock();
    assert.equal(c.wallUntil(1000, 0), null);
    c.observe(1_000_000, 0);
    assert.equal(c.rate, 1);
    assert.equal(c.learned, false);
    c.observe(1_000_000 + 120_000, 1_000);
    assert.equal(c.rate, 120);
    assert.equal(c.learned, true);
    // 15 pump minutes ahead at 120x is 7.5 s on the phone.
    assert.equal(c.wallUntil(1_120_000 + 15 * MS_PER_MINUTE, 1_000), 7_500);
    assert.equal(c.wallUntil(0, 1_000), 0);
  });
  it('starts again when the pump clock goes back', () => {
    const c = new PumpClock();
    c.observe(5_000_000, 0);
    c.observe(5_060_000, 1_000);
    c.observe(1_000, 2_000);
    assert.equal(c.rate, 1);
    assert.equal(c.pumpNow(2_000), 1_000);
  });
});

describe('outbox', () => {
  const item = (id: string) => ({ id, kind: 'absence' as const, path: 'app/absences', body: { id }, queuedAtMs: 1 });
  it('keeps items across instances, once each, and sends in order', async () => {
    const store = new MemoryStore();
    new Outbox(store).add(item('a'));
    const box = new Outbox(store);
    box.add(item('a'));
    box.add(item('b'));
    assert.deepEqual(box.items().map((i) => i.id), ['a', 'b']);
    const sent: string[] = [];
    const r = await box.flush(async (i) => {
      sent.push(i.id);
      return { ok: true };
    });
    assert.deepEqual(sent, ['a', 'b']);
    assert.deepEqual(r, { sent: 2, left: 0 });
  });
  it('stops at a failure worth retrying; keeps a refused item with its error and goes on', async () => {
    const box = new Outbox(new MemoryStore());
    box.add(item('a'));
    box.add(item('b'));
    let r = await box.flush(async () => ({ ok: false, retry: true, error: 'offline' }));
    assert.deepEqual(r, { sent: 0, left: 2 });
    assert.equal(box.items()[0]?.attempts, 1);
    assert.equal(box.items()[1]?.attempts, 0);
    r = await box.flush(async (i) => (i.id === 'a' ? { ok: false, retry: false, error: 'bad dates' } : { ok: true }));
    assert.deepEqual(r, { sent: 1, left: 1 });
    assert.equal(box.items()[0]?.lastError, 'refused: bad dates');
    // A refused item is not sent again on every flush.
    let calls = 0;
    await box.flush(async () => {
      calls += 1;
      return { ok: true };
    });
    assert.equal(calls, 0);
  });
});

describe('formatting and the catalogue', () => {
  it('formats amounts in the drug unit, volumes in mL, countdowns without going negative', () => {
    assert.equal(formatAmount(250_000_000, 'morphine'), '0.25 mg');
    assert.equal(formatAmount(50_000_000, 'baclofen'), '50 mcg');
    assert.equal(formatVolume(10_000), '0.01 mL');
    assert.equal(formatCountdown(7_500), '0:08');
    assert.equal(formatCountdown(3_723_000), '1:02:03');
    assert.equal(formatCountdown(-5), '0:00');
    assert.equal(pumpLocalDate(Date.UTC(2026, 0, 1, 23, 30), 3_600_000), '2026-01-02');
  });
  it('Spanish has every English key with the same placeholders', () => {
    const holes = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    assert.deepEqual(Object.keys(es).sort(), Object.keys(en).sort());
    for (const k of Object.keys(en) as (keyof typeof en)[]) assert.deepEqual(holes(es[k]), holes(en[k]), k);
    assert.equal(translator('es')('dose.used', { used: 1, allowed: 2 }), '1 de 2 dosis usadas en las últimas 24 horas.');
    assert.equal(initialLang(null, 'es-MX'), 'es');
    assert.equal(initialLang('en', 'es-MX'), 'en');
    assert.equal(initialLang(null, undefined), 'en');
  });
  it('critical tone: 3 s of two alternating pitches; non-critical: one 1 s tone (DOMAIN 2.1)', () => {
    const crit = toneSegments('critical');
    assert.equal(crit.reduce((a, s) => a + s.durationMs, 0), 3_000);
    assert.equal(new Set(crit.map((s) => s.hz)).size, 2);
    assert.ok(crit.every((s, i) => i === 0 || s.hz !== crit[i - 1]?.hz));
    assert.deepEqual(toneSegments('non-critical').map((s) => s.durationMs), [1_000]);
  });
});

describe('clinic API', () => {
  const session = { token: 'tok', username: 'p', patientId: 'pid-1', expiresAtMs: 0 };
  const item = { id: 'i1', kind: 'absence' as const, path: 'app/absences', body: { a: 1 }, queuedAtMs: 0, attempts: 0, lastError: null };
  const answering = (status: number, body: unknown = {}) => (async () => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })) as unknown as typeof fetch;
  it("sends to the patient's own path with the bearer token, and sorts failures into retry or refused", async () => {
    let seen: { url: string; auth: string | null; body: string } | null = null;
    const capture = (async (url: string, init: RequestInit) => {
      seen = { url, auth: new Headers(init.headers).get('authorization'), body: String(init.body) };
      return new Response('{}', { status: 201 });
    }) as unknown as typeof fetch;
    assert.deepEqual(await clinicSender(session, capture)(item), { ok: true });
    assert.deepEqual(seen, { url: '/api/patients/pid-1/app/absences', auth: 'Bearer tok', body: '{"a":1}' });
    assert.deepEqual(await clinicSender(session, answering(401, { message: 'expired' }))(item), { ok: false, retry: true, error: 'expired' });
    assert.deepEqual(await clinicSender(session, answering(503))(item), { ok: false, retry: true, error: 'HTTP 503' });
    assert.deepEqual(await clinicSender(session, answering(409, { message: 'other content' }))(item), { ok: false, retry: false, error: 'other content' });
    const offline = (async () => {
      throw new TypeError('Failed to fetch');
    }) as unknown as typeof fetch;
    assert.deepEqual(await clinicSender(session, offline)(item), { ok: false, retry: true, error: 'Failed to fetch' });
  });
  it('accepts only patient accounts', async () => {
    const as = (role: string, patientId: string | null) => answering(200, { token: 't', expiresAtMs: 1, user: { username: 'u', role, patientId } });
    assert.deepEqual(await signIn('u', 'p', as('clinician', null)), { notPatient: true });
    assert.deepEqual(await signIn('u', 'p', as('patient', 'pid')), { token: 't', username: 'u', patientId: 'pid', expiresAtMs: 1 });
    await assert.rejects(signIn('u', 'p', answering(401, { message: 'wrong password' })), /wrong password/);
    // An answer of the wrong shape is refused with what is wrong, and nothing of it is kept.
    await assert.rejects(signIn('u', 'p', answering(200, { token: 42, expiresAtMs: 1, user: { username: 'u', role: 'patient', patientId: 'pid' } })), /sign-in answer is not what it should be: token/);
  });
});

