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
 * Effect E = Hill(L) (exponent 2, E = 0.2 at the perceptible level); score = baseline - (baseline - best) E.
 * Relative exposure x = L / therapeutic level; deprivation ratio q = L / Dep.
 */
import { MS_PER_HOUR } from '@thecal/pump-core';
import { ChainSolver, chainRates, weightedBounds, type ChainRates } from './chain.ts';
import { CatheterPath, validateCatheterFault, type CatheterFault, type PathOutput } from './catheter.ts';
import { PHARMACOLOGY, type EffectScale, type OverdoseSign, type Sign, type WithdrawalSign } from './drugs.ts';
import { effectOf } from './effect-timing.ts';
import { therapeuticLevelPg, validatePatientParams, type PatientParams } from './params.ts';

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
 * Longest stretch solved in one piece. Threshold crossings are looked for at both ends of a piece
 * (and bisected); a crossing and a return inside one piece would be missed, so a piece is this
 * long only when bounds on the curves show no threshold within reach, else TRANSIENT_PIECE_H.
 */
const MAX_PIECE_H = 24;
/** Piece length while a threshold is within reach. */
const TRANSIENT_PIECE_H = 1;
const ADAPTED_WEIGHTS = [0, 0, 0, 1];
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
  private readonly bounds = new Float64Array(2);
  private readonly levelWeights: number[];
  private readonly bloodWeights: number[];
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
    this.levelWeights = [0, 1 - params.cordWeight, params.cordWeight, 0];
    this.bloodWeights = [0, params.systemicPotency * this.bloodScale];
    this.solveY = new ChainSolver(this.tissueRates);
    this.therapeuticPg = therapeuticLevelPg(params);
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
    const fraction = effectOf(v.level, this.params.perceptibleLevelPg);
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
      let end = Math.min(toMs, t + MAX_PIECE_H * MS_PER_HOUR);
      // A long piece only when no threshold can be crossed anywhere in it (bounds of the curves);
      // otherwise short pieces, so a crossing and a return cannot hide inside one.
      if (this.couldTransition((end - t) / MS_PER_HOUR)) end = Math.min(end, t + TRANSIENT_PIECE_H * MS_PER_HOUR);
      const next = this.pending[0];
      if (next !== undefined && next.atMs < end) end = Math.max(t, next.atMs);
      this.piecesSolved++;
      const hours = (end - t) / MS_PER_HOUR;
      let stopH = hours;
      if (this.transitionDue(this.at(hours))) {
        // Bisect for the first instant the thresholds say something changes (to 1 ms).
        let lo = 0;
        let hi = hours;
        while ((hi - lo) * MS_PER_HOUR > 1) {
          const mid = (lo + hi) / 2;
          if (this.transitionDue(this.at(mid))) hi = mid;
          else lo = mid;
        }
        stopH = hi;
      }
      const stopMs = stopH === hours ? end : Math.min(end, t + Math.ceil(stopH * MS_PER_HOUR));
      const hStop = (stopMs - t) / MS_PER_HOUR;
      this.solveX.valuesInto(hStop, this.x);
      if (!tissueIdle) this.solveY.valuesInto(hStop, this.y);
      t = stopMs;
      this.nowMs = t;
      this.fireDue(t);
      this.classify(t, this.values(this.x, this.y, this.probe), false);
    }
  }

  /** Whether any threshold could flip within the next `hours` of the prepared piece (from bounds of level and adaptation). */
  private couldTransition(hours: number): boolean {
    const b = this.bounds;
    weightedBounds(this.solveX, this.levelWeights, hours, b);
    let lLo = b[0] ?? 0;
    let lHi = b[1] ?? 0;
    weightedBounds(this.solveY, this.bloodWeights, hours, b);
    lLo += b[0] ?? 0;
    lHi += b[1] ?? 0;
    weightedBounds(this.solveX, ADAPTED_WEIGHTS, hours, b);
    const dLo = b[0] ?? 0;
    const dHi = b[1] ?? 0;
    const T = this.therapeuticPg;
    for (const o of this.overdoseOrder) {
      if (this.signs.has(o.sign) ? lLo < o.at * OVERDOSE_OFF * T : lHi >= o.at * T) return true;
    }
    if (this.therapeutic ? lLo < THERAPEUTIC_OFF * T : lHi >= THERAPEUTIC_ON * T) return true;
    if (this.deprivedSinceMs === null) return dHi >= DEPENDENT_ON * T && lLo < DEPRIVED_ON * dHi;
    return lHi >= DEPRIVED_OFF * dLo || dLo < DEPENDENT_OFF * T;
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
