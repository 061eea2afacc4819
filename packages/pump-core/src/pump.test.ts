import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Pump } from './pump.ts';
import { BATTERY, LIMITS } from './limits.ts';
import { lifeToEndOfServiceMs } from './battery.ts';
import { MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE, MS_PER_MONTH, NL_PER_ML, PG_PER_MCG, PG_PER_MG } from './units.ts';
import { STANDARD_BOLUS, T0, morphineRx, nextId, program, runningPump, tryProgram } from './testing/fixtures.ts';
import { buildWeekTable, maxBasal24hNl, type BasalProgram, type Prescription } from './program.ts';
import type { ChangeSet } from './types.ts';

const continuous = (rateNlPerDay: number) => ({ kind: 'continuous' as const, rateNlPerDay });

describe('delivery', () => {
  it('delivers a continuous rate in whole strokes, within one stroke of the programmed volume', () => {
    const pump = runningPump(morphineRx(continuous(500_000)));
    for (const hours of [1, 7, 24, 24 * 10]) {
      pump.advanceTo(T0 + hours * MS_PER_HOUR);
      const programmedNl = (500_000 * hours) / 24;
      const delivered = pump.status().delivered.totalNl;
      assert.equal(delivered % LIMITS.strokeNl, 0);
      assert.ok(Math.abs(delivered - programmedNl) <= LIMITS.strokeNl, `${hours} h: ${delivered} vs ${programmedNl}`);
    }
  });

  it('costs O(events), not O(strokes): a year at 24 mL/day takes a few hundred segments', () => {
    const pump = runningPump(morphineRx(continuous(1_000_000), null, { maxDailyDosePg: 30 * PG_PER_MG, concentrationMcgPerMl: 25_000 }), { ack: ['daily-dose-above-soft-limit'] });
    const before = pump.segmentsStepped;
    pump.advanceTo(T0 + 15 * MS_PER_DAY);
    const strokes = pump.status().delivered.strokes;
    assert.ok(strokes > 50_000, `strokes ${strokes}`);
    assert.ok(pump.segmentsStepped - before < 100, `segments ${pump.segmentsStepped - before}`);
  });

  it('follows a flex program step by step, by local time', () => {
    const rx = morphineRx({
      kind: 'flex',
      dayPrograms: [{ name: 'day', steps: [{ startMinute: 0, rateNlPerDay: 240_000 }, { startMinute: 360, rateNlPerDay: 960_000 }, { startMinute: 720, rateNlPerDay: 480_000 }] }],
      week: [0, 0, 0, 0, 0, 0, 0],
    });
    const pump = runningPump(rx, { utcOffsetMs: 2 * MS_PER_HOUR });
    // Local midnight is 22:00 UTC the day before; at T0 (00:00 UTC) it is 02:00 local.
    pump.advanceTo(T0 + 4 * MS_PER_HOUR); // 02:00 -> 06:00 local at 240 µL/day = 40 µL
    assert.ok(Math.abs(pump.status().delivered.totalNl - 40_000) <= LIMITS.strokeNl);
    pump.advanceTo(T0 + 10 * MS_PER_HOUR); // 06:00 -> 12:00 at 960 µL/day = 240 µL more
    assert.ok(Math.abs(pump.status().delivered.totalNl - 280_000) <= LIMITS.strokeNl);
    assert.equal(pump.status().therapy.currentRateNlPerDay, 480_000);
  });

  it('runs different day programs on different weekdays', () => {
    const rx = morphineRx({
      kind: 'flex',
      dayPrograms: [
        { name: 'weekday', steps: [{ startMinute: 0, rateNlPerDay: 200_000 }] },
        { name: 'physio', steps: [{ startMinute: 0, rateNlPerDay: 400_000 }] },
      ],
      week: [0, 0, 0, 1, 0, 0, 0], // Wednesday is physiotherapy day
    });
    const pump = runningPump(rx); // T0 is a Monday
    pump.advanceTo(T0 + 2 * MS_PER_DAY); // Mon + Tue
    const beforeWed = pump.status().delivered.totalNl;
    pump.advanceTo(T0 + 3 * MS_PER_DAY);
    const wed = pump.status().delivered.totalNl - beforeWed;
    assert.ok(Math.abs(wed - 400_000) <= LIMITS.strokeNl, `wednesday ${wed}`);
    assert.ok(Math.abs(beforeWed - 400_000) <= LIMITS.strokeNl);
  });

  it('logs a daily total at each local midnight', () => {
    const pump = runningPump(morphineRx(continuous(480_000)));
    pump.advanceTo(T0 + 3 * MS_PER_DAY + 1);
    const totals = pump.therapyLog.all().filter((r) => r.type === 'daily-total');
    assert.equal(totals.length, 3);
    for (const t of totals.slice(1)) assert.ok(Math.abs((t.data['deliveredNl'] as number) - 480_000) <= LIMITS.strokeNl);
  });
});

describe('time', () => {
  const rxHourly = () =>
    morphineRx({
      kind: 'flex',
      dayPrograms: [{ name: 'd', steps: [{ startMinute: 0, rateNlPerDay: 240_000 }, { startMinute: 120, rateNlPerDay: 960_000 }, { startMinute: 180, rateNlPerDay: 240_000 }] }],
      week: [0, 0, 0, 0, 0, 0, 0],
    });

  it('a 23-hour day (spring forward at 02:00) skips the 02:00-03:00 step and logs the change', () => {
    const pump = runningPump(rxHourly(), { utcOffsetMs: MS_PER_HOUR });
    // Local midnight of day 1 = T0 + 23 h UTC. Spring forward at local 02:00 = T0 + 25 h UTC.
    pump.advanceTo(T0 + 23 * MS_PER_HOUR);
    const start = pump.status().delivered.totalNl;
    const r = pump.execute(T0 + 25 * MS_PER_HOUR, nextId(), { type: 'set-utc-offset', utcOffsetMs: 2 * MS_PER_HOUR });
    assert.ok(r.ok);
    // Next local midnight: 22:00 UTC of that day.
    pump.advanceTo(T0 + 46 * MS_PER_HOUR);
    const day = pump.status().delivered.totalNl - start;
    // 23 hours at 240 µL/day (10 µL/h); the 960 step was skipped.
    assert.ok(Math.abs(day - 230_000) <= LIMITS.strokeNl, `23-hour day delivered ${day}`);
    assert.ok(pump.events.all().some((e) => e.type === 'utc-offset-changed'));
  });

  it('a 25-hour day (fall back at 03:00) repeats the 02:00-03:00 step', () => {
    const pump = runningPump(rxHourly(), { utcOffsetMs: 2 * MS_PER_HOUR });
    // Local midnight = T0 + 22 h. Local 03:00 = T0 + 25 h -> offset back to +1 h: local 02:00 again.
    pump.advanceTo(T0 + 22 * MS_PER_HOUR);
    const start = pump.status().delivered.totalNl;
    assert.ok(pump.execute(T0 + 25 * MS_PER_HOUR, nextId(), { type: 'set-utc-offset', utcOffsetMs: MS_PER_HOUR }).ok);
    pump.advanceTo(T0 + 47 * MS_PER_HOUR); // next local midnight at +1 h: 23:00 UTC
    const day = pump.status().delivered.totalNl - start;
    // 23 h at 10 µL/h + 2 h at 40 µL/h
    assert.ok(Math.abs(day - 310_000) <= LIMITS.strokeNl, `25-hour day delivered ${day}`);
    const totals = pump.therapyLog.all().filter((r) => r.type === 'daily-total');
    assert.ok(Math.abs((totals.at(-1)?.data['deliveredNl'] as number) - 310_000) <= LIMITS.strokeNl);
  });

  it('refuses time going backwards and bad offsets with a reason', () => {
    const pump = runningPump(morphineRx(continuous(500_000)));
    pump.advanceTo(T0 + MS_PER_HOUR);
    const r = pump.execute(T0, nextId(), { type: 'interrogate' });
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.reason, 'time-went-backwards');
    const bad = pump.execute(T0 + MS_PER_HOUR, nextId(), { type: 'set-utc-offset', utcOffsetMs: 7 * MS_PER_MINUTE });
    assert.equal(!bad.ok && bad.reason, 'invalid-command');
    assert.throws(() => pump.advanceTo(T0), /time went backwards/);
    const absurd = pump.execute(T0 + MS_PER_HOUR, nextId(), { type: 'set-clock', pumpUtcMs: Number.MAX_SAFE_INTEGER });
    assert.equal(!absurd.ok && absurd.reason, 'invalid-command');
    assert.doesNotThrow(() => pump.status());
  });

  it('a clock correction is an explicit logged event and moves the schedule', () => {
    const pump = runningPump(morphineRx(continuous(500_000)));
    const r = pump.execute(T0 + MS_PER_HOUR, nextId(), { type: 'set-clock', pumpUtcMs: T0 + 2 * MS_PER_HOUR });
    assert.ok(r.ok);
    const ev = pump.events.all().find((e) => e.type === 'clock-set');
    assert.equal(ev?.data['stepMs'], MS_PER_HOUR);
    assert.equal(pump.status().pumpUtcMs, T0 + 2 * MS_PER_HOUR);
  });
});

describe('programming is staged and committed atomically', () => {
  it('the running program keeps running until commit; abort changes nothing', () => {
    const pump = runningPump(morphineRx(continuous(500_000)));
    const staged = pump.execute(T0 + MS_PER_HOUR, nextId(), { type: 'stage', changes: { prescription: morphineRx(continuous(600_000)) } });
    assert.ok(staged.ok);
    pump.advanceTo(T0 + 5 * MS_PER_HOUR);
    assert.equal(pump.status().therapy.currentRateNlPerDay, 500_000);
    const before = JSON.stringify(pump.status().prescription);
    assert.ok(pump.execute(T0 + 5 * MS_PER_HOUR, nextId(), { type: 'abort-staged' }).ok);
    assert.equal(JSON.stringify(pump.status().prescription), before);
    assert.equal(pump.status().staged, null);
  });

  it('a refused commit changes nothing', () => {
    const pump = runningPump(morphineRx(continuous(500_000)));
    const staged = pump.execute(T0, nextId(), { type: 'stage', changes: { prescription: morphineRx(continuous(640_000)) } });
    assert.ok(staged.ok);
    const soft = staged.ok ? (staged.detail['softLimits'] as { code: string }[]) : [];
    assert.deepEqual(soft.map((s) => s.code), []);
    const wrongId = pump.execute(T0, nextId(), { type: 'commit', stagedId: 999, acknowledgedSoftLimits: [] });
    assert.equal(!wrongId.ok && wrongId.reason, 'staged-id-mismatch');
    assert.equal(pump.status().therapy.currentRateNlPerDay, 500_000);
  });

  it('soft limits need an explicit acknowledgement, which is logged', () => {
    const pump = runningPump(morphineRx(continuous(500_000)));
    // +60 % is over morphine's 30 % soft limit per change, under the 100 % hard limit.
    const staged = pump.execute(T0, nextId(), { type: 'stage', changes: { prescription: morphineRx(continuous(800_000)) } });
    assert.ok(staged.ok);
    const stagedId = staged.ok ? (staged.detail['stagedId'] as number) : -1;
    const noAck = pump.execute(T0, nextId(), { type: 'commit', stagedId, acknowledgedSoftLimits: [] });
    assert.equal(!noAck.ok && noAck.reason, 'soft-limits-not-acknowledged');
    assert.equal(pump.status().therapy.currentRateNlPerDay, 500_000);
    const ack = pump.execute(T0, nextId(), { type: 'commit', stagedId, acknowledgedSoftLimits: ['increase-above-soft-limit'] });
    assert.ok(ack.ok);
    assert.equal(pump.status().therapy.currentRateNlPerDay, 800_000);
    assert.ok(pump.events.all().some((e) => e.type === 'soft-limit-acknowledged' && e.data['code'] === 'increase-above-soft-limit'));
  });

  it('hard limits are refused with the path and reason, never clamped', () => {
    const pump = runningPump(morphineRx(continuous(500_000)));
    const cases: [Prescription, string][] = [
      [morphineRx(continuous(47_999)), 'rate-below-minimum'],
      [morphineRx(continuous(24 * NL_PER_ML + 1)), 'rate-above-maximum'],
      [morphineRx(continuous(500_000), null, { maxDailyDosePg: 4 * PG_PER_MG }), 'program-exceeds-max-daily-dose'],
      [morphineRx(continuous(500_000), { ...STANDARD_BOLUS, lockoutMs: 0 }), 'lockout-zero'],
      [morphineRx(continuous(500_000), null, { concentrationMcgPerMl: 12_345 }), 'concentration-not-in-library'],
      [morphineRx(continuous(500_000), null, { maxDailyDosePg: 31 * PG_PER_MG }), 'max-daily-dose-above-hard-limit'],
      [{ ...morphineRx(continuous(500_000)), drugId: 'fentanyl' as never }, 'unknown-drug'],
    ];
    for (const [rx, code] of cases) {
      const r = pump.execute(pump.nowMs, nextId(), { type: 'stage', changes: { prescription: rx } });
      assert.equal(r.ok, false, code);
      assert.ok(!r.ok && r.issues?.some((i) => i.code === code && i.severity === 'hard' && i.path.startsWith('prescription')), `${code}: ${JSON.stringify(!r.ok && r.issues)}`);
      assert.equal(pump.status().therapy.currentRateNlPerDay, 500_000);
    }
  });

  it('every hard rule on a change set refuses it with its code and path, and changes nothing', () => {
    const pump = runningPump(morphineRx(continuous(500_000)));
    const cases: [ChangeSet, string, string][] = [
      [{ refill: { withdrawnNl: 0, filledNl: 0, drugId: 'morphine', concentrationMcgPerMl: 10_000 } }, 'refill-volume', 'refill.filledNl'],
      [{ refill: { withdrawnNl: -1, filledNl: NL_PER_ML, drugId: 'morphine', concentrationMcgPerMl: 10_000 } }, 'refill-withdrawn', 'refill.withdrawnNl'],
      [{ refill: { withdrawnNl: 0, filledNl: NL_PER_ML, drugId: 'morphine', concentrationMcgPerMl: 25_000 } }, 'prescription-concentration-mismatch', 'refill'],
      [{ bolus: { kind: 'clinician', volumeNl: 200_000, durationMs: MS_PER_MINUTE } }, 'bolus-too-fast', 'bolus.durationMs'],
      [{ bolus: { kind: 'clinician', volumeNl: 50_000, durationMs: 0 } }, 'bolus-duration', 'bolus.durationMs'],
      [{ bolus: { kind: 'clinician', volumeNl: 400_000, durationMs: 10 * MS_PER_HOUR } }, 'bolus-above-hard-limit', 'bolus.volumeNl'],
      [{ bolus: { kind: 'clinician', volumeNl: 21 * NL_PER_ML, durationMs: 20 * MS_PER_HOUR } }, 'reservoir-insufficient', 'bolus.volumeNl'],
      [{ bolus: { kind: 'priming' } }, 'no-catheter', 'bolus'],
      [{ bolus: { kind: 'bridge' } }, 'bridge-needs-concentration-change', 'bolus'],
      [{ alarms: { lowReservoirNl: 0 } }, 'low-reservoir-alarm', 'alarms.lowReservoirNl'],
      [{ alarms: { refillReminderUtcMs: T0 - 1 } }, 'refill-reminder', 'alarms.refillReminderUtcMs'],
      [{ device: { catheter: { model: 'c', lengthMm: 500, volumeNl: 3 * NL_PER_ML } } }, 'catheter-volume', 'device.catheter.volumeNl'],
      [{ device: { patientId: '' } }, 'patient-id', 'device.patientId'],
    ];
    const therapyState = () => {
      const { log, ...rest } = pump.status();
      void log;
      return JSON.stringify(rest);
    };
    const before = therapyState();
    const rejectedBefore = pump.events.all().filter((e) => e.type === 'command-rejected').length;
    for (const [changes, code, path] of cases) {
      const r = pump.execute(T0, nextId(), { type: 'stage', changes });
      assert.equal(!r.ok && r.reason, 'validation-failed', code);
      assert.ok(!r.ok && r.issues?.some((i) => i.code === code && i.severity === 'hard' && i.path === path), `${code}: ${JSON.stringify(!r.ok && r.issues)}`);
    }
    // Nothing changed but the log, which records every refusal with its reason.
    assert.equal(therapyState(), before);
    assert.equal(pump.events.all().filter((e) => e.type === 'command-rejected').length - rejectedBefore, cases.length);
  });

  it('a primed catheter refuses a second priming bolus (it would deliver its volume of drug)', () => {
    const pump = Pump.manufacture({ serial: 'P2', model: 'thecal-20', atMs: T0 });
    program(pump, T0, {
      device: { catheter: { model: 'c', lengthMm: 500, volumeNl: 100_000 } },
      refill: { withdrawnNl: 0, filledNl: 10 * NL_PER_ML, drugId: 'morphine', concentrationMcgPerMl: 10_000 },
      prescription: morphineRx(continuous(500_000)),
      bolus: { kind: 'priming' },
    });
    pump.advanceTo(T0 + MS_PER_HOUR);
    const r = tryProgram(pump, pump.nowMs, { bolus: { kind: 'priming' } });
    assert.ok(!r.ok && r.issues?.some((i) => i.code === 'catheter-already-primed'));
  });

  it('an unknown drug leaves a new pump stopped', () => {
    const pump = Pump.manufacture({ serial: 'X', model: 'thecal-20', atMs: T0 });
    const r = tryProgram(pump, T0, { refill: { withdrawnNl: 0, filledNl: NL_PER_ML, drugId: 'fentanyl' as never, concentrationMcgPerMl: 50 } });
    assert.equal(r.ok, false);
    pump.advanceTo(T0 + MS_PER_DAY);
    assert.equal(pump.status().therapy.running, false);
    assert.equal(pump.status().delivered.totalNl, 0);
  });

  it('a retried command id returns the first answer and does nothing twice', () => {
    const pump = runningPump(morphineRx(continuous(500_000), STANDARD_BOLUS));
    const first = pump.execute(T0 + MS_PER_HOUR, 'bolus-1', { type: 'patient-bolus' });
    const again = pump.execute(T0 + 2 * MS_PER_HOUR, 'bolus-1', { type: 'patient-bolus' });
    assert.ok(first.ok);
    assert.deepEqual(again, first);
    assert.equal(pump.therapyLog.all().filter((r) => r.type === 'patient-bolus-started').length, 1);
    assert.deepEqual(pump.outcomeOf('bolus-1'), first);
  });

  it(`remembers at least the last ${LIMITS.commandMemory} outcomes, whatever the count, and keeps them through a snapshot`, () => {
    for (const total of [LIMITS.commandMemory - 1, LIMITS.commandMemory, LIMITS.commandMemory + 1, 3 * LIMITS.commandMemory + 7]) {
      const pump = runningPump(morphineRx(continuous(500_000), STANDARD_BOLUS));
      const answers: { id: string; result: ReturnType<Pump['execute']> }[] = [];
      for (let i = 0; i < total; i++) {
        const id = `ask-${i}`;
        answers.push({ id, result: pump.execute(T0 + (i + 1) * MS_PER_MINUTE, id, { type: 'patient-bolus' }) });
      }
      const restored = Pump.fromSnapshot(pump.snapshot());
      for (const { id, result } of answers.slice(-LIMITS.commandMemory)) {
        assert.deepEqual(pump.outcomeOf(id), result, `${total} commands: ${id} forgotten`);
        assert.deepEqual(restored.outcomeOf(id), result, `${total} commands: ${id} forgotten after restore`);
      }
      // Nothing is remembered beyond two generations.
      const remembered = answers.filter(({ id }) => pump.outcomeOf(id) !== null).length;
      assert.ok(remembered < 2 * LIMITS.commandMemory, `${total} commands: ${remembered} remembered`);
      // A snapshot keeps what is promised, no more (its size in the settings bank stays bounded).
      assert.equal(answers.filter(({ id }) => restored.outcomeOf(id) !== null).length, Math.min(total, LIMITS.commandMemory));
    }
  });
});

describe('patient bolus', () => {
  it('is denied inside the lockout with the time it is next allowed, and counted per rolling 24 h', () => {
    const pump = runningPump(morphineRx(continuous(500_000), STANDARD_BOLUS));
    const t = T0 + MS_PER_HOUR;
    assert.ok(pump.execute(t, nextId(), { type: 'patient-bolus' }).ok);
    const locked = pump.execute(t + 30 * MS_PER_MINUTE, nextId(), { type: 'patient-bolus' });
    assert.equal(!locked.ok && locked.reason, 'lockout');
    assert.equal(!locked.ok && locked.detail?.['nextAllowedAtMs'], t + STANDARD_BOLUS.lockoutMs);
    for (let i = 1; i < STANDARD_BOLUS.maxPer24h; i++) assert.ok(pump.execute(t + i * MS_PER_HOUR, nextId(), { type: 'patient-bolus' }).ok);
    const counted = pump.execute(t + 10 * MS_PER_HOUR, nextId(), { type: 'patient-bolus' });
    assert.equal(!counted.ok && counted.reason, 'count-24h-reached');
    // The first bolus ended 10 min after it started; it stops counting 24 h after that.
    const next = t + STANDARD_BOLUS.durationMs + MS_PER_DAY;
    assert.equal(!counted.ok && counted.detail?.['nextAllowedAtMs'], next);
    assert.equal(pump.execute(next - 1, nextId(), { type: 'patient-bolus' }).ok, false);
    assert.ok(pump.execute(next + 1, nextId(), { type: 'patient-bolus' }).ok);
  });

  it('a max-daily-dose denial says when the same bolus would fit if the program runs on unchanged, to the minute', () => {
    // A clock set back 6 h repeats a high-rate stretch of the flex day, filling the 24 h window.
    const basal: BasalProgram = { kind: 'flex', dayPrograms: [{ name: 'd', steps: [{ startMinute: 0, rateNlPerDay: 100_000 }, { startMinute: 600, rateNlPerDay: 1_500_000 }, { startMinute: 960, rateNlPerDay: 100_000 }] }], week: [0, 0, 0, 0, 0, 0, 0] };
    const conc = 10_000;
    const maxPg = maxBasal24hNl(buildWeekTable(basal)) * conc + STANDARD_BOLUS.maxPer24h * STANDARD_BOLUS.volumeNl * conc;
    const pump = Pump.manufacture({ serial: 'P', model: 'thecal-40', atMs: T0 });
    program(pump, T0, { refill: { withdrawnNl: 0, filledNl: 40 * NL_PER_ML, drugId: 'morphine', concentrationMcgPerMl: conc }, prescription: morphineRx(basal, STANDARD_BOLUS, { maxDailyDosePg: maxPg, maxRateNlPerDay: 2 * NL_PER_ML }) }, ['daily-dose-above-soft-limit', 'daily-dose-below-soft-minimum', 'bolus-above-soft-limit']);
    const t = T0 + 40 * MS_PER_HOUR;
    pump.advanceTo(t);
    assert.ok(pump.execute(t, nextId(), { type: 'set-clock', pumpUtcMs: pump.status().pumpUtcMs - 6 * MS_PER_HOUR }).ok);
    const denied = pump.execute(t + 90 * MS_PER_MINUTE, nextId(), { type: 'patient-bolus' });
    assert.equal(!denied.ok && denied.reason, 'max-daily-dose');
    const next = !denied.ok ? denied.detail?.['nextAllowedAtMs'] : null;
    assert.equal(typeof next, 'number');
    assert.match(!denied.ok ? denied.message : '', /it would fit from .* if the program runs on unchanged/);
    assert.equal(pump.execute((next as number) - MS_PER_MINUTE, nextId(), { type: 'patient-bolus' }).ok, false, 'a minute early: still over');
    assert.ok(pump.execute(next as number, nextId(), { type: 'patient-bolus' }).ok, 'at the time it gave: granted');
  });

  it('delivers exactly its volume on top of the basal', () => {
    const pump = runningPump(morphineRx(continuous(480_000), STANDARD_BOLUS));
    assert.ok(pump.execute(T0 + MS_PER_HOUR, nextId(), { type: 'patient-bolus' }).ok);
    pump.advanceTo(T0 + 3 * MS_PER_HOUR);
    const expected = 60_000 + STANDARD_BOLUS.volumeNl;
    assert.ok(Math.abs(pump.status().delivered.totalNl - expected) <= LIMITS.strokeNl);
    const ended = pump.therapyLog.all().find((r) => r.type === 'patient-bolus-ended');
    assert.equal(ended?.data['deliveredNl'], STANDARD_BOLUS.volumeNl);
    assert.equal(ended?.data['completed'], true);
  });

  it('is denied when not enabled, when therapy is stopped, and logs every denial', () => {
    const none = runningPump(morphineRx(continuous(500_000)));
    const r = none.execute(T0, nextId(), { type: 'patient-bolus' });
    assert.equal(!r.ok && r.reason, 'patient-bolus-not-enabled');
    const pump = runningPump(morphineRx(continuous(500_000), STANDARD_BOLUS));
    assert.ok(pump.execute(T0, nextId(), { type: 'stop-therapy' }).ok);
    const s = pump.execute(T0 + 1, nextId(), { type: 'patient-bolus' });
    assert.equal(!s.ok && s.reason, 'therapy-stopped');
    assert.equal(pump.therapyLog.all().filter((x) => x.type === 'patient-bolus-denied').length, 1);
  });

  it('a bolus the prescription allows is not denied on the maximum when the window is exactly full', () => {
    // Max = 24 h of basal + one bolus exactly: after a steady day the window holds the basal, and
    // as the bolus runs the oldest basal leaves the window as fast as new basal enters it.
    const bolus = { volumeNl: 20_000, durationMs: 30 * MS_PER_MINUTE, lockoutMs: 60 * MS_PER_MINUTE, maxPer24h: 1 };
    const pump = runningPump(morphineRx(continuous(480_000), bolus, { maxDailyDosePg: (480_000 + 20_000) * 10_000 }));
    pump.advanceTo(T0 + 2 * MS_PER_DAY);
    const r = pump.execute(pump.nowMs, nextId(), { type: 'patient-bolus' });
    assert.ok(r.ok, !r.ok ? `${r.reason}: ${r.message}` : '');
    for (let t = pump.nowMs; t < T0 + 4 * MS_PER_DAY; t += 5 * MS_PER_MINUTE) {
      pump.advanceTo(t);
      assert.ok((pump.trailing24hPg() ?? 0) <= (480_000 + 20_000) * 10_000 + 250 * 10_000);
    }
  });

  it('a program whose boluses could exceed the daily maximum is rejected', () => {
    const pump = runningPump(morphineRx(continuous(500_000)));
    const rx = morphineRx(continuous(1_500_000), { ...STANDARD_BOLUS, volumeNl: 100_000, maxPer24h: 6 });
    const r = tryProgram(pump, T0, { prescription: rx }, ['increase-above-soft-limit']);
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.issues?.some((i) => i.code === 'program-exceeds-max-daily-dose'));
  });
});

describe('clinician boluses', () => {
  it('a clinician bolus replaces the basal, then the previous mode returns', () => {
    const pump = runningPump(morphineRx(continuous(500_000)));
    program(pump, T0 + MS_PER_HOUR, { bolus: { kind: 'clinician', volumeNl: 50_000, durationMs: 30 * MS_PER_MINUTE } });
    assert.equal(pump.status().therapy.mode, 'clinician-bolus');
    pump.advanceTo(T0 + MS_PER_HOUR + 30 * MS_PER_MINUTE + 1);
    assert.equal(pump.status().therapy.mode, 'continuous');
    const expected = (500_000 * (2 - 0.5)) / 24 + 50_000;
    pump.advanceTo(T0 + 2 * MS_PER_HOUR);
    assert.ok(Math.abs(pump.status().delivered.totalNl - expected) <= LIMITS.strokeNl, `${pump.status().delivered.totalNl} vs ${expected}`);
  });

  it('a clinician bolus that would break the daily maximum with recent delivery is refused', () => {
    const pump = runningPump(morphineRx(continuous(1_800_000), null, { maxDailyDosePg: 20 * PG_PER_MG }));
    pump.advanceTo(T0 + MS_PER_DAY);
    // The bolus replaces the basal for its hour: 23 h of basal (17.25 mg) + 2.9 mg = 20.15 mg.
    const r = tryProgram(pump, pump.nowMs, { bolus: { kind: 'clinician', volumeNl: 290_000, durationMs: MS_PER_HOUR } }, ['bolus-above-soft-limit']);
    assert.equal(!r.ok && r.reason, 'would-exceed-max-daily-dose');
    assert.equal(pump.status().bolus, null);
    // 2.5 mg fits: 17.25 + 2.5 = 19.75 mg.
    assert.ok(tryProgram(pump, pump.nowMs, { bolus: { kind: 'clinician', volumeNl: 250_000, durationMs: MS_PER_HOUR } }, ['bolus-above-soft-limit']).ok);
  });

  it('priming fills an empty catheter: the patient gets no drug until it is full', () => {
    const pump = Pump.manufacture({ serial: 'P', model: 'thecal-20', atMs: T0 });
    program(pump, T0, {
      device: { catheter: { model: '8709SC', lengthMm: 600, volumeNl: 150_000 } },
      refill: { withdrawnNl: 0, filledNl: 18 * NL_PER_ML, drugId: 'morphine', concentrationMcgPerMl: 10_000 },
      prescription: morphineRx(continuous(500_000)),
      bolus: { kind: 'priming' },
    });
    pump.advanceTo(T0 + MS_PER_HOUR);
    const s = pump.status();
    assert.equal(s.device.catheterPrimed, true);
    const pumpedNl = s.delivered.totalNl;
    // Everything pumped beyond the catheter volume reached the patient at 10 mg/mL.
    assert.equal(s.delivered.totalPg, (pumpedNl - 150_000) * 10_000);
  });

  it('a bridge bolus after a concentration change keeps the old dose rate until the old drug is out', () => {
    const oldRx = morphineRx(continuous(500_000), null, { concentrationMcgPerMl: 10_000 });
    const pump = Pump.manufacture({ serial: 'B', model: 'thecal-20', atMs: T0 });
    program(pump, T0, {
      device: { catheter: { model: 'c', lengthMm: 500, volumeNl: 100_000 } },
      refill: { withdrawnNl: 0, filledNl: 10 * NL_PER_ML, drugId: 'morphine', concentrationMcgPerMl: 10_000 },
      prescription: oldRx,
      bolus: { kind: 'priming' },
    });
    pump.advanceTo(T0 + 2 * MS_PER_DAY);
    const atRefill = pump.status();
    // New concentration 25 mg/mL, same 5 mg/day dose => 200 µL/day.
    const newRx = morphineRx(continuous(200_000), null, { concentrationMcgPerMl: 25_000 });
    program(pump, pump.nowMs, {
      refill: { withdrawnNl: atRefill.reservoir.volumeNl, filledNl: 10 * NL_PER_ML, drugId: 'morphine', concentrationMcgPerMl: 25_000 },
      prescription: newRx,
      bolus: { kind: 'bridge' },
    });
    assert.equal(pump.status().therapy.mode, 'bridge-bolus');
    const deadNl = 100_000 + LIMITS.pumpInternalVolumeNl;
    // The bridge runs the old 500 µL/day until the dead volume has been pushed: 0.6 days.
    pump.advanceTo(pump.nowMs + MS_PER_DAY);
    assert.equal(pump.status().therapy.mode, 'continuous');
    const bridgeEnd = pump.events.all().find((e) => e.type === 'bolus-ended' && e.data['kind'] === 'bridge');
    assert.equal(bridgeEnd?.data['deliveredNl'], deadNl);
    // Over any whole day the dose stayed 5 mg/day (within a stroke of the higher concentration).
    pump.advanceTo(pump.nowMs + 2 * MS_PER_DAY);
    const trailing = pump.trailing24hPg();
    assert.ok(Math.abs(trailing - 5 * PG_PER_MG) <= 2 * LIMITS.strokeNl * 25_000, `trailing ${trailing}`);
  });

  it('a concentration decrease without a bridge is refused when the old drug would overdose', () => {
    const pump = Pump.manufacture({ serial: 'B2', model: 'thecal-20', atMs: T0 });
    program(pump, T0, {
      device: { catheter: { model: 'c', lengthMm: 500, volumeNl: 200_000 } },
      refill: { withdrawnNl: 0, filledNl: 10 * NL_PER_ML, drugId: 'morphine', concentrationMcgPerMl: 25_000 },
      prescription: morphineRx(continuous(700_000), null, { concentrationMcgPerMl: 25_000, maxDailyDosePg: 18 * PG_PER_MG }),
      bolus: { kind: 'priming' },
    });
    pump.advanceTo(T0 + MS_PER_DAY);
    // 17.5 mg/day at 25 mg/mL -> 10 mg/mL needs 1.75 mL/day; without a bridge the 0.4 mL of old
    // 25 mg/mL drug would be pushed at 1.75 mL/day: 2.5 times the dose for hours.
    const r = tryProgram(pump, pump.nowMs, {
      refill: { withdrawnNl: pump.status().reservoir.volumeNl, filledNl: 10 * NL_PER_ML, drugId: 'morphine', concentrationMcgPerMl: 10_000 },
      prescription: morphineRx(continuous(1_750_000), null, { concentrationMcgPerMl: 10_000, maxDailyDosePg: 18 * PG_PER_MG }),
    });
    assert.equal(!r.ok && r.reason, 'would-exceed-max-daily-dose');
  });
});

describe('reservoir', () => {
  it('raises low before empty, stops when empty, never goes negative, and records what was not delivered', () => {
    const pump = runningPump(morphineRx(continuous(1_000_000)), { filledNl: 3 * NL_PER_ML });
    pump.advanceTo(T0 + 10 * MS_PER_DAY);
    const raised = pump.events.all().filter((e) => e.type === 'alarm-raised');
    assert.deepEqual(raised.map((e) => e.data['code']), ['reservoir-low', 'reservoir-empty']);
    const s = pump.status();
    assert.equal(s.reservoir.volumeNl, 0);
    assert.equal(s.therapy.suspendedBy, 'reservoir-empty');
    assert.equal(s.delivered.totalNl, 3 * NL_PER_ML);
    const low = raised[0]?.utcMs ?? 0;
    assert.equal(low, T0 + MS_PER_DAY); // 1 mL used at 1 mL/day
    // Empty when the stroke after the last one is due and cannot be supplied.
    assert.equal(raised[1]?.utcMs, T0 + 3 * MS_PER_DAY + MS_PER_DAY / 4_000);
  });

  it('flags a refill discrepancy above the model threshold (1 mL for a 20 mL pump)', () => {
    const pump = runningPump(morphineRx(continuous(500_000)), { model: 'thecal-20', filledNl: 18 * NL_PER_ML });
    pump.advanceTo(T0 + 10 * MS_PER_DAY);
    const expected = pump.status().reservoir.volumeNl;
    const r = program(pump, pump.nowMs, { refill: { withdrawnNl: expected - 1_500_000, filledNl: 18 * NL_PER_ML, drugId: 'morphine', concentrationMcgPerMl: 10_000 } });
    assert.ok(r.ok && (r.detail['refill'] as { flagged: boolean }).flagged);
    assert.ok(pump.events.all().some((e) => e.type === 'refill-discrepancy'));
  });

  it('a refill above the reservoir capacity is refused', () => {
    const pump = runningPump(morphineRx(continuous(500_000)), { model: 'thecal-20', filledNl: 18 * NL_PER_ML });
    const r = tryProgram(pump, T0, { refill: { withdrawnNl: 0, filledNl: 21 * NL_PER_ML, drugId: 'morphine', concentrationMcgPerMl: 10_000 } });
    assert.ok(!r.ok && r.issues?.some((i) => i.code === 'refill-volume'));
  });
});

describe('alarms', () => {
  it('re-announce until cleared: critical every 10 min with the two-tone, non-critical hourly with one tone', () => {
    const pump = runningPump(morphineRx(continuous(1_000_000)), { filledNl: 2 * NL_PER_ML + 250 });
    pump.drainOutputs();
    pump.advanceTo(T0 + MS_PER_HOUR * 3);
    const tones = pump.drainOutputs().filter((o) => o.type === 'tone');
    assert.ok(tones.length >= 3);
    assert.ok(tones.every((t) => t.type === 'tone' && t.pattern === 'non-critical-single-1s'));
    assert.ok(pump.execute(pump.nowMs, nextId(), { type: 'clear-alarm', code: 'reservoir-low' }).ok);
    pump.advanceTo(pump.nowMs + 5 * MS_PER_HOUR);
    assert.equal(pump.drainOutputs().filter((o) => o.type === 'tone').length, 0);
    pump.advanceTo(T0 + 3 * MS_PER_DAY);
    const critical = pump.drainOutputs().filter((o) => o.type === 'tone' && o.code === 'reservoir-empty');
    assert.ok(critical.length > 10 && critical.every((t) => t.type === 'tone' && t.pattern === 'critical-two-tone-3s'));
    const gaps = critical.slice(1).map((t, i) => t.atMs - (critical[i]?.atMs ?? 0));
    assert.ok(gaps.every((g) => g === LIMITS.criticalReannounceMs));
  });

  it('the alarm test sounds both tones and is logged', () => {
    const pump = runningPump(morphineRx(continuous(500_000)));
    pump.drainOutputs();
    assert.ok(pump.execute(T0, nextId(), { type: 'alarm-test' }).ok);
    const tones = pump.drainOutputs();
    assert.deepEqual(tones.map((t) => t.type === 'tone' && t.pattern), ['critical-two-tone-3s', 'non-critical-single-1s']);
  });

  it('the refill reminder raises a non-critical alarm at its date', () => {
    const pump = runningPump(morphineRx(continuous(500_000)));
    program(pump, T0, { alarms: { refillReminderUtcMs: T0 + 5 * MS_PER_DAY } });
    pump.advanceTo(T0 + 5 * MS_PER_DAY + 1);
    const ev = pump.events.all().find((e) => e.type === 'alarm-raised' && e.data['code'] === 'refill-reminder');
    assert.equal(ev?.utcMs, T0 + 5 * MS_PER_DAY);
  });
});

describe('MRI motor stall', () => {
  it('stalls during the field, logs stall and recovery, and resumes after the recovery delay', () => {
    const pump = runningPump(morphineRx(continuous(480_000)));
    pump.advanceTo(T0 + MS_PER_HOUR);
    assert.ok(pump.execute(T0 + MS_PER_HOUR, nextId(), { type: 'magnetic-field', durationMs: 30 * MS_PER_MINUTE, recoveryDelayMs: 2 * MS_PER_HOUR }).ok);
    const stalledAt = pump.status().delivered.totalNl;
    pump.advanceTo(T0 + 3 * MS_PER_HOUR);
    assert.equal(pump.status().delivered.totalNl, stalledAt);
    assert.equal(pump.status().therapy.suspendedBy, 'motor-stall');
    pump.advanceTo(T0 + 5 * MS_PER_HOUR);
    const rec = pump.events.all().find((e) => e.type === 'motor-stall-recovery');
    assert.equal(rec?.utcMs, T0 + 3.5 * MS_PER_HOUR);
    assert.ok(pump.status().delivered.totalNl > stalledAt);
    assert.equal(pump.status().therapy.running, true);
  });

  it('a pump alarming when the field hit resumes only after an interrogation', () => {
    const pump = runningPump(morphineRx(continuous(480_000)));
    program(pump, T0, { alarms: { refillReminderUtcMs: T0 + MS_PER_HOUR } });
    pump.advanceTo(T0 + 2 * MS_PER_HOUR); // reminder alarm sounding
    assert.ok(pump.execute(pump.nowMs, nextId(), { type: 'magnetic-field', durationMs: 10 * MS_PER_MINUTE, recoveryDelayMs: 0 }).ok);
    pump.advanceTo(T0 + 4 * MS_PER_HOUR);
    assert.equal(pump.status().therapy.suspendedBy, 'awaiting-interrogation');
    const stuck = pump.status().delivered.totalNl;
    pump.advanceTo(T0 + 6 * MS_PER_HOUR);
    assert.equal(pump.status().delivered.totalNl, stuck);
    const r = pump.execute(pump.nowMs, nextId(), { type: 'interrogate' });
    assert.ok(r.ok && r.detail['resumed'] === true);
    pump.advanceTo(T0 + 8 * MS_PER_HOUR);
    assert.ok(pump.status().delivered.totalNl > stuck);
  });

  it('a patient bolus paused by a stall finishes after recovery; a request while it still runs is refused, never replaces it (found by the randomised run)', () => {
    // STANDARD_BOLUS: 20 µL over 10 min, lockout 60 min. The stall outlasts the lockout, so when
    // delivery resumes the lockout is over but 8 min of the first bolus are still to come.
    const pump = runningPump(morphineRx(continuous(480_000), STANDARD_BOLUS));
    const t = T0 + MS_PER_HOUR;
    assert.ok(pump.execute(t, nextId(), { type: 'patient-bolus' }).ok);
    assert.ok(pump.execute(t + 2 * MS_PER_MINUTE, nextId(), { type: 'magnetic-field', durationMs: 10 * MS_PER_MINUTE, recoveryDelayMs: 2 * MS_PER_HOUR }).ok);
    const recoveredAt = t + 2 * MS_PER_MINUTE + 10 * MS_PER_MINUTE + 2 * MS_PER_HOUR;
    const endsAt = recoveredAt + 8 * MS_PER_MINUTE;
    const during = pump.execute(recoveredAt + MS_PER_MINUTE, nextId(), { type: 'patient-bolus' });
    assert.equal(!during.ok && during.reason, 'bolus-in-progress');
    assert.equal(!during.ok && during.detail?.['nextAllowedAtMs'], endsAt);
    pump.advanceTo(recoveredAt + 2 * MS_PER_MINUTE);
    assert.equal(pump.status().patientBolus.nextAllowedAtMs, endsAt);
    // Basal 20 µL/h for the 6 h less the 2 h 10 min stall, plus the whole bolus.
    pump.advanceTo(T0 + 6 * MS_PER_HOUR);
    const expectedNl = (20_000 * (6 * 60 - 130)) / 60 + STANDARD_BOLUS.volumeNl;
    assert.ok(Math.abs(pump.status().delivered.totalNl - expectedNl) <= LIMITS.strokeNl, `${pump.status().delivered.totalNl} vs ${expectedNl}`);
    const ended = pump.therapyLog.all().filter((r) => r.type === 'patient-bolus-ended');
    assert.deepEqual(ended.map((r) => [r.data['deliveredNl'], r.data['completed']]), [[STANDARD_BOLUS.volumeNl, true]]);
    // The 24 h count holds exactly the one bolus given: three more are allowed, then the count is reached.
    for (let i = 0; i < STANDARD_BOLUS.maxPer24h - 1; i++) assert.ok(pump.execute(T0 + (6 + i) * MS_PER_HOUR, nextId(), { type: 'patient-bolus' }).ok);
    const counted = pump.execute(T0 + 10 * MS_PER_HOUR, nextId(), { type: 'patient-bolus' });
    assert.equal(!counted.ok && counted.reason, 'count-24h-reached');
    assert.equal(!counted.ok && counted.detail?.['nextAllowedAtMs'], endsAt + MS_PER_DAY);
  });
});

describe('battery', () => {
  it('lasts at most 84 months at the minimum rate and less at higher rates', () => {
    const minLife = lifeToEndOfServiceMs(LIMITS.minRateNlPerDay);
    assert.ok(minLife <= BATTERY.maxLifeMs, `${minLife / MS_PER_MONTH} months`);
    assert.ok(minLife > 80 * MS_PER_MONTH);
    assert.ok(lifeToEndOfServiceMs(NL_PER_ML) < minLife);
    assert.ok(lifeToEndOfServiceMs(24 * NL_PER_ML) < lifeToEndOfServiceMs(NL_PER_ML));
  });

  it('raises ERI, then stops at end of service exactly 90 days later; replace-by = ERI + 90 days', () => {
    const rx = morphineRx(continuous(LIMITS.minRateNlPerDay), null, { maxDailyDosePg: 20 * PG_PER_MG });
    const pump = runningPump(rx, { filledNl: 20 * NL_PER_ML });
    const predicted = pump.status().battery.replaceByMs;
    // Refill every 180 days so only the battery can stop it.
    for (let t = T0 + 180 * MS_PER_DAY; t < T0 + 90 * MS_PER_MONTH; t += 180 * MS_PER_DAY) {
      pump.advanceTo(t);
      if (pump.status().therapy.suspendedBy === 'end-of-service') break;
      program(pump, t, { refill: { withdrawnNl: pump.status().reservoir.volumeNl, filledNl: 20 * NL_PER_ML, drugId: 'morphine', concentrationMcgPerMl: 10_000 } });
    }
    pump.advanceTo(T0 + 90 * MS_PER_MONTH);
    const s = pump.status();
    assert.equal(s.therapy.suspendedBy, 'end-of-service');
    assert.ok(s.battery.eriAtMs !== null && s.battery.endOfServiceAtMs !== null);
    assert.equal((s.battery.endOfServiceAtMs ?? 0) - (s.battery.eriAtMs ?? 0), BATTERY.eriToEosMs);
    assert.equal(s.battery.replaceByMs, s.battery.endOfServiceAtMs);
    assert.ok(Math.abs(predicted - s.battery.replaceByMs) < 10 * MS_PER_DAY, `predicted ${new Date(predicted).toISOString()} actual ${new Date(s.battery.replaceByMs).toISOString()}`);
    assert.ok((s.battery.endOfServiceAtMs ?? 0) - T0 <= BATTERY.maxLifeMs);
    const alarms = pump.events.all().filter((e) => e.type === 'alarm-raised').map((e) => e.data['code']);
    assert.ok(alarms.indexOf('eri') < alarms.indexOf('end-of-service'));
    // After end of service the electronics run the battery flat, and then nothing sounds.
    assert.equal(s.battery.remainingUj, 0);
    const depleted = pump.events.all().find((e) => e.type === 'battery-depleted');
    assert.ok(depleted !== undefined && depleted.utcMs > (s.battery.endOfServiceAtMs ?? 0));
    assert.deepEqual(pump.status().alarms, []);
  });
});

describe('snapshots', () => {
  it('a pump restored from its snapshot behaves exactly like the original', () => {
    const pump = runningPump(morphineRx(continuous(500_000), STANDARD_BOLUS));
    pump.execute(T0 + MS_PER_HOUR, nextId(), { type: 'patient-bolus' });
    pump.advanceTo(T0 + MS_PER_HOUR + 2 * MS_PER_MINUTE);
    const copy = Pump.fromSnapshot(JSON.parse(JSON.stringify(pump.snapshot())));
    for (const p of [pump, copy]) {
      p.advanceTo(T0 + 5 * MS_PER_DAY);
      p.execute(T0 + 5 * MS_PER_DAY, 'same', { type: 'patient-bolus' });
      p.advanceTo(T0 + 9 * MS_PER_DAY);
    }
    assert.deepEqual(copy.status(), pump.status());
    assert.deepEqual(copy.events.all(), pump.events.all());
  });
});

describe('dose accounting', () => {
  it('when the delivery history cannot reach back 24 h, a patient bolus is refused, not guessed', () => {
    const rx = morphineRx({ kind: 'flex', dayPrograms: [{ name: 'd', steps: [{ startMinute: 0, rateNlPerDay: 400_000 }, { startMinute: 720, rateNlPerDay: 600_000 }] }], week: [0, 0, 0, 0, 0, 0, 0] }, STANDARD_BOLUS);
    const pump = runningPump(rx);
    pump.advanceTo(T0 + 3 * MS_PER_DAY + MS_PER_HOUR);
    // A copy keeping only the history of the last hour: earlier segments are gone, so unknown.
    const short = Pump.fromSnapshot(JSON.parse(JSON.stringify(pump.snapshot({ historySinceMs: pump.nowMs - MS_PER_HOUR }))));
    assert.equal(short.trailing24hPg(), Number.NaN);
    assert.equal(short.status().delivered.trailing24hPg, null);
    const r = short.execute(short.nowMs, nextId(), { type: 'patient-bolus' });
    assert.equal(!r.ok && r.reason, 'dose-history-incomplete');
    assert.ok(pump.execute(pump.nowMs, nextId(), { type: 'patient-bolus' }).ok);
  });

  it('reports trailing 24 h dose in pg at the catheter tip', () => {
    const pump = runningPump(morphineRx(continuous(480_000)));
    pump.advanceTo(T0 + 2 * MS_PER_DAY);
    assert.ok(Math.abs(pump.trailing24hPg() - 480_000 * 10_000) <= LIMITS.strokeNl * 10_000);
    assert.equal(PG_PER_MCG * 4_800, 480_000 * 10_000);
  });
});

describe('maximum daily dose across time changes and recommits (found by the randomised run)', () => {
  const peakHour = (): Prescription => ({
    drugId: 'baclofen',
    concentrationMcgPerMl: 500,
    basal: {
      kind: 'flex',
      dayPrograms: [{ name: 'd', steps: [{ startMinute: 0, rateNlPerDay: 100_000 }, { startMinute: 12 * 60, rateNlPerDay: 2_000_000 }, { startMinute: 13 * 60, rateNlPerDay: 100_000 }] }],
      week: [0, 0, 0, 0, 0, 0, 0],
    },
    maxRateNlPerDay: 24 * NL_PER_ML,
    // 23 h at 0.1 mL/day + 1 h at 2 mL/day = 179 166.7 nL = 89.58 mcg, plus four strokes.
    maxDailyDosePg: Math.ceil((100_000 * 23 + 2_000_000) / 24) * 500 + 4 * 250 * 500,
    patientBolus: null,
  });

  it('an offset change that would repeat a high-rate hour is accepted, guarded, and never breaks the maximum', () => {
    const pump = Pump.manufacture({ serial: 'G', model: 'thecal-20', atMs: T0 });
    program(pump, T0, { refill: { withdrawnNl: 0, filledNl: 10 * NL_PER_ML, drugId: 'baclofen', concentrationMcgPerMl: 500 }, prescription: peakHour() }, ['daily-dose-below-soft-minimum']);
    pump.advanceTo(T0 + 2 * MS_PER_DAY + 13 * MS_PER_HOUR);
    const r = pump.execute(pump.nowMs, nextId(), { type: 'set-utc-offset', utcOffsetMs: -MS_PER_HOUR });
    assert.ok(r.ok && r.detail['doseGuard'] === true);
    const max = peakHour().maxDailyDosePg;
    for (let t = pump.nowMs; t < T0 + 5 * MS_PER_DAY; t += 5 * MS_PER_MINUTE) {
      pump.advanceTo(t);
      assert.ok(pump.trailing24hPg() <= max + 250 * 500, `${pump.trailing24hPg()} > ${max}`);
    }
    assert.notEqual(pump.status().therapy.suspendedBy, 'safe-state');
    assert.ok(pump.events.all().some((e) => e.type === 'dose-limit-clamp'));
    assert.ok(pump.events.all().some((e) => e.type === 'dose-limit-released'));
  });

  it('a commit that leaves the safe state is checked against the maximum like any other', () => {
    const pump = runningPump(morphineRx(continuous(1_900_000), null, { maxDailyDosePg: 20 * PG_PER_MG }));
    pump.advanceTo(T0 + 30 * MS_PER_HOUR);
    pump.enterSafeState('test');
    pump.advanceTo(T0 + 31 * MS_PER_HOUR);
    const r = program(pump, pump.nowMs, { prescription: morphineRx(continuous(1_900_000), null, { maxDailyDosePg: 20 * PG_PER_MG }) });
    assert.ok(r.ok && (r.detail['projectedPeak24hPg'] as number) > 18 * PG_PER_MG, JSON.stringify(r));
    assert.equal(pump.status().therapy.running, true);
  });

  it("a refill that changes nothing is not refused after the day's boluses were used", () => {
    const bolus = { volumeNl: 10_000, durationMs: 10 * MS_PER_MINUTE, lockoutMs: 60 * MS_PER_MINUTE, maxPer24h: 8 };
    const basal = continuous(500_000);
    const max = 500_000 * 10_000 + 8 * 10_000 * 10_000 + 4 * 250 * 10_000;
    const rx = morphineRx(basal, bolus, { maxDailyDosePg: max });
    const pump = runningPump(rx);
    for (let i = 0; i < 6; i++) assert.ok(pump.execute(T0 + (10 + i * 2) * MS_PER_HOUR, nextId(), { type: 'patient-bolus' }).ok);
    pump.advanceTo(T0 + 32 * MS_PER_HOUR);
    const r = tryProgram(pump, pump.nowMs, { refill: { withdrawnNl: pump.status().reservoir.volumeNl, filledNl: 20 * NL_PER_ML, drugId: 'morphine', concentrationMcgPerMl: 10_000 } });
    assert.ok(r.ok, !r.ok ? r.message : '');
  });
});
