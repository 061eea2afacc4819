import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { runScenario } from './run.ts';
import { ReportSchema } from './report-schema.ts';
import type { ScenarioInput } from './scenario-schema.ts';
import { MORPHINE_FILL, morphineRx, scenario } from './test-scenarios.ts';
import { parseScenario } from './validate.ts';

type EventInput = ScenarioInput['events'][number];

/** Any event the simulator knows, with plausible but unchecked parameters. */
const anyEvent: fc.Arbitrary<Omit<EventInput, 'at'>> = fc.oneof(
  fc.constant({ type: 'patient-bolus' as const }),
  fc.constant({ type: 'interrogate' as const }),
  fc.constant({ type: 'stop-therapy' as const }),
  fc.constant({ type: 'resume-therapy' as const }),
  fc.constant({ type: 'alarm-test' as const }),
  fc.constantFrom('all', 'reservoir-low', 'motor-stall', 'low-battery-reset').map((code) => ({ type: 'clear-alarm' as const, code: code as 'all' })),
  fc.integer({ min: 0, max: 120 }).map((m) => ({ type: 'mri' as const, fieldDurationMs: `PT${m}M`, recoveryDelayMs: ['PT0S', 'PT30H'] as [string, string] })),
  fc.integer({ min: -180, max: 180 }).map((m) => ({ type: 'set-clock' as const, stepMs: m < 0 ? `-PT${-m}M` : `PT${m}M` })),
  fc.integer({ min: -8, max: 12 }).map((h) => ({ type: 'set-utc-offset' as const, utcOffsetMs: h * 3_600_000 })),
  fc.integer({ min: 0, max: 600 }).map((m) => ({ type: 'power-reset' as const, offDurationMs: `PT${m}M`, why: m % 2 === 0 ? ('power-reset' as const) : ('low-battery-reset' as const) })),
  fc.integer({ min: 1, max: 500 }).map((ul) => ({ type: 'clinician-bolus' as const, volumeNl: `${ul} uL`, durationMs: 'PT30M' })),
  fc.integer({ min: 48, max: 2000 }).map((ul) => ({ type: 'program' as const, prescription: morphineRx(`${ul} uL/day`), acknowledgeSoftLimits: ['increase-above-soft-limit'] })),
  fc.integer({ min: 1, max: 40 }).map((ml) => ({ type: 'refill' as const, withdrawnNl: 'expected' as const, filledNl: `${ml} mL`, drugId: 'morphine' as const, concentrationMcgPerMl: MORPHINE_FILL.concentrationMcgPerMl })),
  fc.integer({ min: 0, max: 3 }).map((n) => ({ type: 'patient-bolus-series' as const, until: `P${4 + n}D`, every: 'PT47M' })),
);

describe('any sequence of events', () => {
  it('property: runs without crashing, and the report is consistent and well-formed', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 4 * 24 * 60 }), anyEvent), { maxLength: 30 }), (events) => {
        const input = scenario(
          events.map(([minute, e]) => ({ ...e, at: `PT${minute}M` }) as EventInput),
          { until: 'P8D', utcOffsetMs: '+01:00' },
        );
        const parsed = parseScenario(input);
        assert.ok(parsed.ok, JSON.stringify(parsed));
        const r = runScenario(parsed.scenario);
        assert.ok(ReportSchema.safeParse(r).success);
        assert.equal(r.days.reduce((n, d) => n + d.deliveredNl, 0), r.totals.deliveredNl);
        assert.equal(r.totals.patientBoluses.requested, r.scenario.patientBolusRequests);
        assert.equal(r.totals.deliveredNl % 250, 0, 'whole strokes');
        assert.ok(r.final.status.reservoir.volumeNl >= 0);
        assert.ok(r.logs.events.every((e) => e.type !== 'invariant-violation'), JSON.stringify(r.logs.events.find((e) => e.type === 'invariant-violation')));
      }),
      { numRuns: 60 },
    );
  });
});
