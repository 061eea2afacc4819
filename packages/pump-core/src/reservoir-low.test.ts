import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MS_PER_HOUR, NL_PER_ML } from './units.ts';
import { LIMITS } from './limits.ts';
import { T0, morphineRx, program, runningPump } from './testing/fixtures.ts';

describe('low-reservoir alarm at a refill', () => {
  it('a refill at or below the alarm volume raises and sounds the alarm at once; above it, the alarm is cleared', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: LIMITS.minLowReservoirNl, max: LIMITS.maxLowReservoirNl }),
        fc.integer({ min: 1, max: 20 * NL_PER_ML }),
        (lowNl, filledNl) => {
          const rx = morphineRx({ kind: 'continuous', rateNlPerDay: 100_000 });
          const pump = runningPump(rx);
          program(pump, T0 + MS_PER_HOUR, { alarms: { lowReservoirNl: lowNl } });
          const at = T0 + 2 * MS_PER_HOUR;
          const residual = pump.status().reservoir.volumeNl;
          program(pump, at, { refill: { withdrawnNl: residual, filledNl, drugId: rx.drugId, concentrationMcgPerMl: rx.concentrationMcgPerMl } });
          const active = pump.status().alarms.some((a) => a.code === 'reservoir-low');
          assert.equal(active, filledNl <= lowNl, `filled ${filledNl} nL, alarm at ${lowNl} nL`);
          const raisedAtRefill = pump.events.all().some((e) => e.type === 'alarm-raised' && e.data['code'] === 'reservoir-low' && e.utcMs >= at);
          assert.equal(raisedAtRefill, filledNl <= lowNl);
        },
      ),
      { numRuns: 150 },
    );
  });
});
