/**
 * Exact solution of a linear chain of first-order compartments under a constant input, so a
 * patient-year costs O(input segments), not O(time steps):
 *
 *   x0' = input - k0 x0
 *   xi' = ki (x(i-1) - xi)        i >= 1 (each follows the one before, with its own rate)
 *
 * During a segment of constant input every xi is s + sum_j c_ij exp(-kj t), with s = input / k0.
 * Coefficients follow from the one before (the Bateman recursion); equal rates would divide by zero,
 * so `ChainRates` keeps them apart by a relative 1e-6 (documented in docs/patient.md), far below any
 * parameter's precision.
 */

/** Rates per hour, k0 first. Construct with `chainRates` so no two are equal. */
export type ChainRates = readonly number[];

export function chainRates(rates: readonly number[]): ChainRates {
  const out: number[] = [];
  for (const r0 of rates) {
    if (!(r0 > 0) || !Number.isFinite(r0)) throw new RangeError(`a compartment rate must be a positive finite number per hour, got ${r0}`);
    let r = r0;
    while (out.some((q) => Math.abs(q - r) <= 1e-6 * q)) r *= 1 + 3e-6;
    out.push(r);
  }
  return out;
}

/** Coefficients of one segment: x_i(t) = steady + sum_j coef[i][j] exp(-rates[j] t). */
export interface ChainSegment {
  steady: number;
  coef: number[][];
}

export function chainSegment(rates: ChainRates, x0: readonly number[], input: number): ChainSegment {
  const n = rates.length;
  const k0 = rates[0] ?? 1;
  const steady = input / k0;
  const coef: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row = new Array<number>(n).fill(0);
    const ki = rates[i] ?? 1;
    let rest = (x0[i] ?? 0) - steady;
    if (i > 0) {
      const prev = coef[i - 1] ?? [];
      for (let j = 0; j < i; j++) {
        const c = ((prev[j] ?? 0) * ki) / (ki - (rates[j] ?? 1));
        row[j] = c;
        rest -= c;
      }
    }
    row[i] = rest;
    coef.push(row);
  }
  return { steady, coef };
}

/** Values of every compartment `tH` hours into the segment, written into `out`. */
export function chainValues(rates: ChainRates, seg: ChainSegment, tH: number, out: number[]): number[] {
  const n = rates.length;
  const e: number[] = [];
  for (let j = 0; j < n; j++) e.push(Math.exp(-(rates[j] ?? 1) * tH));
  for (let i = 0; i < n; i++) {
    const row = seg.coef[i] ?? [];
    let v = seg.steady;
    for (let j = 0; j <= i; j++) v += (row[j] ?? 0) * (e[j] ?? 0);
    out[i] = v;
  }
  return out;
}

/** Value of one compartment `tH` hours into the segment. */
export function chainValue(rates: ChainRates, seg: ChainSegment, i: number, tH: number): number {
  const row = seg.coef[i] ?? [];
  let v = seg.steady;
  for (let j = 0; j <= i; j++) v += (row[j] ?? 0) * Math.exp(-(rates[j] ?? 1) * tH);
  return v;
}

/**
 * The same solution without allocation per segment, for the patient's inner loop: coefficients
 * live in a preallocated array and the factors k_i / (k_i - k_j) are computed once.
 */
export class ChainSolver {
  readonly rates: ChainRates;
  private readonly n: number;
  private readonly factor: Float64Array;
  private readonly coef: Float64Array;
  private readonly e: Float64Array;
  steady = 0;

  constructor(rates: ChainRates) {
    this.rates = rates;
    const n = rates.length;
    this.n = n;
    this.factor = new Float64Array(n * n);
    for (let i = 1; i < n; i++) {
      for (let j = 0; j < i; j++) {
        const ki = rates[i] ?? 1;
        this.factor[i * n + j] = ki / (ki - (rates[j] ?? 1));
      }
    }
    this.coef = new Float64Array(n * n);
    this.e = new Float64Array(n);
  }

  /** Starts a segment from state `x0` under constant `input`. */
  prepare(x0: ArrayLike<number>, input: number): void {
    const n = this.n;
    const c = this.coef;
    const f = this.factor;
    const s = input / (this.rates[0] ?? 1);
    this.steady = s;
    for (let i = 0; i < n; i++) {
      let rest = (x0[i] ?? 0) - s;
      for (let j = 0; j < i; j++) {
        const v = (c[(i - 1) * n + j] ?? 0) * (f[i * n + j] ?? 0);
        c[i * n + j] = v;
        rest -= v;
      }
      c[i * n + i] = rest;
    }
  }

  /** Coefficient of exp(-rates[j] t) in compartment i of the prepared segment. */
  coefficient(i: number, j: number): number {
    return this.coef[i * this.n + j] ?? 0;
  }

  /** All compartments `tH` hours into the prepared segment, written into `out`. */
  valuesInto(tH: number, out: number[] | Float64Array): void {
    const n = this.n;
    const e = this.e;
    const c = this.coef;
    for (let j = 0; j < n; j++) e[j] = Math.exp(-(this.rates[j] ?? 1) * tH);
    for (let i = 0; i < n; i++) {
      let v = this.steady;
      for (let j = 0; j <= i; j++) v += (c[i * n + j] ?? 0) * (e[j] ?? 0);
      out[i] = v;
    }
  }
}

/**
 * Bounds of a weighted sum of compartments over the first `tH` hours of the prepared segment:
 * each exponential term lies between its values at 0 and at tH, so summing those gives a range
 * the true curve never leaves (loose, never wrong). Written into out[0] (low) and out[1] (high).
 */
export function weightedBounds(solver: ChainSolver, weights: ArrayLike<number>, tH: number, out: Float64Array | number[]): void {
  const n = solver.rates.length;
  let sumW = 0;
  for (let i = 0; i < n; i++) sumW += weights[i] ?? 0;
  let lo = solver.steady * sumW;
  let hi = lo;
  for (let j = 0; j < n; j++) {
    let a = 0;
    for (let i = j; i < n; i++) a += (weights[i] ?? 0) * solver.coefficient(i, j);
    const end = a * Math.exp(-(solver.rates[j] ?? 1) * tH);
    if (a >= end) {
      lo += end;
      hi += a;
    } else {
      lo += a;
      hi += end;
    }
  }
  out[0] = lo;
  out[1] = hi;
}
