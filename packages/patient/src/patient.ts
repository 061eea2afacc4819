/**
 * The virtual patient: drug in the cerebrospinal fluid, effect, withdrawal and overdose, fed by
 * what the pump pushes into the catheter. A deterministic state machine like the pump core: every
 * input carries its time, time only moves forward, nothing reads a clock or draws a number.
 *
 * Compartments (amounts in pg, rates per hour), solved exactly over each stretch of constant input:
 *   A    CSF amount            A'   = tip input - k A              (k = ln 2 / CSF half-life)
 *   Ce   effect site           Ce'  = ke0 (A - Ce)
 *   Cs   cord (slow effect)    Cs'  = kc (Ce - Cs)
 *   Dep  adaptation level      Dep' = kd (Cs - Dep)               (what the patient is used to)
 *   T    tissue depot          T'   = tissue input - ka T          (leak, disconnection, pocket fill)
 *   S    blood                 S'   = ka T - ks S
 * Driving level L = (1 - w) Ce + w Cs + potency x S (intrathecal-equivalent pg).
 * Effect E = Hill(L) (E = 0.25 at the perceptible level, 0.6 at the therapeutic level, which is the
 * steady level on the maintenance dose); score = baseline - (baseline - best) E.
 * Relative exposure x = L / therapeutic level; deprivation ratio q = L / Dep.
 */
import { MS_PER_HOUR } from '@thecal/pump-core';
import { ChainSolver, chainRates, type ChainRates } from './chain.ts';
import { CatheterPath, validateCatheterFault, type CatheterFault, type PathOutput } from './catheter.ts';
import { PHARMACOLOGY, type EffectScale, type OverdoseSign, type Sign, type WithdrawalSign } from './drugs.ts';
import { effectOf } from './effect-timing.ts';
import { hillExponentOf, therapeuticLevelPg, validatePatientParams, type PatientParams } from './params.ts';

export type Condition = 'therapeutic' | 'sub-therapeutic' | 'withdrawal' | 'overdose';

export interface ActiveSign {
  sign: Sign;
  kind: 'withdrawal' | 'overdose';
  sinceMs: number;
}

export type PatientEvent =
  | { atMs: number; type: 'sign-began'; sign: Sign; kind: 'withdrawal' | 'overdose' }
  | { atMs: number; type: 'sign-ended'; sign: Sign; kind: 'withdrawal' | 'overdose' }
  | { atMs: number; type: 'condition-changed'; from: Condition; to: Condition }
  | { atMs: number; type: 'deprivation-began' }
  | { atMs: number; type: 'deprivation-ended' }
  | { atMs: number; type: 'catheter-fault'; fault: CatheterFault | null }
  | { atMs: number; type: 'injection'; site: 'csf' | 'tissue'; amountPg: number };

export interface PatientState {
  atMs: number;
  drugId: PatientParams['drugId'];
  csfAmountPg: number;
  csfConcentrationNgPerMl: number;
  /** Driving level (intrathecal-equivalent pg at the effect sites, plus blood x potency). */
  drivingLevelPg: number;
  tissuePg: number;
  bloodPg: number;
  adaptedLevelPg: number;
  /** Driving level / therapeutic level. */
  relativeExposure: number;
  effect: { scale: EffectScale; score: number; baseline: number; best: number; fraction: number };
  condition: Condition;
  signs: ActiveSign[];
  deprivedSinceMs: number | null;
  catheter: { fault: CatheterFault | null; deadVolumeNl: number; tipConcentrationMcgPerMl: number; contentPg: number; blockedNl: number };
  totals: { receivedNl: number; csfPg: number; tissuePg: number; injectedCsfPg: number; injectedTissuePg: number };
  episodes: { withdrawal: number; overdose: number };
}

export interface PatientOptions {
  startMs: number;
  /** Path from the reservoir outlet to the tip: catheter volume + the pump's internal volume. */
  catheter: { deadVolumeNl: number; fillConcentrationMcgPerMl?: number };
  /** Start at steady state on this daily dose at the tip (an established patient); default drug-free. */
  steadyDailyPg?: number;
  /** Events kept until drained; older ones are dropped (and counted) beyond this. */
  eventCapacity?: number;
}

/**
 * Longest stretch solved in one piece. Within a piece every threshold crossing is found by
 * bisecting the piece while bounds of the curves on a sub-interval do not rule a crossing out,
 * down to LEAF_MS (where the end of the leaf is checked): so what is found does not depend on
 * how the caller splits time into steps, only blips shorter than a leaf can go unseen.
 */
const MAX_PIECE_H = 24;
const LEAF_MS = 1000;
const THERAPEUTIC_ON = 0.5;
const THERAPEUTIC_OFF = 0.45;
const OVERDOSE_OFF = 0.9;
const DEPRIVED_ON = 0.4;
const DEPRIVED_OFF = 0.7;
const DEPENDENT_ON = 0.3;
const DEPENDENT_OFF = 0.15;
const RETURNING: ReadonlySet<Sign> = new Set<Sign>(['returning-spasticity', 'returning-pain']);

export class VirtualPatient {
  readonly params: PatientParams;
  readonly path: CatheterPath;
  nowMs: number;
  private readonly rates: ChainRates;
  private readonly tissueRates: ChainRates;
  private readonly bloodScale: number;
  private readonly therapeuticPg: number;
  private readonly overdoseOrder: { sign: OverdoseSign; at: number }[];
  private readonly withdrawalOrder: { sign: WithdrawalSign; delayH: number }[];
  private x: number[];
  private y: number[] = [0, 0];
  private readonly signs = new Map<Sign, ActiveSign>();
  private deprivedSinceMs: number | null = null;
  private pending: { sign: WithdrawalSign; atMs: number }[] = [];
  private therapeutic = false;
  private condition: Condition = 'sub-therapeutic';
  private events: PatientEvent[] = [];
  private readonly eventCapacity: number;
  eventsDropped = 0;
  readonly episodes = { withdrawal: 0, overdose: 0 };
  private receivedNl = 0;
  private injectedCsfPg = 0;
  private injectedTissuePg = 0;
  private readonly pieces: PathOutput[] = [];
  private readonly tmpX = [0, 0, 0, 0];
  private readonly tmpY = [0, 0];
  private readonly solveX: ChainSolver;
  private readonly solveY: ChainSolver;
  private readonly probe = { level: 0, blood: 0, adapted: 0 };
  private readonly hill: number;
  /** Rates of the prepared piece's exponentials: the CSF chain's four, then tissue and blood. */
  private readonly allRates: Float64Array;
  /** Exponential sums (steady part, then one coefficient per rate) of the prepared piece. */
  private readonly sumLevel = new Float64Array(7);
  private readonly sumAdapted = new Float64Array(7);
  private readonly sumDeprivedOn = new Float64Array(7);
  private readonly sumDeprivedOff = new Float64Array(7);
  private readonly expA = new Float64Array(6);
  private readonly expB = new Float64Array(6);
  private readonly range = new Float64Array(2);
  /** Solved pieces since creation: the O(segments) cost measure. */
  piecesSolved = 0;

  constructor(params: PatientParams, opts: PatientOptions) {
    validatePatientParams(params);
    if (!Number.isSafeInteger(opts.startMs)) throw new RangeError(`startMs must be a whole number of ms, got ${opts.startMs}`);
    this.params = params;
    this.nowMs = opts.startMs;
    this.path = new CatheterPath(opts.catheter.deadVolumeNl, opts.catheter.fillConcentrationMcgPerMl ?? 0);
    const k = Math.LN2 / params.csfHalfLifeH;
    this.rates = chainRates([k, params.effectRatePerH, params.cordRatePerH, Math.LN2 / params.adaptationHalfLifeH]);
    const ka = Math.LN2 / params.tissueAbsorptionHalfLifeH;
    const ks = Math.LN2 / params.systemicHalfLifeH;
    this.tissueRates = chainRates([ka, ks]);
    // The chain form follows T with S* = S ks / ka, so blood S = S* ka / ks.
    this.bloodScale = (this.tissueRates[0] ?? ka) / (this.tissueRates[1] ?? ks);
    this.solveX = new ChainSolver(this.rates);
    this.solveY = new ChainSolver(this.tissueRates);
    this.allRates = Float64Array.from([...this.rates, ...this.tissueRates]);
    this.therapeuticPg = therapeuticLevelPg(params);
    this.hill = hillExponentOf(params);
    this.overdoseOrder = Object.entries(params.overdoseAtExposure)
      .map(([sign, at]) => ({ sign: sign as OverdoseSign, at: at ?? Number.POSITIVE_INFINITY }))
      .sort((a, b) => a.at - b.at);
    this.withdrawalOrder = Object.entries(params.withdrawalDelayH)
      .map(([sign, delayH]) => ({ sign: sign as WithdrawalSign, delayH: delayH ?? 0 }))
      .sort((a, b) => a.delayH - b.delayH);
    this.eventCapacity = opts.eventCapacity ?? 10_000;
    const steady = opts.steadyDailyPg ?? 0;
    if (!(steady >= 0) || !Number.isFinite(steady)) throw new RangeError(`steadyDailyPg must be >= 0, got ${steady}`);
    const level = steady / 24 / (this.rates[0] ?? k);
    this.x = [level, level, level, level];
    this.classify(this.nowMs, this.values(this.x, this.y), true);
  }

  // ------------------------------------------------------------------ inputs

  /** The pump pushed `volumeNl` of drug at `concentrationMcgPerMl` into the path, evenly over [fromMs, toMs]. */
  receive(fromMs: number, toMs: number, volumeNl: number, concentrationMcgPerMl: number): void {
    if (fromMs < this.nowMs) throw new RangeError(`delivery from ${fromMs} starts before the patient's time ${this.nowMs}`);
    if (toMs < fromMs) throw new RangeError(`delivery ends (${toMs}) before it starts (${fromMs})`);
    if (!(volumeNl >= 0) || !Number.isFinite(volumeNl)) throw new RangeError(`delivered volume must be >= 0 nL, got ${volumeNl}`);
    if (!(concentrationMcgPerMl >= 0) || !Number.isFinite(concentrationMcgPerMl)) throw new RangeError(`concentration must be >= 0 mcg/mL, got ${concentrationMcgPerMl}`);
    if (fromMs > this.nowMs) this.advanceTo(fromMs);
    if (toMs === fromMs) {
      if (volumeNl > 0) throw new RangeError(`${volumeNl} nL cannot be delivered in no time`);
      return;
    }
    this.receivedNl += volumeNl;
    const pieces = this.path.push(volumeNl, concentrationMcgPerMl, toMs - fromMs, this.pieces);
    let t = fromMs;
    const n = pieces.length;
    for (let i = 0; i < n; i++) {
      const p = pieces[i] as PathOutput;
      const end = i === n - 1 ? toMs : Math.min(toMs, t + p.durationMs);
      const hours = (end - t) / MS_PER_HOUR;
      if (hours > 0) this.integrate(t, end, p.csfPg / hours, p.tissuePg / hours);
      else this.addInstant(p.csfPg, p.tissuePg);
      t = end;
    }
    this.nowMs = toMs;
  }

  /** Time passes with nothing pushed into the path. */
  advanceTo(atMs: number): void {
    if (!Number.isFinite(atMs)) throw new RangeError(`time must be finite, got ${atMs}`);
    if (atMs < this.nowMs) throw new RangeError(`time went backwards: ${atMs} < ${this.nowMs}`);
    if (atMs === this.nowMs) return;
    this.integrate(this.nowMs, atMs, 0, 0);
    this.nowMs = atMs;
  }

  /** A catheter fault begins (or, with null, is repaired) at `atMs`. The pump is not told. */
  setCatheterFault(atMs: number, fault: CatheterFault | null): void {
    if (fault !== null) validateCatheterFault(fault);
    this.advanceTo(atMs);
    this.path.fault = fault === null ? null : { ...fault };
    this.emit({ atMs, type: 'catheter-fault', fault: fault === null ? null : { ...fault } });
  }

  /**
   * Drug given at once: into the CSF (an injection into the catheter access port reaches the spine
   * directly) or into tissue (a pocket fill: the refill needle missed the reservoir septum).
   */
  inject(atMs: number, site: 'csf' | 'tissue', amountPg: number): void {
    if (!(amountPg >= 0) || !Number.isFinite(amountPg)) throw new RangeError(`injected amount must be >= 0 pg, got ${amountPg}`);
    if (site !== 'csf' && site !== 'tissue') throw new RangeError(`injection site must be 'csf' or 'tissue', got ${String(site)}`);
    this.advanceTo(atMs);
    if (site === 'csf') this.injectedCsfPg += amountPg;
    else this.injectedTissuePg += amountPg;
    this.addInstant(site === 'csf' ? amountPg : 0, site === 'tissue' ? amountPg : 0);
    this.emit({ atMs, type: 'injection', site, amountPg });
    // An instant jump can cross thresholds: look at once.
    this.integrate(atMs, atMs, 0, 0);
  }

  // ------------------------------------------------------------------ outputs

  state(): PatientState {
    const v = this.values(this.x, this.y);
    const ph = PHARMACOLOGY[this.params.drugId];
    const fraction = effectOf(v.level, this.params.perceptibleLevelPg, this.hill);
    const p = this.params;
    return {
      atMs: this.nowMs,
      drugId: p.drugId,
      csfAmountPg: this.x[0] ?? 0,
      // pg per mL -> ng per mL
      csfConcentrationNgPerMl: (this.x[0] ?? 0) / ph.csfVolumeMl / 1000,
      drivingLevelPg: v.level,
      tissuePg: this.y[0] ?? 0,
      bloodPg: v.blood,
      adaptedLevelPg: this.x[3] ?? 0,
      relativeExposure: v.level / this.therapeuticPg,
      effect: { scale: ph.scale, score: p.baselineScore - (p.baselineScore - p.bestScore) * fraction, baseline: p.baselineScore, best: p.bestScore, fraction },
      condition: this.condition,
      signs: [...this.signs.values()].map((s) => ({ ...s })),
      deprivedSinceMs: this.deprivedSinceMs,
      catheter: {
        fault: this.path.fault === null ? null : { ...this.path.fault },
        deadVolumeNl: this.path.deadVolumeNl,
        tipConcentrationMcgPerMl: this.path.tipConcentrationMcgPerMl(),
        contentPg: this.path.contentPg(),
        blockedNl: this.path.blockedNl,
      },
      totals: { receivedNl: this.receivedNl, csfPg: this.path.csfPg, tissuePg: this.path.tissuePg, injectedCsfPg: this.injectedCsfPg, injectedTissuePg: this.injectedTissuePg },
      episodes: { ...this.episodes },
    };
  }

  /** Events since the last drain, oldest first. */
  drainEvents(): PatientEvent[] {
    const e = this.events;
    if (e.length === 0) return NO_EVENTS;
    this.events = [];
    return e;
  }

  /** The level that gives the therapeutic effect, pg. */
  get therapeuticLevelPg(): number {
    return this.therapeuticPg;
  }

  // ------------------------------------------------------------------ the solution

  private addInstant(csfPg: number, tissuePg: number): void {
    this.x[0] = (this.x[0] ?? 0) + csfPg;
    this.y[0] = (this.y[0] ?? 0) + tissuePg;
  }

  private values(x: readonly number[], y: readonly number[], into = { level: 0, blood: 0, adapted: 0 }): { level: number; blood: number; adapted: number } {
    const w = this.params.cordWeight;
    const blood = (y[1] ?? 0) * this.bloodScale;
    into.level = (1 - w) * (x[1] ?? 0) + w * (x[2] ?? 0) + this.params.systemicPotency * blood;
    into.blood = blood;
    into.adapted = x[3] ?? 0;
    return into;
  }

  /** Values `tH` hours into the prepared piece (a shared object: read it before the next call). */
  private at(tH: number): { level: number; blood: number; adapted: number } {
    this.solveX.valuesInto(tH, this.tmpX);
    this.solveY.valuesInto(tH, this.tmpY);
    return this.values(this.tmpX, this.tmpY, this.probe);
  }

  /**
   * Solves [fromMs, toMs] under constant input rates (pg/h), stopping at every threshold crossing
   * and scheduled withdrawal sign so each event carries its own time.
   */
  private integrate(fromMs: number, toMs: number, csfPerH: number, tissuePerH: number): void {
    let t = fromMs;
    // A zero-length call only checks thresholds (after an instant injection).
    if (toMs === fromMs) {
      this.classify(t, this.values(this.x, this.y), false);
      return;
    }
    let guard = 0;
    while (t < toMs) {
      if (++guard > 1_000_000) throw new Error('patient model: too many events in one stretch');
      this.solveX.prepare(this.x, csfPerH);
      // Nothing in the tissue and nothing going in: the blood chain stays at zero, skip it.
      const tissueIdle = tissuePerH === 0 && this.y[0] === 0 && this.y[1] === 0;
      if (!tissueIdle) this.solveY.prepare(this.y, tissuePerH);
      else this.solveY.prepare(ZERO2, 0);
      this.prepareSums();
      let end = Math.min(toMs, t + MAX_PIECE_H * MS_PER_HOUR);
      const next = this.pending[0];
      if (next !== undefined && next.atMs < end) end = Math.max(t, next.atMs);
      this.piecesSolved++;
      const hours = (end - t) / MS_PER_HOUR;
      let stopH = hours;
      const hit = this.firstTransition(0, hours);
      if (hit >= 0) {
        // Bisect inside the leaf for the first instant the thresholds say something changes (to 1 ms).
        let lo = Math.max(0, hit - LEAF_MS / MS_PER_HOUR);
        let hi = hit;
        while ((hi - lo) * MS_PER_HOUR > 1) {
          const mid = (lo + hi) / 2;
          if (this.transitionDue(this.at(mid))) hi = mid;
          else lo = mid;
        }
        stopH = hi;
      }
      const stopMs = stopH === hours ? end : Math.min(end, t + Math.max(1, Math.ceil(stopH * MS_PER_HOUR)));
      const hStop = (stopMs - t) / MS_PER_HOUR;
      this.solveX.valuesInto(hStop, this.x);
      if (!tissueIdle) this.solveY.valuesInto(hStop, this.y);
      t = stopMs;
      this.nowMs = t;
      this.fireDue(t);
      this.classify(t, this.values(this.x, this.y, this.probe), false);
    }
  }

  /**
   * The driving level, the adapted level and the two deprivation tests of the prepared piece as
   * sums of exponentials: s + sum_j c_j exp(-rate_j t) (the CSF chain's rates, then the tissue's).
   */
  private prepareSums(): void {
    const w = this.params.cordWeight;
    const bloodW = this.params.systemicPotency * this.bloodScale;
    const L = this.sumLevel;
    const D = this.sumAdapted;
    const sx = this.solveX.steady;
    const sy = this.solveY.steady;
    L[0] = sx + sy * bloodW;
    D[0] = sx;
    for (let j = 0; j < 4; j++) {
      L[1 + j] = (1 - w) * this.solveX.coefficient(1, j) + w * this.solveX.coefficient(2, j);
      D[1 + j] = this.solveX.coefficient(3, j);
    }
    for (let j = 0; j < 2; j++) {
      L[5 + j] = bloodW * this.solveY.coefficient(1, j);
      D[5 + j] = 0;
    }
    for (let j = 0; j < 7; j++) {
      this.sumDeprivedOn[j] = (L[j] ?? 0) - DEPRIVED_ON * (D[j] ?? 0);
      this.sumDeprivedOff[j] = (L[j] ?? 0) - DEPRIVED_OFF * (D[j] ?? 0);
    }
  }

  /**
   * Bounds of an exponential sum over [a, b], into this.range: the tighter of two ranges that
   * never fail. (1) Each term is monotone, so it lies between its values at the ends. (2) The sum
   * lies within (b - a)^2 / 8 x max|f''| of the chord between its end values, and |f''| is largest
   * at a. (2) is what settles a curve that runs close to a threshold without crossing it.
   */
  private rangeOf(sum: Float64Array, widthH: number): Float64Array {
    let lo = sum[0] ?? 0;
    let hi = lo;
    let fa = lo;
    let fb = lo;
    let curvature = 0;
    for (let j = 0; j < 6; j++) {
      const c = sum[1 + j] ?? 0;
      if (c === 0) continue;
      const u = c * (this.expA[j] ?? 0);
      const v = c * (this.expB[j] ?? 0);
      fa += u;
      fb += v;
      const r = this.allRates[j] ?? 0;
      curvature += Math.abs(u) * r * r;
      if (u < v) {
        lo += u;
        hi += v;
      } else {
        lo += v;
        hi += u;
      }
    }
    const sag = (widthH * widthH * curvature) / 8;
    this.range[0] = Math.max(lo, Math.min(fa, fb) - sag);
    this.range[1] = Math.min(hi, Math.max(fa, fb) + sag);
    return this.range;
  }

  /** Whether the bounds on [aH, bH] of the prepared piece leave room for any threshold to flip. */
  private couldTransitionOn(aH: number, bH: number): boolean {
    for (let j = 0; j < 6; j++) {
      const r = this.allRates[j] ?? 0;
      this.expA[j] = Math.exp(-r * aH);
      this.expB[j] = Math.exp(-r * bH);
    }
    const T = this.therapeuticPg;
    const w = bH - aH;
    const l = this.rangeOf(this.sumLevel, w);
    const lLo = l[0] ?? 0;
    const lHi = l[1] ?? 0;
    for (const o of this.overdoseOrder) {
      if (this.signs.has(o.sign) ? lLo < o.at * OVERDOSE_OFF * T : lHi >= o.at * T) return true;
    }
    if (this.therapeutic ? lLo < THERAPEUTIC_OFF * T : lHi >= THERAPEUTIC_ON * T) return true;
    const d = this.rangeOf(this.sumAdapted, w);
    const dLo = d[0] ?? 0;
    const dHi = d[1] ?? 0;
    if (this.deprivedSinceMs === null) return dHi >= DEPENDENT_ON * T && (this.rangeOf(this.sumDeprivedOn, w)[0] ?? 0) < 0;
    return dLo < DEPENDENT_OFF * T || (this.rangeOf(this.sumDeprivedOff, w)[1] ?? 0) >= 0;
  }

  /** The end of the first leaf of [aH, bH] where a threshold flips, or -1: depth-first, earliest half first. */
  private firstTransition(aH: number, bH: number): number {
    if (!this.couldTransitionOn(aH, bH)) return -1;
    if ((bH - aH) * MS_PER_HOUR <= LEAF_MS) return this.transitionDue(this.at(bH)) ? bH : -1;
    const mid = (aH + bH) / 2;
    const left = this.firstTransition(aH, mid);
    return left >= 0 ? left : this.firstTransition(mid, bH);
  }

  private transitionDue(v: { level: number; adapted: number }): boolean {
    const x = v.level / this.therapeuticPg;
    for (const o of this.overdoseOrder) {
      const active = this.signs.has(o.sign);
      if (!active && x >= o.at) return true;
      if (active && x < o.at * OVERDOSE_OFF) return true;
    }
    if (this.therapeutic ? x < THERAPEUTIC_OFF : x >= THERAPEUTIC_ON) return true;
    const dep = v.adapted / this.therapeuticPg;
    if (this.deprivedSinceMs === null) {
      if (dep >= DEPENDENT_ON && v.level < DEPRIVED_ON * v.adapted) return true;
    } else if (v.level >= DEPRIVED_OFF * v.adapted || dep < DEPENDENT_OFF) return true;
    return false;
  }

  private fireDue(t: number): void {
    while (this.pending.length > 0 && (this.pending[0]?.atMs ?? Infinity) <= t) {
      const p = this.pending.shift();
      if (p !== undefined) this.begin(p.sign, 'withdrawal', t);
    }
  }

  private begin(sign: Sign, kind: 'withdrawal' | 'overdose', t: number): void {
    if (this.signs.has(sign)) return;
    this.signs.set(sign, { sign, kind, sinceMs: t });
    this.emit({ atMs: t, type: 'sign-began', sign, kind });
  }

  private end(sign: Sign, t: number): void {
    const s = this.signs.get(sign);
    if (s === undefined) return;
    this.signs.delete(sign);
    this.emit({ atMs: t, type: 'sign-ended', sign, kind: s.kind });
  }

  private classify(t: number, v: { level: number; adapted: number }, initial: boolean): void {
    const x = v.level / this.therapeuticPg;
    for (const o of this.overdoseOrder) {
      const active = this.signs.has(o.sign);
      if (!active && x >= o.at) this.begin(o.sign, 'overdose', t);
      else if (active && x < o.at * OVERDOSE_OFF) this.end(o.sign, t);
    }
    this.therapeutic = this.therapeutic ? x >= THERAPEUTIC_OFF : x >= THERAPEUTIC_ON;
    const dep = v.adapted / this.therapeuticPg;
    if (this.deprivedSinceMs === null) {
      if (dep >= DEPENDENT_ON && v.level < DEPRIVED_ON * v.adapted) {
        this.deprivedSinceMs = t;
        this.emit({ atMs: t, type: 'deprivation-began' });
        this.pending = this.withdrawalOrder.map((w) => ({ sign: w.sign, atMs: t + Math.round(w.delayH * MS_PER_HOUR) }));
        this.fireDue(t);
      }
    } else if (v.level >= DEPRIVED_OFF * v.adapted || dep < DEPENDENT_OFF) {
      this.deprivedSinceMs = null;
      this.pending = [];
      this.emit({ atMs: t, type: 'deprivation-ended' });
      for (const s of [...this.signs.values()]) if (s.kind === 'withdrawal') this.end(s.sign, t);
    }
    let next: Condition = this.therapeutic ? 'therapeutic' : 'sub-therapeutic';
    let withdrawal = false;
    let overdose = false;
    for (const s of this.signs.values()) {
      if (s.kind === 'overdose') overdose = true;
      else if (!RETURNING.has(s.sign)) withdrawal = true;
    }
    if (overdose) next = 'overdose';
    else if (withdrawal) next = 'withdrawal';
    if (next !== this.condition) {
      const from = this.condition;
      this.condition = next;
      if (!initial) {
        if (next === 'withdrawal') this.episodes.withdrawal++;
        if (next === 'overdose') this.episodes.overdose++;
        this.emit({ atMs: t, type: 'condition-changed', from, to: next });
      }
    }
  }

  private emit(e: PatientEvent): void {
    if (this.events.length >= this.eventCapacity) {
      this.events.shift();
      this.eventsDropped++;
    }
    this.events.push(e);
  }
}

const ZERO2 = [0, 0];
/** Returned by drainEvents when nothing happened: callers get a fresh array only when there is something in it. */
const NO_EVENTS = Object.freeze([]) as unknown as PatientEvent[];
