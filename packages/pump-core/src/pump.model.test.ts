/**
 * Model-based tests: random command sequences run against the pump and against a small model
 * that knows only the rules (therapy on or off, lockout, count, what is staged). After every
 * command the pump's answer and state must agree with the model.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Pump } from './pump.ts';
import type { Prescription } from './program.ts';
import { MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE, NL_PER_ML, PG_PER_MG } from './units.ts';
import { T0, morphineRx, program } from './testing/fixtures.ts';

interface Model {
  nowMs: number;
  therapyOn: boolean;
  rx: Prescription;
  staged: { id: number; rx: Prescription } | null;
  /** Start and end of every granted patient bolus (a stop ends a running one early). */
  boluses: { start: number; end: number }[];
  commandSeq: number;
}
interface Real {
  pump: Pump;
}

const RX_A = morphineRx({ kind: 'continuous', rateNlPerDay: 300_000 }, { volumeNl: 10_000, durationMs: 5 * MS_PER_MINUTE, lockoutMs: 45 * MS_PER_MINUTE, maxPer24h: 5 }, { maxDailyDosePg: 10 * PG_PER_MG });
const RX_B = morphineRx(
  {
    kind: 'flex',
    dayPrograms: [{ name: 'd', steps: [{ startMinute: 0, rateNlPerDay: 250_000 }, { startMinute: 600, rateNlPerDay: 350_000 }] }],
    week: [0, 0, 0, 0, 0, 0, 0],
  },
  { volumeNl: 15_000, durationMs: 10 * MS_PER_MINUTE, lockoutMs: 90 * MS_PER_MINUTE, maxPer24h: 3 },
  { maxDailyDosePg: 10 * PG_PER_MG },
);

const id = (m: Model) => `m-${++m.commandSeq}`;

class Advance implements fc.Command<Model, Real> {
  constructor(readonly ms: number) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const before = r.pump.status().delivered.totalNl;
    m.nowMs += this.ms;
    r.pump.advanceTo(m.nowMs);
    const after = r.pump.status().delivered.totalNl;
    if (m.therapyOn) assert.ok(after >= before);
    else assert.equal(after, before, 'a stopped pump delivered');
    assert.equal(r.pump.status().therapy.running, m.therapyOn);
  }
  toString = () => `advance(${this.ms})`;
}

class PatientBolus implements fc.Command<Model, Real> {
  check = () => true;
  run(m: Model, r: Real): void {
    const res = r.pump.execute(m.nowMs, id(m), { type: 'patient-bolus' });
    const pb = m.rx.patientBolus;
    assert.ok(pb !== null);
    const last = m.boluses[m.boluses.length - 1]?.start;
    const counted = m.boluses.filter((b) => b.end > m.nowMs - MS_PER_DAY).length;
    let expected: string;
    if (!m.therapyOn) expected = 'therapy-stopped';
    else if (last !== undefined && m.nowMs - last < pb.lockoutMs) expected = 'lockout';
    else if (counted >= pb.maxPer24h) expected = 'count-24h-reached';
    else expected = 'ok';
    assert.equal(res.ok ? 'ok' : res.reason, expected);
    if (res.ok) m.boluses.push({ start: m.nowMs, end: m.nowMs + pb.durationMs });
  }
  toString = () => 'patientBolus';
}

class Stage implements fc.Command<Model, Real> {
  constructor(readonly which: 'A' | 'B') {}
  check = () => true;
  run(m: Model, r: Real): void {
    const rx = this.which === 'A' ? RX_A : RX_B;
    const before = r.pump.status();
    const res = r.pump.execute(m.nowMs, id(m), { type: 'stage', changes: { prescription: rx } });
    assert.ok(res.ok, !res.ok ? res.message : '');
    m.staged = { id: res.detail['stagedId'] as number, rx };
    const after = r.pump.status();
    // Staging changes nothing that runs.
    assert.deepEqual(after.prescription, before.prescription);
    assert.equal(after.therapy.currentRateNlPerDay, before.therapy.currentRateNlPerDay);
  }
  toString = () => `stage(${this.which})`;
}

class Commit implements fc.Command<Model, Real> {
  check = () => true;
  run(m: Model, r: Real): void {
    const stagedId = m.staged?.id ?? 12345;
    const res = r.pump.execute(m.nowMs, id(m), { type: 'commit', stagedId, acknowledgedSoftLimits: [] });
    if (m.staged === null) {
      assert.equal(!res.ok && res.reason, 'nothing-staged');
      return;
    }
    assert.ok(res.ok, !res.ok ? `${res.reason}: ${res.message}` : '');
    m.rx = m.staged.rx;
    m.staged = null;
    m.therapyOn = true;
    assert.deepEqual(r.pump.status().prescription, m.rx);
  }
  toString = () => 'commit';
}

class Abort implements fc.Command<Model, Real> {
  check = () => true;
  run(m: Model, r: Real): void {
    const before = r.pump.status().prescription;
    const res = r.pump.execute(m.nowMs, id(m), { type: 'abort-staged' });
    assert.equal(res.ok, m.staged !== null);
    m.staged = null;
    assert.deepEqual(r.pump.status().prescription, before);
    assert.equal(r.pump.status().staged, null);
  }
  toString = () => 'abort';
}

class Stop implements fc.Command<Model, Real> {
  check = () => true;
  run(m: Model, r: Real): void {
    assert.ok(r.pump.execute(m.nowMs, id(m), { type: 'stop-therapy' }).ok);
    m.therapyOn = false;
    for (const b of m.boluses) if (b.end > m.nowMs) b.end = m.nowMs;
  }
  toString = () => 'stop';
}

class Resume implements fc.Command<Model, Real> {
  check = () => true;
  run(m: Model, r: Real): void {
    assert.ok(r.pump.execute(m.nowMs, id(m), { type: 'resume-therapy' }).ok);
    m.therapyOn = true;
  }
  toString = () => 'resume';
}

class Retry implements fc.Command<Model, Real> {
  check = (m: Readonly<Model>) => m.commandSeq > 0;
  run(m: Model, r: Real): void {
    // Re-sending the last command id returns the same answer and changes nothing.
    const lastId = `m-${m.commandSeq}`;
    const before = JSON.stringify(r.pump.status());
    const first = r.pump.outcomeOf(lastId);
    const again = r.pump.execute(m.nowMs, lastId, { type: 'patient-bolus' });
    assert.deepEqual(again, first);
    assert.equal(JSON.stringify(r.pump.status()), before);
  }
  toString = () => 'retry-last';
}

describe('model-based: random command sequences agree with the rules', () => {
  it('stage / commit / abort / stop / resume / patient bolus / retry / time', () => {
    const commands = [
      fc.integer({ min: 1, max: 12 * MS_PER_HOUR }).map((ms) => new Advance(ms)),
      fc.integer({ min: 44, max: 46 }).map((min) => new Advance(min * MS_PER_MINUTE)),
      fc.constant(new PatientBolus()),
      fc.constant(new PatientBolus()),
      fc.constantFrom<'A' | 'B'>('A', 'B').map((w) => new Stage(w)),
      fc.constant(new Commit()),
      fc.constant(new Abort()),
      fc.constant(new Stop()),
      fc.constant(new Resume()),
      fc.constant(new Retry()),
    ];
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 80 }), (cmds) => {
        const pump = Pump.manufacture({ serial: 'M', model: 'thecal-40', atMs: T0 });
        program(pump, T0, { refill: { withdrawnNl: 0, filledNl: 40 * NL_PER_ML, drugId: 'morphine', concentrationMcgPerMl: 10_000 }, prescription: RX_A });
        const model: Model = { nowMs: T0, therapyOn: true, rx: RX_A, staged: null, boluses: [], commandSeq: 0 };
        fc.modelRun(() => ({ model, real: { pump } }), cmds);
        assert.notEqual(pump.status().therapy.suspendedBy, 'safe-state');
      }),
      { numRuns: Number(process.env['THECAL_PROPERTY_RUNS'] ?? 60) },
    );
  });
});
