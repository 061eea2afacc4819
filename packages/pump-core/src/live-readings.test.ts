import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MS_PER_HOUR } from './units.ts';
import { STANDARD_BOLUS, T0, morphineRx, runningPump } from './testing/fixtures.ts';

describe('live readings for shells that follow delivery', () => {
  it('deliveredTotalNl, reservoirDrugId and reservoirConcentrationMcgPerMl always agree with status()', () => {
    fc.assert(
      fc.property(fc.integer({ min: 48_000, max: 1_500_000 }), fc.array(fc.record({ hours: fc.integer({ min: 0, max: 30 }), bolus: fc.boolean() }), { maxLength: 12 }), (rate, steps) => {
        const pump = runningPump(morphineRx({ kind: 'continuous', rateNlPerDay: rate }, STANDARD_BOLUS));
        let at = T0;
        steps.forEach((s, i) => {
          at += s.hours * MS_PER_HOUR;
          if (s.bolus) pump.execute(at, `b${i}`, { type: 'patient-bolus' });
          else pump.advanceTo(at);
          const status = pump.status();
          assert.equal(pump.deliveredTotalNl, status.delivered.totalNl);
          assert.equal(pump.reservoirDrugId, status.reservoir.drugId);
          assert.equal(pump.reservoirConcentrationMcgPerMl, status.reservoir.concentrationMcgPerMl);
        });
      }),
      { numRuns: 60 },
    );
  });
});
