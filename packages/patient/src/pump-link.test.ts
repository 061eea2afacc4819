import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MS_PER_DAY, MS_PER_HOUR, NL_PER_ML, Pump, seededUniform, type ChangeSet } from '@thecal/pump-core';
import { drawPatient } from './params.ts';
import { VirtualPatient } from './patient.ts';
import { PumpPatientLink, pathVolumeNl } from './pump-link.ts';

const T0 = Date.UTC(2026, 0, 5);

function program(pump: Pump, atMs: number, changes: ChangeSet, n: number): void {
  const s = pump.execute(atMs, `s${n}`, { type: 'stage', changes });
  assert.ok(s.ok, s.ok ? '' : s.message);
  const soft = (s.detail['softLimits'] as { code: string }[] | undefined) ?? [];
  const c = pump.execute(atMs, `c${n}`, { type: 'commit', stagedId: s.detail['stagedId'] as number, acknowledgedSoftLimits: soft.map((x) => x.code) });
  assert.ok(c.ok, c.ok ? '' : c.message);
}

describe('PumpPatientLink', () => {
  it('feeds the patient exactly what the pump delivered, old drug first after a concentration change', () => {
    const params = drawPatient(seededUniform(21), { drugId: 'baclofen', csfHalfLifeH: 2 });
    const pump = Pump.manufacture({ serial: 'LINK-1', model: 'thecal-40', atMs: T0 });
    const rateNlPerDay = 500_000;
    program(pump, T0, {
      refill: { withdrawnNl: 0, filledNl: 20 * NL_PER_ML, drugId: 'baclofen', concentrationMcgPerMl: 500 },
      prescription: { drugId: 'baclofen', concentrationMcgPerMl: 500, basal: { kind: 'continuous', rateNlPerDay }, maxRateNlPerDay: NL_PER_ML, maxDailyDosePg: 2 * rateNlPerDay * 500, patientBolus: null },
    }, 1);
    const catheterNl = 150_000;
    const patient = new VirtualPatient(params, { startMs: T0, catheter: { deadVolumeNl: pathVolumeNl(catheterNl), fillConcentrationMcgPerMl: 500 }, steadyDailyPg: rateNlPerDay * 500 });
    const link = new PumpPatientLink(pump, patient);
    for (let h = 1; h <= 48; h++) {
      pump.advanceTo(T0 + h * MS_PER_HOUR);
      link.sync(pump);
    }
    assert.equal(patient.state().totals.receivedNl, pump.status().delivered.totalNl);
    assert.equal(patient.state().totals.csfPg, pump.status().delivered.totalNl * 500);
    // Refill at 2000 mcg/mL with the program's volume rate scaled down: the path still holds 500.
    const at = T0 + 2 * MS_PER_DAY;
    const residual = pump.status().reservoir.volumeNl;
    program(pump, at, {
      refill: { withdrawnNl: residual, filledNl: 20 * NL_PER_ML, drugId: 'baclofen', concentrationMcgPerMl: 2000 },
      prescription: { drugId: 'baclofen', concentrationMcgPerMl: 2000, basal: { kind: 'continuous', rateNlPerDay: rateNlPerDay / 4 }, maxRateNlPerDay: NL_PER_ML, maxDailyDosePg: 2 * rateNlPerDay * 500, patientBolus: null },
    }, 2);
    link.sync(pump);
    const csfAtRefill = patient.state().totals.csfPg;
    const deliveredAtRefill = pump.status().delivered.totalNl;
    for (let h = 1; h <= 24 * 10; h++) {
      pump.advanceTo(at + h * MS_PER_HOUR);
      link.sync(pump);
    }
    const after = pump.status().delivered.totalNl - deliveredAtRefill;
    const dead = pathVolumeNl(catheterNl);
    assert.ok(after > dead, 'the test must push more than one dead volume');
    assert.equal(patient.state().totals.csfPg - csfAtRefill, dead * 500 + (after - dead) * 2000);
  });
});
