import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseScenario, parseScenarioText } from './validate.ts';
import { morphineRx, scenario } from './test-scenarios.ts';

function problems(input: unknown): { path: string; message: string }[] {
  const r = parseScenario(input);
  assert.equal(r.ok, false, 'expected the scenario to be refused');
  return r.ok ? [] : r.issues;
}
function problemAt(input: unknown, path: string): string {
  const found = problems(input).find((i) => i.path === path);
  assert.ok(found !== undefined, `expected a problem at ${path}, got ${JSON.stringify(problems(input))}`);
  return found.message;
}

describe('scenario validation names the path and the reason', () => {
  it('accepts a valid scenario', () => {
    const r = parseScenario(scenario());
    assert.ok(r.ok, JSON.stringify(r));
  });

  it('refuses a rate below the pump minimum, with the limit in both units', () => {
    const bad = scenario([{ at: 'P1D', type: 'program', prescription: morphineRx('1000 nL/day') }]);
    const message = problemAt(bad, 'events[1].prescription.basal.rateNlPerDay');
    assert.match(message, /expected a whole number ≥ 48000 nL\/day \(0\.048 mL\/day/);
    assert.match(message, /got 1000 nL\/day/);
  });

  it('refuses a value that does not convert exactly, and never rounds it', () => {
    const bad = scenario([{ at: 'P1D', type: 'clinician-bolus', volumeNl: '0.0000001 mL', durationMs: 'PT1H' }]);
    assert.match(problemAt(bad, 'events[1].volumeNl'), /"0\.0000001 mL" is 0\.1 nL, not a whole number of nL/);
    const fractionalNumber = scenario([{ at: 'P1D', type: 'clinician-bolus', volumeNl: 1.5, durationMs: 'PT1H' }]);
    assert.match(problemAt(fractionalNumber, 'events[1].volumeNl'), /whole number of nL, got 1\.5/);
  });

  it('refuses a zero lockout', () => {
    const bad = scenario([{ at: 'P1D', type: 'program', prescription: morphineRx('0.5 mL/day', { volumeNl: '10 uL', durationMs: 'PT10M', lockoutMs: 0, maxPer24h: 4 }) }]);
    assert.match(problemAt(bad, 'events[1].prescription.patientBolus.lockoutMs'), /≥ 900000 ms \(PT15M; a lockout is never 0\)/);
  });

  it('names unknown event types, unknown fields and missing fields', () => {
    assert.match(problemAt(scenario([{ at: 'P1D', type: 'teleport' } as never]), 'events[1].type'), /unknown type "teleport"; expected one of "program"/);
    assert.match(problemAt(scenario([{ at: 'P1D', type: 'interrogate', colour: 'red' } as never]), 'events[1]'), /unknown field "colour"/);
    assert.match(problemAt(scenario([{ type: 'interrogate' } as never]), 'events[1].at'), /required field is missing/);
    assert.match(problemAt({ ...scenario(), format: 'thecal-scenario/2' }, 'format'), /expected "thecal-scenario\/1"/);
  });

  it('refuses events before the start or after the end', () => {
    assert.match(problemAt(scenario([{ at: 'P11D', type: 'interrogate' }]), 'events[1].at'), /is after the scenario end \(2026-03-12T00:00:00\.000Z\)/);
    assert.match(problemAt(scenario([{ at: '2026-03-01T23:59:59Z', type: 'interrogate' }]), 'events[1].at'), /is before the scenario start/);
    assert.match(problemAt(scenario([], { until: '2026-03-01T00:00:00Z' }), 'until'), /must come after the start/);
    assert.match(problemAt(scenario([], { start: 'P1D' }), 'start'), /must be a date-time/);
  });

  it('refuses months in durations and unknown units', () => {
    assert.match(problemAt(scenario([{ at: 'P1M', type: 'interrogate' }]), 'events[1].at'), /years and months have no fixed length/);
    assert.match(problemAt(scenario([{ at: 'P1D', type: 'clinician-bolus', volumeNl: '1 cup', durationMs: 'PT1H' }]), 'events[1].volumeNl'), /unknown volume unit "cup"/);
  });

  it('checks day-program names, week length and series definitions', () => {
    const rx = { ...morphineRx(), basal: { kind: 'flex', dayPrograms: [{ name: 'weekday', steps: [{ startMinute: '00:00', rateNlPerDay: '0.5 mL/day' }] }], week: ['weekday', 'weekday', 'weekend', 0, 0, 0, 0] } };
    assert.match(problemAt(scenario([{ at: 'P1D', type: 'program', prescription: rx } as never]), 'events[1].prescription.basal.week[2]'), /no day program is named "weekend"/);
    const short = { ...rx, basal: { ...rx.basal, week: [0, 0, 0] } };
    assert.match(problemAt(scenario([{ at: 'P1D', type: 'program', prescription: short } as never]), 'events[1].prescription.basal.week'), /expected exactly 7 items, got 3/);
    assert.match(problemAt(scenario([{ at: 'P1D', type: 'patient-bolus-series', until: 'P2D' }]), 'events[1]'), /exactly one of localTimes .* or every/);
    assert.match(problemAt(scenario([{ at: 'P1D', type: 'patient-bolus-series', until: 'P12D', localTimes: ['08:00'] }]), 'events[1].until'), /after the scenario end/);
    assert.match(problemAt(scenario([{ at: 'P1D', type: 'patient-bolus-series', until: 'P2D', localTimes: ['8:00'] }]), 'events[1].localTimes[0]'), /not a local time of day/);
  });

  it('reports every problem at once, for tuples too', () => {
    const bad = scenario([
      { at: 'P1D', type: 'mri', fieldDurationMs: 'PT30M', recoveryDelayMs: ['PT2H', 'PT72H'] },
      { at: 'P2D', type: 'set-utc-offset', utcOffsetMs: '+01:10' },
      { at: 'P3D', type: 'set-clock' },
    ]);
    const paths = problems(bad).map((p) => p.path);
    assert.ok(paths.includes('events[1].recoveryDelayMs[1]'), paths.join());
    assert.ok(paths.includes('events[2].utcOffsetMs'), paths.join());
  });

  it('reports a file that is not JSON', () => {
    const r = parseScenarioText('{"format": ');
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : (r.issues[0]?.message ?? ''), /not valid JSON/);
  });
});

describe('scenario resolution', () => {
  it('sorts events by time, stably: events at the same time keep their file order', () => {
    const r = parseScenario(
      scenario([
        { at: 'P2D', type: 'interrogate', note: 'b' },
        { at: 'P1D', type: 'alarm-test', note: 'a' },
        { at: 'P2D', type: 'stop-therapy', note: 'c' },
      ]),
    );
    assert.ok(r.ok);
    assert.deepEqual(
      r.scenario.events.map((e) => e.note),
      [null, 'a', 'b', 'c'],
    );
  });

  it('expands series at local times, honouring offset changes and weekdays', () => {
    const r = parseScenario(
      scenario(
        [
          { at: 'P1D', type: 'set-utc-offset', utcOffsetMs: '+02:00' },
          { at: 'P0D', type: 'patient-bolus-series', until: 'P3D', localTimes: ['08:00', '20:00'] },
        ],
        { utcOffsetMs: '+01:00' },
      ),
    );
    assert.ok(r.ok, JSON.stringify(r));
    const series = r.scenario.events.find((e) => e.type === 'patient-bolus-series');
    assert.ok(series?.type === 'patient-bolus-series');
    const iso = series.requestTimesMs.map((t) => new Date(t).toISOString().slice(5, 16));
    // Start 2026-03-02T00:00Z is 01:00 local; the offset moves to +02:00 at 2026-03-03T00:00Z.
    assert.deepEqual(iso, ['03-02T07:00', '03-02T19:00', '03-03T06:00', '03-03T18:00', '03-04T06:00', '03-04T18:00']);
  });

  it('keeps only the weekdays a series names', () => {
    // 2026-03-02 is a Monday.
    const r = parseScenario(scenario([{ at: 'P0D', type: 'patient-bolus-series', until: 'P9D', localTimes: ['12:00'], weekdays: ['sat', 'sun'] }]));
    assert.ok(r.ok);
    const series = r.scenario.events.find((e) => e.type === 'patient-bolus-series');
    assert.ok(series?.type === 'patient-bolus-series');
    assert.deepEqual(
      series.requestTimesMs.map((t) => new Date(t).toISOString().slice(0, 10)),
      ['2026-03-07', '2026-03-08'],
    );
  });

  it('expands repeated events into numbered occurrences', () => {
    const r = parseScenario(scenario([{ at: 'P1D', type: 'interrogate', repeat: { every: 'P2D', until: 'P8D' } }]));
    assert.ok(r.ok);
    const occurrences = r.scenario.events.filter((e) => e.type === 'interrogate').map((e) => [e.occurrence, (e.atMs - r.scenario.startMs) / 86_400_000]);
    assert.deepEqual(occurrences, [
      [1, 1],
      [2, 3],
      [3, 5],
      [4, 7],
    ]);
  });
});
