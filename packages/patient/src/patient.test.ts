import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MS_PER_HOUR, seededUniform } from '@thecal/pump-core';
import { EFFECT_TABLE } from './effect-table.ts';
import { PERCEPTIBLE_EFFECT, effectOf } from './effect-timing.ts';
import { drawPatient, validatePatientParams, type PatientParams } from './params.ts';
import { VirtualPatient } from './patient.ts';

const H = MS_PER_HOUR;
const PATH_NL = 300_000;
const HALF_LIVES = EFFECT_TABLE.map((r) => r[0]);
const FULL_FIT = new Set(EFFECT_TABLE.filter((r) => r[5] === 1).map((r) => r[0]));

const baclofenPatient = fc
  .record({ seed: fc.integer({ min: 1, max: 0x7fff_ffff }), halfLife: fc.constantFrom(...HALF_LIVES) })
  .map(({ seed, halfLife }) => drawPatient(seededUniform(seed), { drugId: 'baclofen', csfHalfLifeH: halfLife }));

/** Samples the effect every `stepH` hours while `drive` feeds the patient; returns [hours, fraction][]. */
function effectCurve(p: VirtualPatient, untilH: number, stepH: number, drive: (fromMs: number, toMs: number) => void): [number, number][] {
  const out: [number, number][] = [[0, p.state().effect.fraction]];
  const t0 = p.nowMs;
  for (let t = stepH; t <= untilH + 1e-9; t += stepH) {
    const to = t0 + Math.round(t * H);
    drive(p.nowMs, to);
    out.push([t, p.state().effect.fraction]);
  }
  return out;
}

describe('published baclofen timings (DOMAIN 3, Lioresal label), across the parameter range', () => {
  it('a screening bolus: onset 0.5-1 h, peak 3-5 h ("about 4 h"), effect lasting 4-8 h', () => {
    fc.assert(
      fc.property(baclofenPatient, (params) => {
        const p = new VirtualPatient(params, { startMs: 0, catheter: { deadVolumeNl: PATH_NL } });
        p.inject(0, 'csf', params.screeningDosePg);
        const curve = effectCurve(p, 16, 0.02, (_f, to) => p.advanceTo(to));
        const on = curve.find(([, e]) => e >= PERCEPTIBLE_EFFECT);
        assert.ok(on !== undefined, 'the screening bolus never became perceptible');
        const peak = curve.reduce((a, b) => (b[1] > a[1] ? b : a));
        const off = curve.find(([t, e]) => t > peak[0] && e < PERCEPTIBLE_EFFECT);
        assert.ok(off !== undefined, 'the bolus effect never wore off');
        assert.ok(on[0] >= 0.5 && on[0] <= 1, `onset ${on[0]} h (half-life ${params.csfHalfLifeH} h)`);
        assert.ok(peak[0] >= 3 && peak[0] <= 5, `peak ${peak[0]} h (half-life ${params.csfHalfLifeH} h)`);
        const duration = off[0] - on[0];
        assert.ok(duration >= 4 && duration <= 8, `duration ${duration} h (half-life ${params.csfHalfLifeH} h)`);
      }),
      { numRuns: 30 },
    );
  });

  it('a continuous infusion from a drug-free start: maximum at 24-48 h; first seen at 6-8 h where the fit holds (docs/patient.md)', () => {
    fc.assert(
      fc.property(baclofenPatient, (params) => {
        // The catheter already holds the drug at the infusion's concentration: no dead-volume delay here.
        const concentration = 500;
        const p = new VirtualPatient(params, { startMs: 0, catheter: { deadVolumeNl: PATH_NL, fillConcentrationMcgPerMl: concentration } });
        // DOMAIN 2.4: the screening dose per 24 h, doubled when its effect lasted under 8 h (it does, by the fit).
        const dailyPg = 2 * params.screeningDosePg;
        const nlPerMs = dailyPg / concentration / (24 * H);
        const curve = effectCurve(p, 72, 0.05, (from, to) => p.receive(from, to, (to - from) * nlPerMs, concentration));
        const final = effectOf(dailyPg / 24 / (Math.LN2 / params.csfHalfLifeH), params.perceptibleLevelPg);
        const onset = curve.find(([, e]) => e >= PERCEPTIBLE_EFFECT)?.[0] ?? Infinity;
        const maximum = curve.find(([, e]) => e >= 0.95 * final)?.[0] ?? Infinity;
        assert.ok(maximum >= 24 && maximum <= 48, `maximum at ${maximum} h (half-life ${params.csfHalfLifeH} h)`);
        if (FULL_FIT.has(params.csfHalfLifeH)) assert.ok(onset >= 6 && onset <= 8, `onset ${onset} h (half-life ${params.csfHalfLifeH} h)`);
        // Outside the fully fitted half-lives the model is documented to show it later, by at most 2 h.
        else assert.ok(onset >= 6 && onset <= 10, `onset ${onset} h (half-life ${params.csfHalfLifeH} h, partial fit)`);
      }),
      { numRuns: 25 },
    );
  });

  it('withdrawal after a stop: the first sign within hours to 3 days, fever and changed mental state after it', () => {
    fc.assert(
      fc.property(baclofenPatient, (params) => {
        const p = new VirtualPatient(params, { startMs: 0, catheter: { deadVolumeNl: PATH_NL }, steadyDailyPg: params.maintenanceDailyPg });
        assert.equal(p.state().condition, 'therapeutic');
        p.advanceTo(5 * 24 * H);
        const began = p.drainEvents().filter((e) => e.type === 'sign-began');
        const first = began.find((e) => e.type === 'sign-began' && e.kind === 'withdrawal' && e.sign !== 'returning-spasticity');
        assert.ok(first !== undefined, 'no withdrawal sign after a stop');
        assert.ok(first.atMs >= 6 * H && first.atMs <= 72 * H, `first withdrawal sign at ${first.atMs / H} h`);
        const fever = began.find((e) => e.type === 'sign-began' && e.sign === 'fever');
        assert.ok(fever !== undefined && fever.atMs > first.atMs, 'fever should follow the early signs');
        assert.ok(began.some((e) => e.type === 'sign-began' && e.sign === 'returning-spasticity'));
        assert.equal(p.state().episodes.withdrawal, 1);
        assert.ok(p.state().effect.score > params.baselineScore - 0.5, 'spasticity returns');
      }),
      { numRuns: 25 },
    );
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
    assert.throws(() => drawPatient(seededUniform(1), { drugId: 'baclofen', csfHalfLifeH: 0.95 }), /not on the fitted grid/);
    const p = new VirtualPatient(good, { startMs: 1000, catheter: { deadVolumeNl: PATH_NL } });
    assert.throws(() => p.receive(0, 2000, 10, 500), /starts before the patient's time/);
    assert.throws(() => p.receive(1000, 2000, -1, 500), /volume must be >= 0 nL/);
    assert.throws(() => p.advanceTo(10), /time went backwards/);
    assert.throws(() => new VirtualPatient(good, { startMs: 0, catheter: { deadVolumeNl: 0 } }), /dead volume must be a positive whole number/);
  });
});
