import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DRUG_IDS, MS_PER_HOUR, seededUniform } from '@thecal/pump-core';
import { EFFECT_TABLES } from './effect-table.ts';
import { bolusCurve, bolusTimings } from './effect-timing.ts';
import { drawPatient, validatePatientParams, type PatientParams } from './params.ts';
import { VirtualPatient, type PatientEvent } from './patient.ts';

const H = MS_PER_HOUR;
const PATH_NL = 300_000;

/** Events without their times, and their times, for comparing two runs. */
function shapeOf(events: readonly PatientEvent[]): { kinds: string[]; times: number[] } {
  const kept = events.filter((e) => e.type !== 'injection' && e.type !== 'catheter-fault');
  return {
    kinds: kept.map((e) => `${e.type}:${'sign' in e ? e.sign : ''}:${'to' in e ? e.to : ''}`),
    times: kept.map((e) => e.atMs),
  };
}

describe('withdrawal after a stop (DOMAIN 3: baclofen withdrawal starts 1-3 days after a stop)', () => {
  // Baclofen: DOMAIN 3 (1-3 days). Opioids: within 12-72 h (assumption, docs/patient-model.md).
  const FIRST_SIGN_H = { baclofen: [24, 72], morphine: [12, 72], hydromorphone: [12, 72] } as const;
  for (const drugId of ['baclofen', 'morphine', 'hydromorphone'] as const) {
    const [lo, hi] = FIRST_SIGN_H[drugId];
    it(`${drugId}: the first sign ${lo}-${hi} h after the stop, the returning symptom before it${drugId === 'baclofen' ? ', fever after it' : ''}`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 0x7fff_ffff }), fc.constantFrom(...EFFECT_TABLES[drugId].map((r) => r[0])), (seed, halfLife) => {
          const params = drawPatient(seededUniform(seed), { drugId, csfHalfLifeH: halfLife });
          const p = new VirtualPatient(params, { startMs: 0, catheter: { deadVolumeNl: PATH_NL }, steadyDailyPg: params.maintenanceDailyPg });
          assert.equal(p.state().condition, 'therapeutic');
          p.advanceTo(6 * 24 * H);
          const began = p.drainEvents().filter((e) => e.type === 'sign-began');
          const returning = began.find((e) => e.type === 'sign-began' && (e.sign === 'returning-spasticity' || e.sign === 'returning-pain'));
          const first = began.find((e) => e.type === 'sign-began' && e.kind === 'withdrawal' && e !== returning);
          assert.ok(first !== undefined && returning !== undefined, 'no withdrawal sign after a stop');
          assert.ok(first.atMs >= lo * H && first.atMs <= hi * H, `first withdrawal sign at ${(first.atMs / H).toFixed(1)} h (half-life ${halfLife} h)`);
          assert.ok(returning.atMs <= first.atMs);
          if (drugId === 'baclofen') {
            const fever = began.find((e) => e.type === 'sign-began' && e.sign === 'fever');
            assert.ok(fever !== undefined && fever.atMs > first.atMs, 'fever should follow the early signs');
          }
          assert.equal(p.state().episodes.withdrawal, 1);
          assert.ok(p.state().effect.score > params.baselineScore - 0.5, 'the symptoms return');
        }),
        { numRuns: 20 },
      );
    });
  }

  it('ziconotide: stopping brings the pain back but no withdrawal (Prialt label)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 0x7fff_ffff }), (seed) => {
        const params = drawPatient(seededUniform(seed), { drugId: 'ziconotide' });
        const p = new VirtualPatient(params, { startMs: 0, catheter: { deadVolumeNl: PATH_NL }, steadyDailyPg: params.maintenanceDailyPg });
        p.advanceTo(6 * 24 * H);
        const events = p.drainEvents();
        assert.ok(events.some((e) => e.type === 'sign-began' && e.sign === 'returning-pain'));
        assert.ok(!events.some((e) => e.type === 'condition-changed' && e.to === 'withdrawal'));
        assert.equal(p.state().episodes.withdrawal, 0);
      }),
      { numRuns: 15 },
    );
  });
});

describe('overdose signs per drug (DOMAIN 3, Prialt label)', () => {
  it('opioids: drowsiness, then breathing depression; ziconotide: dizziness, confusion, hallucinations, no breathing depression', () => {
    for (const drugId of ['morphine', 'hydromorphone', 'ziconotide'] as const) {
      const params = drawPatient(seededUniform(21), { drugId });
      const p = new VirtualPatient(params, { startMs: 0, catheter: { deadVolumeNl: PATH_NL }, steadyDailyPg: params.maintenanceDailyPg });
      // A tenfold day's dose at once into the CSF (an access-port injection by mistake).
      p.inject(H, 'csf', 10 * params.maintenanceDailyPg);
      p.advanceTo(48 * H);
      const signs = p.drainEvents().flatMap((e) => (e.type === 'sign-began' && e.kind === 'overdose' ? [e.sign] : []));
      if (drugId === 'ziconotide') {
        assert.ok(signs.includes('dizziness') && signs.includes('confusion') && signs.includes('hallucinations'), signs.join(','));
        assert.ok(!signs.includes('breathing-difficulty'));
      } else {
        assert.ok(signs.includes('drowsiness') && signs.includes('breathing-difficulty'), `${drugId}: ${signs.join(',')}`);
        assert.ok(signs.indexOf('drowsiness') < signs.indexOf('breathing-difficulty'));
      }
    }
  });
});

/** A CSF bolus that, on top of the steady maintenance level, peaks `graze` above the first overdose threshold. */
function grazingBolusPg(params: PatientParams, therapeuticPg: number, graze: number): number {
  const first = Math.min(...Object.values(params.overdoseAtExposure));
  const shape = { csfHalfLifeH: params.csfHalfLifeH, effectRatePerH: params.effectRatePerH, cordRatePerH: params.cordRatePerH, cordWeight: params.cordWeight };
  const unitPeak = bolusTimings(bolusCurve(shape, 48, 0.001), 0.5, 0.001).peakLevel;
  return (((first - 1) * therapeuticPg) / unitPeak) * (1 + graze);
}

describe('step size does not change what happens (issue 7, gap 4)', () => {
  const segment = fc.record({
    hours: fc.double({ min: 0.2, max: 30, noNaN: true }),
    /** Daily dose during the segment, as a multiple of the maintenance dose. */
    perMaintenance: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 6, noNaN: true })),
    /** A bolus into the CSF at the segment's start, as a multiple of the screening dose (0: none). */
    bolus: fc.oneof(fc.constant(0), fc.constant(0), fc.double({ min: 0, max: 12, noNaN: true })),
  });

  it('the same delivery in one piece per segment, or cut into many small pieces, gives the same events within 1 s', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 0x7fff_ffff }),
        fc.constantFrom(...DRUG_IDS),
        fc.array(segment, { minLength: 1, maxLength: 8 }),
        fc.double({ min: 0.01, max: 4, noNaN: true }),
        fc.option(fc.double({ min: 1e-4, max: 0.05, noNaN: true })),
        (seed, drugId, segments, smallH, graze) => {
          const params = drawPatient(seededUniform(seed), { drugId });
          const conc = 500;
          const make = () => new VirtualPatient(params, { startMs: 0, catheter: { deadVolumeNl: PATH_NL, fillConcentrationMcgPerMl: conc }, steadyDailyPg: params.maintenanceDailyPg });
          const big = make();
          const small = make();
          // A first bolus whose peak just grazes the first overdose threshold: a short overdose, the hard case.
          if (graze !== null) for (const p of [big, small]) p.inject(0, 'csf', grazingBolusPg(params, big.therapeuticLevelPg, graze));
          let t = 0;
          // With a grazing bolus the maintenance infusion goes on for 12 h, so the peak sits on the steady level.
          const plan = graze === null ? segments : [{ hours: 12, perMaintenance: 1, bolus: 0 }, ...segments];
          for (const s of plan) {
            const ms = Math.max(1, Math.round(s.hours * H));
            const nlPerMs = (s.perMaintenance * params.maintenanceDailyPg) / conc / (24 * H);
            for (const p of [big, small]) if (s.bolus > 0) p.inject(t, 'csf', s.bolus * params.screeningDosePg);
            const feed = (p: VirtualPatient, from: number, to: number) => (nlPerMs === 0 ? p.advanceTo(to) : p.receive(from, to, (to - from) * nlPerMs, conc));
            feed(big, t, t + ms);
            const stepMs = Math.max(1, Math.round(smallH * H));
            for (let u = t; u < t + ms; u += stepMs) feed(small, u, Math.min(t + ms, u + stepMs));
            t += ms;
          }
          const a = shapeOf(big.drainEvents());
          const b = shapeOf(small.drainEvents());
          assert.deepEqual(b.kinds, a.kinds);
          a.times.forEach((at, i) => assert.ok(Math.abs(at - (b.times[i] as number)) <= 1000, `${a.kinds[i]} at ${at} vs ${b.times[i]} ms`));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a bolus that takes the level only 0.01 % past the overdose threshold is caught within one 24 h step', () => {
    const params = drawPatient(seededUniform(3), { drugId: 'morphine' });
    const conc = 10_000;
    const p = new VirtualPatient(params, { startMs: 0, catheter: { deadVolumeNl: PATH_NL, fillConcentrationMcgPerMl: conc }, steadyDailyPg: params.maintenanceDailyPg });
    p.inject(0, 'csf', grazingBolusPg(params, p.therapeuticLevelPg, 1e-4));
    p.receive(0, 24 * H, params.maintenanceDailyPg / conc, conc);
    const od = p.drainEvents().filter((e) => e.type === 'condition-changed' && (e.to === 'overdose' || e.from === 'overdose'));
    assert.equal(od.length, 2, 'one overdose episode, begun and ended, inside one 24 h step');
  });
});

describe('the catheter path', () => {
  it('delays a concentration change by exactly its dead volume', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1_000, max: 2_000_000 }), fc.integer({ min: 100, max: 5_000_000 }), (deadNl, rateNlPerDay) => {
        const params = drawPatient(seededUniform(7), { drugId: 'baclofen', csfHalfLifeH: 2 });
        const p = new VirtualPatient(params, { startMs: 0, catheter: { deadVolumeNl: deadNl, fillConcentrationMcgPerMl: 500 } });
        // New drug at 2000 mcg/mL enters; until one dead volume has been pushed only the old reaches the tip.
        const msForDead = Math.ceil((deadNl / rateNlPerDay) * 24 * H);
        const pushNl = (ms: number) => (ms * rateNlPerDay) / (24 * H);
        // Just short of one dead volume (1 nL short: finer than that is below float resolution at slow rates).
        const before = Math.max(0, Math.floor(((deadNl - 1) / rateNlPerDay) * 24 * H));
        if (before > 0) p.receive(0, before, pushNl(before), 2000);
        assert.ok(Math.abs(p.state().totals.csfPg - pushNl(before) * 500) <= 1e-6 * Math.max(1, pushNl(before) * 500));
        assert.equal(p.state().catheter.tipConcentrationMcgPerMl, 500);
        const rest = 2 * msForDead + 2;
        p.receive(p.nowMs, p.nowMs + rest, pushNl(rest), 2000);
        assert.equal(p.state().catheter.tipConcentrationMcgPerMl, 2000);
        const pushed = p.state().totals.receivedNl;
        const expected = deadNl * 500 + (pushed - deadNl) * 2000;
        assert.ok(Math.abs(p.state().totals.csfPg - expected) <= 1e-6 * expected, `${p.state().totals.csfPg} vs ${expected}`);
      }),
      { numRuns: 60 },
    );
  });

  it('an occlusion stops delivery to the CSF (the pump is not told) and keeps the pumped volume back', () => {
    const params = drawPatient(seededUniform(11), { drugId: 'baclofen', csfHalfLifeH: 3 });
    const p = new VirtualPatient(params, { startMs: 0, catheter: { deadVolumeNl: PATH_NL, fillConcentrationMcgPerMl: 500 }, steadyDailyPg: params.maintenanceDailyPg });
    const nlPerH = params.maintenanceDailyPg / 500 / 24;
    p.receive(0, 2 * H, 2 * nlPerH, 500);
    const csfBefore = p.state().totals.csfPg;
    const amountBefore = p.state().csfAmountPg;
    p.setCatheterFault(2 * H, { kind: 'occlusion' });
    p.receive(2 * H, 26 * H, 24 * nlPerH, 500);
    const s = p.state();
    assert.equal(s.totals.csfPg, csfBefore);
    assert.ok(Math.abs(s.catheter.blockedNl - 24 * nlPerH) < 1e-6);
    assert.ok(s.csfAmountPg < amountBefore / 100, 'the CSF empties');
    assert.notEqual(s.condition, 'therapeutic');
    p.setCatheterFault(26 * H, null);
    p.receive(26 * H, 27 * H, nlPerH, 500);
    assert.ok(p.state().totals.csfPg > csfBefore, 'flow resumes after the repair');
  });

  it('a disconnection moves the whole dose into tissue, a leak a fraction of it', () => {
    const params = drawPatient(seededUniform(12), { drugId: 'morphine', csfHalfLifeH: 2 });
    const p = new VirtualPatient(params, { startMs: 0, catheter: { deadVolumeNl: PATH_NL, fillConcentrationMcgPerMl: 10_000 } });
    p.setCatheterFault(0, { kind: 'disconnection' });
    p.receive(0, 10 * H, 100_000, 10_000);
    let s = p.state();
    assert.equal(s.totals.csfPg, 0);
    assert.equal(s.totals.tissuePg, 100_000 * 10_000);
    assert.ok(s.bloodPg > 0, 'absorbed from tissue into the blood');
    p.setCatheterFault(10 * H, { kind: 'leak', fraction: 0.25 });
    p.receive(10 * H, 20 * H, 1_000_000, 10_000);
    s = p.state();
    assert.ok(Math.abs(s.totals.tissuePg - (100_000 + 250_000) * 10_000) < 1);
    // The rest goes on to the tip, pushing out the catheter's contents first (same concentration here).
    assert.ok(Math.abs(s.totals.csfPg - 750_000 * 10_000) < 1);
    assert.throws(() => p.setCatheterFault(20 * H, { kind: 'leak', fraction: 1.5 }), /fraction must be between 0 and 1/);
  });

  it('a pocket fill of a full baclofen refill is an overdose within hours, with timed signs', () => {
    const params = drawPatient(seededUniform(13), { drugId: 'baclofen', csfHalfLifeH: 2.5 });
    const p = new VirtualPatient(params, { startMs: 0, catheter: { deadVolumeNl: PATH_NL }, steadyDailyPg: params.maintenanceDailyPg });
    p.inject(H, 'tissue', 20 * 2000 * 1_000_000); // 20 mL of 2000 mcg/mL
    p.advanceTo(12 * H);
    const events = p.drainEvents();
    const od = events.find((e) => e.type === 'condition-changed' && e.to === 'overdose');
    assert.ok(od !== undefined && od.atMs > H && od.atMs < 6 * H, `overdose at ${od?.atMs}`);
    const signs = events.filter((e) => e.type === 'sign-began' && e.kind === 'overdose');
    assert.ok(signs.some((e) => e.type === 'sign-began' && e.sign === 'drowsiness'));
    for (let i = 1; i < signs.length; i++) assert.ok((signs[i]?.atMs ?? 0) >= (signs[i - 1]?.atMs ?? 0));
  });
});

describe('the exact solution', () => {
  it('agrees with a fine-step numerical integration (RK4, 0.36 s steps) to 1e-6 relative', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.double({ min: 0, max: 1e8, noNaN: true }), fc.double({ min: 0.1, max: 12, noNaN: true }), (seed, ratePgPerH, hours) => {
        const params = drawPatient(seededUniform(seed), { drugId: 'baclofen' });
        const p = new VirtualPatient(params, { startMs: 0, catheter: { deadVolumeNl: 1_000, fillConcentrationMcgPerMl: 1 }, steadyDailyPg: params.maintenanceDailyPg / 3 });
        const s0 = p.state();
        // Reference: the ODEs of docs/patient.md, integrated with RK4.
        const k = [Math.LN2 / params.csfHalfLifeH, params.effectRatePerH, params.cordRatePerH, Math.LN2 / params.adaptationHalfLifeH];
        const f = (x: number[]) => [ratePgPerH - k[0]! * x[0]!, k[1]! * (x[0]! - x[1]!), k[2]! * (x[1]! - x[2]!), k[3]! * (x[2]! - x[3]!)];
        let x = [s0.csfAmountPg, s0.csfAmountPg, s0.csfAmountPg, s0.csfAmountPg];
        const dt = 0.0001;
        const n = Math.round(hours / dt);
        for (let i = 0; i < n; i++) {
          const a = f(x);
          const b = f(x.map((v, j) => v + (dt / 2) * a[j]!));
          const c = f(x.map((v, j) => v + (dt / 2) * b[j]!));
          const d = f(x.map((v, j) => v + dt * c[j]!));
          x = x.map((v, j) => v + (dt / 6) * (a[j]! + 2 * b[j]! + 2 * c[j]! + d[j]!));
        }
        // Deliver exactly ratePgPerH at the tip: 1 mcg/mL = 1 pg/nL.
        p.receive(0, Math.round(n * dt * H), ratePgPerH * n * dt, 1);
        const s = p.state();
        const level = (1 - params.cordWeight) * x[1]! + params.cordWeight * x[2]!;
        const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));
        assert.ok(rel(s.csfAmountPg, x[0]!) < 1e-6, `CSF ${s.csfAmountPg} vs ${x[0]}`);
        assert.ok(rel(s.drivingLevelPg, level) < 1e-6, `level ${s.drivingLevelPg} vs ${level}`);
        assert.ok(rel(s.adaptedLevelPg, x[3]!) < 1e-6, `adapted ${s.adaptedLevelPg} vs ${x[3]}`);
      }),
      { numRuns: 15 },
    );
  });
});

describe('parameters', () => {
  it('the same generator state draws the same patient; every drawn patient is valid', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), (seed) => {
        const a = drawPatient(seededUniform(seed));
        const b = drawPatient(seededUniform(seed));
        assert.deepEqual(a, b);
        validatePatientParams(a);
        assert.ok(a.maintenanceDailyPg > 0);
      }),
      { numRuns: 100 },
    );
  });

  it('refuses bad parameters and inputs, saying which and why', () => {
    const good = drawPatient(seededUniform(5), { drugId: 'baclofen' });
    const bad = (over: Partial<PatientParams>) => ({ ...good, ...over });
    assert.throws(() => validatePatientParams(bad({ csfHalfLifeH: -1 })), /csfHalfLifeH must be a positive number of hours/);
    assert.throws(() => validatePatientParams(bad({ cordWeight: 1 })), /cordWeight must be from 0 to below 1/);
    assert.throws(() => validatePatientParams(bad({ baselineScore: 5 })), /scores need 0 <= best <= baseline <= 4/);
    assert.throws(() => drawPatient(seededUniform(1), { drugId: 'baclofen', csfHalfLifeH: 0.95 }), /not on the fitted baclofen grid/);
    const p = new VirtualPatient(good, { startMs: 1000, catheter: { deadVolumeNl: PATH_NL } });
    assert.throws(() => p.receive(0, 2000, 10, 500), /starts before the patient's time/);
    assert.throws(() => p.receive(1000, 2000, -1, 500), /volume must be >= 0 nL/);
    assert.throws(() => p.advanceTo(10), /time went backwards/);
    assert.throws(() => new VirtualPatient(good, { startMs: 0, catheter: { deadVolumeNl: 0 } }), /dead volume must be a positive whole number/);
  });
});
