/**
 * Fault injection: the schema refuses bad faults with path and reason; the world applies each
 * fault to the pump or to the truth around it; the live virtual pump takes them on POST /fault
 * and shows the ground truth on GET /truth.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MS_PER_DAY, MS_PER_HOUR, NL_PER_ML, Pump, PumpMemory, type PumpModelId } from '@thecal/pump-core';
import { FAULT_EXAMPLES, TruthAnswerSchema, WorldTruthSchema, checkAnswer, parseFault } from '@thecal/control-port';
import { FaultWorld, softCodes, type CatheterState, type PatientPort, type PatientTruth } from './world.ts';
import { VirtualPatientPort } from './patient-port.ts';
import { startVirtualPump } from '../virtual-pump.ts';

const T0 = Date.UTC(2026, 0, 5);

function setUp(pump: Pump, rateNlPerDay = 1_000_000, atMs = pump.nowMs): void {
  const changes = {
    refill: { withdrawnNl: 0, filledNl: 20 * NL_PER_ML, drugId: 'baclofen' as const, concentrationMcgPerMl: 500 },
    prescription: { drugId: 'baclofen' as const, concentrationMcgPerMl: 500, basal: { kind: 'continuous' as const, rateNlPerDay }, maxRateNlPerDay: 4 * NL_PER_ML, maxDailyDosePg: 700_000_000, patientBolus: null },
  };
  const staged = pump.execute(atMs, `setup-s-${atMs}`, { type: 'stage', changes });
  assert.ok(staged.ok, JSON.stringify(staged));
  assert.ok(pump.execute(atMs, `setup-c-${atMs}`, { type: 'commit', stagedId: staged.detail['stagedId'] as number, acknowledgedSoftLimits: softCodes(staged.detail) }).ok);
}

/** A patient port that only records what reaches it: enough to check the routing. */
class RecordingPatient implements PatientPort {
  spinePg = 0;
  tissuePg = 0;
  outlet(_f: number, _t: number, _v: number, amountPg: number, c: CatheterState): void {
    if (c.kind === 'intact') this.spinePg += amountPg;
    else if (c.kind === 'leak') {
      this.tissuePg += (amountPg * c.fractionPercent) / 100;
      this.spinePg += (amountPg * (100 - c.fractionPercent)) / 100;
    } else if (c.kind === 'disconnected') this.tissuePg += amountPg;
  }
  direct(_a: number, route: 'spine' | 'tissue', _v: number, amountPg: number): void {
    if (route === 'spine') this.spinePg += amountPg;
    else this.tissuePg += amountPg;
  }
  advanceTo(): void {}
  truth(): PatientTruth {
    return { state: 'well', signs: [], detail: { spinePg: this.spinePg, tissuePg: this.tissuePg } };
  }
}

function world(model: PumpModelId = 'thecal-20', patient: PatientPort | null = null): FaultWorld {
  const pump = Pump.manufacture({ serial: 'W-1', model, atMs: T0 });
  setUp(pump);
  const mem = PumpMemory.blank();
  mem.save(pump);
  return new FaultWorld(pump, mem, patient, T0);
}

describe('fault schema', () => {
  it('refuses a malformed fault with the path and the reason', () => {
    const cases: [unknown, RegExp][] = [
      [{ kind: 'meteor' }, /kind must be one of/],
      [{ kind: 'leak', fractionPercent: 150 }, /fractionPercent/],
      [{ kind: 'leak', fractionPercent: 12.5 }, /whole percent/],
      [{ kind: 'motor-stall' }, /recoveryDelayMs/],
      [{ kind: 'clock-drift', ppm: 0 }, /ppm must not be 0/],
      [{ kind: 'occlusion', extra: 1 }, /extra|Unrecognized/i],
      [{ kind: 'mri', fieldMs: -1, recoveryDelayMs: 0 }, /fieldMs cannot be negative/],
      [null, /./],
    ];
    for (const [input, why] of cases) {
      const r = parseFault(input);
      assert.equal(r.ok, false, JSON.stringify(input));
      if (!r.ok) assert.match(r.errors.join('; '), why, JSON.stringify(input));
    }
    assert.deepEqual(parseFault({ kind: 'motor-stall', recoveryDelayMs: null }), { ok: true, fault: { kind: 'motor-stall', recoveryDelayMs: null } });
  });
});

describe('the world around the pump', () => {
  it('tells its truth in the shape the control port promises, whatever faults it carries, with a virtual patient', () => {
    const w = new FaultWorld(...((): [Pump, PumpMemory] => {
      const pump = Pump.manufacture({ serial: 'W-2', model: 'thecal-40', atMs: T0 });
      setUp(pump);
      const mem = PumpMemory.blank();
      mem.save(pump);
      return [pump, mem];
    })(), new VirtualPatientPort({ seed: 7, drugId: 'baclofen', startMs: T0, catheterVolumeNl: 150_000, fillConcentrationMcgPerMl: 500, steadyDailyPg: 500_000_000 }), T0);
    const check = (what: string) => {
      const r = checkAnswer(WorldTruthSchema, JSON.parse(JSON.stringify(w.truth())));
      assert.ok(r.ok, `${what}: ${r.ok ? '' : r.errors.join('; ')}`);
    };
    check('at the start');
    for (const [i, fault] of Object.values(FAULT_EXAMPLES).entries()) {
      w.advanceTo(T0 + (i + 1) * MS_PER_HOUR);
      if (fault.kind === 'pocket-fill' || fault.kind === 'access-port-injection') continue;
      w.inject(fault);
      check(`after ${fault.kind}`);
    }
    w.advanceTo(T0 + 3 * MS_PER_DAY);
    check('days later');
  });

  it('an occluded catheter keeps the drug in the reservoir: the pump does not know, the next refill flags the residual', () => {
    const patient = new RecordingPatient();
    const w = world('thecal-20', patient);
    w.advanceTo(T0 + MS_PER_DAY);
    const spineBefore = patient.spinePg;
    assert.ok(spineBefore > 0);
    assert.ok(w.inject({ kind: 'occlusion' }).ok);
    w.advanceTo(T0 + 4 * MS_PER_DAY);
    assert.equal(patient.spinePg, spineBefore, 'nothing reaches the spine');
    const t = w.truth();
    assert.ok(t.trueReservoirNl - t.believedReservoirNl >= 2_900_000, `true ${t.trueReservoirNl} believed ${t.believedReservoirNl}`);
    assert.equal(w.pump.status().therapy.running, true, 'the pump believes it delivers');
    const r = w.refill('r1', { filledNl: 20 * NL_PER_ML, drugId: 'baclofen', concentrationMcgPerMl: 500 });
    assert.deepEqual(r, { ok: true, discrepancyFlagged: true });
  });

  it('a leak and a disconnection send drug to tissue; a repair sends it back to the spine', () => {
    const patient = new RecordingPatient();
    const w = world('thecal-20', patient);
    assert.ok(w.inject({ kind: 'disconnection' }).ok);
    w.advanceTo(T0 + MS_PER_DAY);
    assert.equal(patient.spinePg, 0);
    assert.ok(patient.tissuePg > 400_000_000);
    assert.ok(w.inject({ kind: 'catheter-repair' }).ok);
    assert.ok(w.inject({ kind: 'leak', fractionPercent: 25 }).ok);
    w.advanceTo(T0 + 2 * MS_PER_DAY);
    assert.ok(patient.spinePg > 0.7 * 500_000_000 && patient.spinePg < 0.8 * 500_000_000, `spine ${patient.spinePg}`);
  });

  it('a pocket fill leaves the reservoir truly empty while the pump believes it full; an access-port injection goes straight to the spine', () => {
    const patient = new RecordingPatient();
    const w = world('thecal-20', patient);
    w.advanceTo(T0 + MS_PER_DAY);
    const r = w.refill('r1', { filledNl: 20 * NL_PER_ML, drugId: 'baclofen', concentrationMcgPerMl: 500 }, { kind: 'pocket-fill', pocketPercent: 100 });
    assert.ok(r.ok);
    assert.equal(w.truth().trueReservoirNl, 0);
    assert.equal(w.truth().believedReservoirNl, 20 * NL_PER_ML);
    assert.equal(patient.tissuePg, 20 * NL_PER_ML * 500);
    const spine = patient.spinePg;
    w.advanceTo(T0 + 3 * MS_PER_DAY);
    assert.equal(patient.spinePg, spine, 'an empty reservoir pumps nothing');
    assert.ok(w.refill('r2', { filledNl: 20 * NL_PER_ML, drugId: 'baclofen', concentrationMcgPerMl: 500 }, { kind: 'access-port-injection', volumeNl: 1_000_000 }).ok);
    assert.equal(patient.spinePg, spine + 1_000_000 * 500);
    assert.equal(w.truth().trueReservoirNl, 19 * NL_PER_ML);
  });

  it('memory corruption and a low-battery reset restart the pump from memory, with the alarm its self-test raises', () => {
    const w = world();
    let replaced = 0;
    w.onPumpReplaced = () => (replaced += 1);
    w.advanceTo(T0 + MS_PER_HOUR);
    assert.ok(w.inject({ kind: 'memory-corruption', banks: 'newest' }).ok);
    assert.equal(w.lastSelfTest?.settings, 'degraded');
    assert.ok(w.pump.status().alarms.some((a) => a.code === 'memory-error'));
    assert.equal(w.pump.status().therapy.running, true, 'the older copy keeps the therapy');
    assert.ok(w.inject({ kind: 'low-battery-reset' }).ok);
    assert.ok(w.pump.status().alarms.some((a) => a.code === 'low-battery-reset'));
    const trueBefore = w.truth().trueReservoirNl;
    assert.ok(w.inject({ kind: 'memory-corruption', banks: 'both' }).ok);
    assert.equal(w.pump.status().therapy.suspendedBy, 'safe-state');
    // The pump lost its record of the reservoir; the drug is still there.
    assert.equal(w.pump.status().reservoir.volumeNl, 0);
    assert.equal(w.truth().trueReservoirNl, trueBefore);
    assert.ok(w.truth().timeline.some((e) => e.source === 'pump' && e.text === 'alarm memory-error raised'), 'the restart\'s alarms are on the timeline');
    assert.equal(replaced, 3);
  });

  it('clock drift: the pump clock runs off true time at the drift rate', () => {
    const w = world();
    assert.ok(w.inject({ kind: 'clock-drift', ppm: 1000 }).ok);
    w.advanceTo(T0 + 10 * MS_PER_DAY);
    const t = w.truth();
    assert.ok(Math.abs(t.clockErrorMs - 10 * 86_400) <= 2, `clock error ${t.clockErrorMs} ms`);
  });
});

describe('live fault injection on the virtual pump', () => {
  it('POST /fault injects (400 with the reasons for a bad one), GET /truth shows the ground truth, a restart rewires the radio', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'thecal-faults-'));
    const running = await startVirtualPump({ serial: 'TH-FAULT-1', dataDir: dir, speed: 3600, tickMs: 20, setUp: (p) => setUp(p, 1_000_000) });
    try {
      const post = (body: unknown) => fetch(`${running.controlUrl}/fault`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const bad = await post({ kind: 'leak', fractionPercent: 0 });
      assert.equal(bad.status, 400);
      const badBody = (await bad.json()) as { issues: string[] };
      assert.match(badBody.issues.join(), /fractionPercent/);
      assert.equal((await fetch(`${running.controlUrl}/fault`, { method: 'POST', body: '{not json' })).status, 400);

      const ok = await post({ kind: 'occlusion' });
      assert.equal(ok.status, 200);
      const armed = (await (await post({ kind: 'pocket-fill', pocketPercent: 50 })).json()) as { armed: boolean };
      assert.equal(armed.armed, true);
      assert.equal((await post({ kind: 'memory-corruption', banks: 'newest' })).status, 200);
      assert.equal(running.radio.pump, running.pump(), 'the radio talks to the restarted pump');
      await new Promise((r) => setTimeout(r, 300));
      // The answer is checked with the schema the instructor page reads it with.
      const answer = checkAnswer(TruthAnswerSchema, await (await fetch(`${running.controlUrl}/truth`)).json());
      assert.ok(answer.ok, answer.ok ? '' : answer.errors.join('; '));
      const truth = answer.value;
      assert.equal(truth.catheter.kind, 'occluded');
      assert.deepEqual(truth.faults.map((f) => f.fault.kind), ['occlusion', 'memory-corruption']);
      assert.ok(truth.pump.alarms.includes('memory-error'));
      assert.equal(truth.refillFaultArmed?.kind, 'pocket-fill');
      assert.ok(truth.trueReservoirNl > truth.believedReservoirNl, 'the occluded catheter kept drug in the reservoir');
    } finally {
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
