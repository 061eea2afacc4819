/**
 * The scenarios teach what they claim: played without a browser (the same pump state, virtual
 * patient and faults as `thecal train`), the trap hurts the patient and the right action avoids it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MS_PER_DAY, MS_PER_HOUR, NL_PER_ML, Pump, PumpMemory, type ChangeSet } from '@thecal/pump-core';
import { FaultWorld, softCodes } from '@thecal/virtual-pump';
import { loadTraining } from './train-command.ts';
import { manufactureTime, preparePump } from './prepare.ts';
import { trainingPatient } from './patient.ts';

const dir = fileURLToPath(new URL('../../../../examples/training/', import.meta.url));

/** The scenario's world at its start, with its faults applied at their times as time runs. */
function play(file: string) {
  const loaded = loadTraining(join(dir, file));
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.message);
  const s = loaded.scenario;
  const pump = Pump.manufacture({ serial: s.pump.serial, model: s.pump.model, atMs: manufactureTime(s) });
  preparePump(pump, s);
  const memory = PumpMemory.blank();
  memory.save(pump);
  const world = new FaultWorld(pump, memory, trainingPatient(s), pump.nowMs);
  const pending = s.faults.map((f) => ({ atMs: s.start + f.after, fault: f.fault }));
  const runTo = (atMs: number) => {
    for (;;) {
      const next = pending[0];
      if (next === undefined || next.atMs > atMs) break;
      pending.shift();
      world.advanceTo(Math.max(world.trueMs, next.atMs));
      const r = next.fault.kind === 'pocket-fill' || next.fault.kind === 'access-port-injection' ? world.armRefillFault(next.fault) : world.inject(next.fault);
      assert.ok(r.ok);
    }
    world.advanceTo(Math.max(world.trueMs, atMs));
  };
  const commit = (id: string, changes: ChangeSet) => {
    const at = world.pumpTimeAt(world.trueMs);
    const st = world.pump.execute(at, `${id}-s`, { type: 'stage', changes });
    assert.ok(st.ok, JSON.stringify(st));
    const c = world.pump.execute(at, `${id}-c`, { type: 'commit', stagedId: st.detail['stagedId'] as number, acknowledgedSoftLimits: softCodes(st.detail) });
    assert.ok(c.ok, JSON.stringify(c));
  };
  const patient = () => world.truth().patient?.state;
  const everState = (state: string) => world.timeline.some((e) => e.source === 'patient' && e.text.startsWith(state));
  return { s, world, runTo, commit, patient, everState };
}

describe('training scenarios, played', () => {
  it('post-MRI stall: without the check the pump stays stopped and withdrawal follows; an interrogation after the scan resumes it', () => {
    const neglected = play('post-mri-stall.json');
    neglected.runTo(neglected.s.start + 3 * MS_PER_DAY);
    assert.equal(neglected.world.pump.status().therapy.suspendedBy, 'awaiting-interrogation');
    assert.ok(neglected.everState('withdrawal') || neglected.everState('under-dosed'), JSON.stringify(neglected.world.timeline.filter((e) => e.source === 'patient')));

    const checked = play('post-mri-stall.json');
    checked.runTo(checked.s.start + 8 * MS_PER_HOUR);
    checked.world.pump.execute(checked.world.pumpTimeAt(checked.world.trueMs), 'post-mri-check', { type: 'interrogate' });
    checked.runTo(checked.s.start + 3 * MS_PER_DAY);
    assert.equal(checked.world.pump.status().therapy.running, true);
    assert.ok(!checked.everState('withdrawal'));
  });

  it('pocket fill: the refill goes into the pocket and the patient overdoses within hours; the pump still believes it is full', () => {
    const p = play('pocket-fill.json');
    p.runTo(p.s.start + 30 * 60_000);
    const r = p.world.refill('trainee-refill', { filledNl: 20 * NL_PER_ML, drugId: 'baclofen', concentrationMcgPerMl: 2000 });
    assert.ok(r.ok, JSON.stringify(r));
    p.runTo(p.s.start + 12 * MS_PER_HOUR);
    assert.ok(p.everState('overdose'), JSON.stringify(p.world.timeline));
    const t = p.world.truth();
    assert.equal(t.believedReservoirNl > 19 * NL_PER_ML, true);
    assert.equal(t.trueReservoirNl, 0);
  });

  it('missed refill before a holiday: without a refill the pump empties within a week and the patient goes into withdrawal', () => {
    const p = play('missed-refill-holiday.json');
    p.runTo(p.s.start + 10 * MS_PER_DAY);
    assert.ok(p.world.pump.status().alarms.some((a) => a.code === 'reservoir-empty'), JSON.stringify(p.world.pump.status().alarms));
    assert.ok(p.everState('withdrawal') || p.everState('under-dosed'), JSON.stringify(p.world.timeline));
  });

  it('end of battery: ERI within days, the replace-by date exactly 90 days after it', () => {
    const p = play('end-of-battery.json');
    p.runTo(p.s.start + 4 * MS_PER_DAY);
    const b = p.world.pump.status().battery;
    assert.ok(b.eriAtMs !== null && b.eriAtMs > p.s.start);
    assert.equal(b.replaceByMs - b.eriAtMs, 90 * MS_PER_DAY);
  });

  it('screening: the lumbar-puncture boluses reach the patient (effect without any pump therapy)', () => {
    const p = play('screening-and-titration.json');
    p.runTo(p.s.start + 30 * MS_PER_HOUR);
    assert.ok(p.world.timeline.some((e) => e.source === 'patient' && e.atMs > p.s.start), 'the patient responded to a screening bolus');
    assert.equal(p.world.pump.status().prescription, null);
  });
});

describe('training scenarios, played: the concentration change', () => {
  const change = (withBridge: boolean) => {
    const p = play('concentration-change.json');
    p.runTo(p.s.start + MS_PER_HOUR);
    const t = p.s.therapy;
    assert.ok(t !== null);
    p.commit(withBridge ? 'bridge' : 'no-bridge', {
      refill: { withdrawnNl: p.world.truth().trueReservoirNl, filledNl: 20 * NL_PER_ML, drugId: 'baclofen', concentrationMcgPerMl: 2000 },
      prescription: { drugId: 'baclofen', concentrationMcgPerMl: 2000, basal: { kind: 'continuous', rateNlPerDay: 250_000 }, maxRateNlPerDay: 2 * NL_PER_ML, maxDailyDosePg: t.maxDailyDose, patientBolus: null },
      ...(withBridge ? { bolus: { kind: 'bridge' as const } } : {}),
    });
    p.runTo(p.s.start + 4 * MS_PER_DAY);
    return p;
  };
  it('without a bridge bolus the old drug in the path runs at a quarter of the dose and the effect fades; with one it does not', () => {
    const without = change(false);
    assert.ok(without.everState('under-dosed') || without.everState('withdrawal'), JSON.stringify(without.world.timeline.filter((e) => e.source === 'patient')));
    const bridged = change(true);
    assert.ok(bridged.world.timeline.some((e) => e.source === 'action' && e.text.startsWith('bridge-bolus')));
    assert.ok(!bridged.everState('under-dosed') && !bridged.everState('withdrawal'), JSON.stringify(bridged.world.timeline.filter((e) => e.source === 'patient')));
  });
});
