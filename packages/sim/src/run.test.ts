import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { runScenario } from './run.ts';
import type { Report } from './report-schema.ts';
import type { ScenarioInput } from './scenario-schema.ts';
import { MORPHINE_FILL, morphineRx, scenario } from './test-scenarios.ts';
import { parseScenario } from './validate.ts';

const STROKE_NL = 250;
const DAY = 86_400_000;
const MIN = 60_000;

function run(input: ScenarioInput): Report {
  const parsed = parseScenario(input);
  assert.ok(parsed.ok, JSON.stringify(parsed));
  return runScenario(parsed.scenario);
}
const commandsOf = (r: Report, type: string) => r.commands.filter((c) => c.command.type === type);

describe('delivery matches independent arithmetic', () => {
  it('0.5 mL/day for 10 days delivers 5 mL within one stroke, and each local day 0.5 mL', () => {
    const input = scenario([], { until: 'P10D' });
    input.events[0] = { at: 'P0D', type: 'program', refill: MORPHINE_FILL, prescription: morphineRx('0.5 mL/day', null) };
    const r = run(input);
    assert.ok(r.totals.deliveredNl <= 5_000_000 && r.totals.deliveredNl > 5_000_000 - STROKE_NL, String(r.totals.deliveredNl));
    assert.equal(r.totals.deliveredPg, r.totals.deliveredNl * 10_000);
    assert.equal(r.days.length, 10);
    for (const d of r.days) assert.ok(Math.abs(d.deliveredNl - 500_000) <= STROKE_NL, `${d.localDate}: ${d.deliveredNl}`);
    assert.ok(r.days.every((d) => !d.partial), 'a run from local midnight to local midnight has whole days');
    assert.equal(r.final.status.reservoir.volumeNl, 40_000_000 - r.totals.deliveredNl);
  });

  it('per-day totals add up to the total delivered, in nL and pg, for an irregular run', () => {
    const r = run(
      scenario(
        [
          { at: 'P0DT9H', type: 'patient-bolus-series', until: 'P6D', every: 'PT50M', between: ['07:00', '23:00'] },
          { at: 'P2DT5H', type: 'set-utc-offset', utcOffsetMs: '+03:00' },
          { at: 'P3DT1H', type: 'stop-therapy' },
          { at: 'P3DT8H', type: 'resume-therapy' },
        ],
        { start: '2026-03-02T05:17:00Z', until: 'P7DT3H', utcOffsetMs: '+01:00' },
      ),
    );
    assert.equal(
      r.days.reduce((n, d) => n + d.deliveredNl, 0),
      r.totals.deliveredNl,
    );
    assert.equal(
      r.days.reduce((n, d) => n + d.deliveredPg, 0),
      r.totals.deliveredPg,
    );
    assert.equal(r.totals.patientBoluses.requested, r.scenario.patientBolusRequests);
    assert.equal(r.totals.patientBoluses.requested, r.totals.patientBoluses.delivered + r.totals.patientBoluses.denied);
    assert.equal(r.totals.patientBoluses.delivered, r.boluses.filter((b) => b.kind === 'patient').length);
    assert.ok(r.days[0]?.partial === true && r.days[r.days.length - 1]?.partial === true);
  });

  it('a 23-hour daylight-saving day delivers 23/24 of the daily volume', () => {
    const input = scenario([{ at: '2026-03-29T01:00:00Z', type: 'set-utc-offset', utcOffsetMs: '+02:00' }], { start: '2026-03-25T23:00:00Z', until: 'P7D', utcOffsetMs: '+01:00' });
    input.events[0] = { at: 'P0D', type: 'program', refill: MORPHINE_FILL, prescription: morphineRx('0.48 mL/day', null) };
    const r = run(input);
    const day = r.days.find((d) => d.localDate === '2026-03-29');
    assert.ok(day !== undefined);
    assert.ok(Math.abs(day.deliveredNl - 460_000) <= STROKE_NL, String(day.deliveredNl));
  });
});

describe('patient boluses', () => {
  it('denies by lockout and by the 24 h count exactly where expected', () => {
    // Every hour from 08:00 to 20:00, lockout 3 h, 4 per 24 h.
    const r = run(scenario([{ at: 'P1D', type: 'patient-bolus-series', until: 'P1DT12H', every: 'PT1H' }]));
    const outcomes = commandsOf(r, 'patient-bolus').map((c) => (c.ok ? 'ok' : c.reason));
    // prettier-ignore
    assert.deepEqual(outcomes, ['ok', 'lockout', 'lockout', 'ok', 'lockout', 'lockout', 'ok', 'lockout', 'lockout', 'ok', 'lockout', 'lockout', 'count-24h-reached']);
    const day = r.days.find((d) => d.localDate === '2026-03-03');
    assert.deepEqual(day?.patientBoluses, { requested: 13, delivered: 4, denied: 9, deniedByReason: { 'count-24h-reached': 1, lockout: 8 } });
    for (const b of r.boluses) assert.deepEqual([b.deliveredNl, b.completed, (b.endedAtMs ?? 0) - b.startedAtMs], [10_000, true, 10 * MIN]);
  });

  it('property: every request is granted exactly when an independent lockout and 24 h count model says so', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 2 * 24 * 60 }), { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 15, max: 240 }),
        fc.integer({ min: 1, max: 6 }),
        (minutes, lockoutMin, maxPer24h) => {
          const sorted = [...minutes].sort((a, b) => a - b);
          const input = scenario(
            sorted.map((m) => ({ at: `PT${m}M`, type: 'patient-bolus' as const })),
            { until: 'P3D' },
          );
          input.events[0] = { at: 'P0D', type: 'program', refill: MORPHINE_FILL, prescription: morphineRx('0.5 mL/day', { volumeNl: '10 uL', durationMs: 'PT10M', lockoutMs: lockoutMin * MIN, maxPer24h }) };
          const r = run(input);
          const starts: number[] = [];
          const expected = sorted.map((m) => {
            const t = m * MIN;
            const last = starts[starts.length - 1];
            if (last !== undefined && t - last < lockoutMin * MIN) return 'lockout';
            const counted = starts.filter((s) => (s + 10 * MIN <= t ? s + 10 * MIN : Number.POSITIVE_INFINITY) > t - DAY).length;
            if (counted >= maxPer24h) return 'count-24h-reached';
            starts.push(t);
            return 'ok';
          });
          assert.deepEqual(
            commandsOf(r, 'patient-bolus').map((c) => (c.ok ? 'ok' : c.reason)),
            expected,
          );
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('programming sessions', () => {
  it('records a refused commit with its reason, aborts the session and carries on', () => {
    // 0.5 → 0.8 mL/day is a 60 % rise: above the 30 % soft limit per change, below the 100 % hard one.
    const soft = morphineRx('0.8 mL/day');
    const r = run(
      scenario([
        { at: 'P1D', type: 'program', prescription: soft },
        { at: 'P1DT1H', type: 'program', prescription: soft, acknowledgeSoftLimits: ['increase-above-soft-limit'] },
        { at: 'P2D', type: 'program', refill: { ...MORPHINE_FILL, drugId: 'hydromorphone', concentrationMcgPerMl: '10 mg/mL' } },
      ]),
    );
    const byId = new Map(r.commands.map((c) => [c.commandId, c]));
    assert.equal(byId.get('evt-1.stage')?.ok, true);
    assert.equal(byId.get('evt-1.commit')?.reason, 'soft-limits-not-acknowledged');
    assert.equal(byId.get('evt-1.abort')?.ok, true);
    assert.equal(byId.get('evt-2.commit')?.ok, true);
    const refused = byId.get('evt-3.stage');
    assert.equal(refused?.reason, 'validation-failed');
    assert.ok(refused?.issues?.some((i) => i.code === 'prescription-concentration-mismatch'));
    assert.equal(r.final.status.staged, null);
    assert.equal(r.final.status.prescription?.basal.kind === 'continuous' && r.final.status.prescription.basal.rateNlPerDay, 800_000);
    assert.ok(r.logs.events.some((e) => e.type === 'soft-limit-acknowledged' && e.data['code'] === 'increase-above-soft-limit'));
  });

  it('a refill with "expected" withdraws exactly what the pump believed was left', () => {
    const r = run(scenario([{ at: 'P5D', type: 'refill', withdrawnNl: 'expected', filledNl: '20 mL', drugId: 'morphine', concentrationMcgPerMl: '10 mg/mL' }]));
    const stage = r.commands.find((c) => c.commandId === 'evt-1.stage');
    const withdrawn = Number(stage?.simulated?.['withdrawnNl']);
    assert.ok(Math.abs(withdrawn - (40_000_000 - 5 * 500_000)) <= STROKE_NL, String(withdrawn));
    const refill = r.logs.events.find((e) => e.type === 'refill' && e.data['filledNl'] === 20_000_000);
    assert.equal(refill?.data['discrepancyNl'], 0);
  });
});

describe('MRI, power loss and alarms', () => {
  it('draws the MRI recovery delay from the seed, inside its range, the same way every time', () => {
    const mri = (seed: number) =>
      run(scenario([{ at: 'P1D', type: 'mri', fieldDurationMs: 'PT30M', recoveryDelayMs: ['PT2H', 'PT24H'] }], { seed }));
    const a = mri(7);
    const drawn = Number(commandsOf(a, 'magnetic-field')[0]?.simulated?.['recoveryDelayMs']);
    assert.ok(drawn >= 2 * 60 * MIN && drawn <= 24 * 60 * MIN, String(drawn));
    assert.equal(Number(commandsOf(mri(7), 'magnetic-field')[0]?.simulated?.['recoveryDelayMs']), drawn);
    assert.notEqual(Number(commandsOf(mri(8), 'magnetic-field')[0]?.simulated?.['recoveryDelayMs']), drawn);
    const stall = a.alarms.find((x) => x.code === 'motor-stall');
    assert.equal((stall?.resolvedAtMs ?? 0) - (stall?.raisedAtMs ?? 0), 30 * MIN + drawn);
  });

  it('snapshots the pump when power goes, delivers nothing while off, and refuses what happens meanwhile', () => {
    const input = scenario(
      [
        { at: 'P2D', type: 'power-reset', offDurationMs: 'PT6H', why: 'low-battery-reset' },
        { at: 'P2DT1H', type: 'patient-bolus' },
        { at: 'P2DT2H', type: 'interrogate' },
      ],
      { until: 'P4D' },
    );
    input.events[0] = { at: 'P0D', type: 'program', refill: MORPHINE_FILL, prescription: morphineRx('0.48 mL/day') };
    const r = run(input);
    const expectedNl = 4 * 480_000 - 480_000 / 4; // six hours without power
    assert.ok(Math.abs(r.totals.deliveredNl - expectedNl) <= STROKE_NL, String(r.totals.deliveredNl));
    const off = r.commands.filter((c) => c.reason === 'pump-unpowered').map((c) => c.commandId);
    assert.deepEqual(off, ['evt-2', 'evt-3']);
    assert.deepEqual(r.totals.patientBoluses.deniedByReason, { 'pump-unpowered': 1 });
    const restored = r.logs.events.find((e) => e.type === 'power-restored');
    assert.deepEqual(restored?.data, { why: 'low-battery-reset', offMs: 6 * 60 * MIN });
    assert.ok(r.alarms.some((a) => a.code === 'low-battery-reset' && a.raisedAtMs === Date.parse('2026-03-04T06:00:00Z')));
    assert.equal(r.stats.powerResets, 1);
  });

  it('follows alarms from raise to clear to end, and counts their tones', () => {
    const input = scenario([{ at: 'P3D', type: 'clear-alarm', code: 'all' }], { until: 'P5D' });
    input.events[0] = { at: 'P0D', type: 'program', refill: { ...MORPHINE_FILL, filledNl: '3 mL' }, prescription: morphineRx('0.5 mL/day', null) };
    const r = run(input);
    const low = r.alarms.find((a) => a.code === 'reservoir-low');
    assert.ok(low !== undefined);
    assert.equal(low.raisedAtMs, Date.parse('2026-03-04T00:00:00Z'));
    assert.equal(low.clearedAtMs, Date.parse('2026-03-05T00:00:00Z'));
    assert.equal(low.resolvedAtMs, null);
    assert.equal(low.tones, 25, 'the tone when raised, then one every hour up to the instant it was cleared');
  });
});

describe('the run', () => {
  it('reports progress in simulated time, ending at the total', () => {
    const parsed = parseScenario(scenario([], { until: 'P30D' }));
    assert.ok(parsed.ok);
    const calls: [number, number][] = [];
    runScenario(parsed.scenario, { onProgress: (simulatedMs, totalMs) => calls.push([simulatedMs, totalMs]) });
    assert.ok(calls.length >= 29, String(calls.length));
    assert.ok(calls.every(([ms, total], i) => total === 30 * DAY && ms <= total && (i === 0 || ms >= (calls[i - 1]?.[0] ?? 0))));
    assert.deepEqual(calls[calls.length - 1], [30 * DAY, 30 * DAY]);
  });

  it('samples the reservoir and battery at the start, every day, after every event and at the end', () => {
    const r = run(scenario([{ at: 'P2DT5H', type: 'interrogate' }], { until: 'P4D' }));
    assert.deepEqual(
      r.samples.map((s) => `${s.cause}@${(s.atMs - Date.parse('2026-03-02T00:00:00Z')) / 3_600_000}h`),
      ['start@0h', 'event@0h', 'interval@24h', 'interval@48h', 'event@53h', 'interval@72h', 'end@96h'],
    );
    assert.ok(r.samples.every((s, i) => i === 0 || s.batteryRemainingUj <= (r.samples[i - 1]?.batteryRemainingUj ?? 0)));
  });
});

