/**
 * The programmed volume, computed independently of the core.
 *
 * Nothing here calls the core's schedule code (no `buildWeekTable`, `rateAt`, `creditBetween`, no
 * `STROKE_CREDIT`): the integral of the commanded rate is computed from the prescription as data,
 * with BigInt arithmetic in nL·ms/day (rate in nL/day times time in ms), so it is exact whatever
 * the run length. Local weekdays are derived here from first principles (1970-01-01 was a
 * Thursday). The core's only inputs to this model are its accept/deny answers to commands, which
 * decide whether a bolus or a change happened at all.
 */
import type { BasalProgram } from '@thecal/pump-core';

export const MS_DAY = 86_400_000;
export const MS_WEEK = 7 * MS_DAY;
const DAY = BigInt(MS_DAY);
/** Volume of one stroke (nL): a property of the mechanism (limits.ts, placeholder 0.25 µL), restated so this model does not borrow the core's constant. */
export const STROKE_NL = 250;
/** One stroke in nL·ms/day. */
export const STROKE_CREDIT_N = BigInt(STROKE_NL) * DAY;

function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}
function mod(a: number, b: number): number {
  const r = a % b;
  return r < 0 ? r + b : r;
}
/** 0 = Sunday. Local day 0 (1970-01-01) was a Thursday. */
export function weekdayOfLocalDay(localDay: number): number {
  return mod(localDay + 4, 7);
}

interface DayCurve {
  startsMs: number[];
  rates: bigint[];
  /** prefix[i] = integral from 00:00 to startsMs[i]. */
  prefix: bigint[];
  total: bigint;
}

/** Exact integral of a basal program over local-time intervals. */
export class BasalIntegrator {
  private readonly continuousRate: bigint | null;
  private readonly weekCurves: DayCurve[] = [];
  private readonly weekCredit: bigint;

  constructor(basal: BasalProgram) {
    if (basal.kind === 'continuous') {
      this.continuousRate = BigInt(basal.rateNlPerDay);
      this.weekCredit = this.continuousRate * BigInt(MS_WEEK);
      return;
    }
    this.continuousRate = null;
    const curves = basal.dayPrograms.map((p) => {
      const startsMs = p.steps.map((s) => s.startMinute * 60_000);
      const rates = p.steps.map((s) => BigInt(s.rateNlPerDay));
      if (startsMs[0] !== 0) throw new RangeError('a day program starts at 00:00');
      const prefix: bigint[] = [0n];
      for (let i = 1; i < startsMs.length; i++) prefix.push(at(prefix, i - 1) + at(rates, i - 1) * BigInt(at(startsMs, i) - at(startsMs, i - 1)));
      const last = startsMs.length - 1;
      const total = at(prefix, last) + at(rates, last) * BigInt(MS_DAY - at(startsMs, last));
      return { startsMs, rates, prefix, total };
    });
    let week = 0n;
    for (let wd = 0; wd < 7; wd++) {
      const c = curves[at(basal.week, wd)];
      if (c === undefined) throw new RangeError(`week[${wd}] names no day program`);
      this.weekCurves.push(c);
      week += c.total;
    }
    this.weekCredit = week;
  }

  /** Integral of the day curve from 00:00 to x ms into the day (0 <= x <= one day). */
  private static cumInDay(c: DayCurve, x: number): bigint {
    let i = c.startsMs.length - 1;
    while (i > 0 && at(c.startsMs, i) > x) i--;
    return at(c.prefix, i) + at(c.rates, i) * BigInt(x - at(c.startsMs, i));
  }

  /** Commanded basal credit (nL·ms/day) over local times [fromLocalMs, toLocalMs). */
  credit(fromLocalMs: number, toLocalMs: number): bigint {
    if (toLocalMs <= fromLocalMs) return 0n;
    if (this.continuousRate !== null) return this.continuousRate * BigInt(toLocalMs - fromLocalMs);
    // The program is periodic with period one local week: whole weeks from any phase add weekCredit.
    const weeks = floorDiv(toLocalMs - fromLocalMs, MS_WEEK);
    let sum = this.weekCredit * BigInt(weeks);
    let a = fromLocalMs + weeks * MS_WEEK;
    while (a < toLocalMs) {
      const dayIndex = floorDiv(a, MS_DAY);
      const dayStart = dayIndex * MS_DAY;
      const end = Math.min(toLocalMs, dayStart + MS_DAY);
      const c = this.weekCurves[weekdayOfLocalDay(dayIndex)] as DayCurve;
      sum += BasalIntegrator.cumInDay(c, end - dayStart) - BasalIntegrator.cumInDay(c, a - dayStart);
      a = end;
    }
    return sum;
  }

  /** Largest rate of the program (nL/day). */
  maxRate(): number {
    if (this.continuousRate !== null) return Number(this.continuousRate);
    return Math.max(...this.weekCurves.flatMap((c) => c.rates.map(Number)));
  }
}

function at<T>(xs: readonly T[], i: number): T {
  const x = xs[i];
  if (x === undefined) throw new RangeError(`index ${i} out of range`);
  return x;
}

interface FixedRateDelivery {
  /** nL/day. */
  rate: bigint;
  /** Credit still to come, nL·ms/day. */
  remaining: bigint;
}

/** ceil(vol * day / duration): the rate a bolus of `volumeNl` over `durationMs` is commanded at. */
export function bolusRateNlPerDay(volumeNl: number, durationMs: number): bigint {
  const num = BigInt(volumeNl) * DAY;
  const d = BigInt(durationMs);
  return (num + d - 1n) / d;
}

/**
 * The commanded-rate profile of one pump, from its programming history, integrated exactly.
 * Suspension (no prescription, therapy stopped, motor stall, safe state) commands nothing and
 * pauses running boluses; a stop or a safe state ends them. A bolus's commanded volume is exactly
 * its requested volume: it runs at its fixed rate until that volume has been commanded. A
 * clinician or priming bolus replaces the basal while it runs; patient boluses add to it (and to
 * each other, should two ever overlap).
 */
export class ProgrammedModel {
  t: number;
  /** Integral of the commanded rate since the pump was made, nL·ms/day. */
  total = 0n;
  private basal: BasalIntegrator | null = null;
  private stopped = false;
  private stallUntil = Number.NEGATIVE_INFINITY;
  private safeState = false;
  /** The core's dose guard is holding delivery back (from its own log: dose-limit-clamp .. released). */
  private clamped = false;
  clockCorrectionMs = 0;
  utcOffsetMs: number;
  private boluses: FixedRateDelivery[] = [];
  private override: FixedRateDelivery | null = null;

  constructor(atMs: number, utcOffsetMs: number) {
    this.t = atMs;
    this.utcOffsetMs = utcOffsetMs;
  }

  suspendedAt(t: number): boolean {
    return this.basal === null || this.stopped || this.safeState || this.clamped || t < this.stallUntil;
  }
  get bolusRunning(): boolean {
    return this.boluses.length > 0;
  }
  get overrideRunning(): boolean {
    return this.override !== null;
  }

  advance(to: number): void {
    if (to < this.t) throw new RangeError(`model time went backwards: ${to} < ${this.t}`);
    while (this.t < to) {
      if (this.suspendedAt(this.t)) {
        const onlyStalled = this.basal !== null && !this.stopped && !this.safeState && !this.clamped;
        this.t = onlyStalled ? Math.min(to, this.stallUntil) : to;
        continue;
      }
      let end = to;
      for (const d of this.boluses) end = Math.min(end, this.t + Number((d.remaining + d.rate - 1n) / d.rate));
      if (this.override !== null) end = Math.min(end, this.t + Number((this.override.remaining + this.override.rate - 1n) / this.override.rate));
      const dt = BigInt(end - this.t);
      if (this.override !== null) {
        this.total += minBig(this.override.rate * dt, this.override.remaining);
        this.override.remaining -= this.override.rate * dt;
        if (this.override.remaining <= 0n) this.override = null;
      } else if (this.basal !== null) {
        const off = this.clockCorrectionMs + this.utcOffsetMs;
        this.total += this.basal.credit(this.t + off, end + off);
      }
      if (this.boluses.length > 0) {
        for (const b of this.boluses) {
          this.total += minBig(b.rate * dt, b.remaining);
          b.remaining -= b.rate * dt;
        }
        this.boluses = this.boluses.filter((b) => b.remaining > 0n);
      }
      this.t = end;
    }
  }

  // Each mutator applies at the model's current time: advance first.
  setBasal(basal: BasalProgram): void {
    this.basal = new BasalIntegrator(basal);
    this.stopped = false;
    this.safeState = false;
  }
  /** A patient bolus: ceil(volume / duration), on top of the basal. */
  startPatientBolus(volumeNl: number, durationMs: number): void {
    this.boluses.push({ rate: bolusRateNlPerDay(volumeNl, durationMs), remaining: BigInt(volumeNl) * DAY });
  }
  /** A clinician bolus: ceil(volume / duration), instead of the basal; it also restarts stopped therapy. */
  startClinicianBolus(volumeNl: number, durationMs: number): void {
    this.override = { rate: bolusRateNlPerDay(volumeNl, durationMs), remaining: BigInt(volumeNl) * DAY };
    this.stopped = false;
  }
  /** A priming bolus: the catheter volume at a fixed rate, instead of the basal. */
  startPriming(volumeNl: number, rateNlPerDay: number): void {
    this.override = { rate: BigInt(rateNlPerDay), remaining: BigInt(volumeNl) * DAY };
    this.stopped = false;
  }
  stop(): void {
    this.stopped = true;
    this.boluses = [];
    this.override = null;
  }
  resume(): void {
    this.stopped = false;
  }
  /** Any committed change set leaves the safe state (the core's rule: a reviewed program). */
  leaveSafeState(): void {
    this.safeState = false;
  }
  enterSafeState(): void {
    this.safeState = true;
    this.boluses = [];
    this.override = null;
  }
  /** The dose guard stopped delivery: commanded volume is not integrated and running boluses end. */
  clampFrom(): void {
    this.clamped = true;
    this.boluses = [];
    this.override = null;
  }
  clampEnd(): void {
    this.clamped = false;
  }
  stall(untilMs: number): void {
    this.stallUntil = Math.max(this.stallUntil, untilMs);
  }

  /** Programmed volume, nL (real number). */
  programmedNl(): number {
    return Number(this.total) / MS_DAY;
  }
  /** (programmed - delivered) in strokes, computed exactly then rounded to a double. */
  errorStrokes(deliveredNl: number): number {
    const diff = this.total - BigInt(deliveredNl) * DAY;
    return Number((diff * 1_000_000n) / STROKE_CREDIT_N) / 1_000_000;
  }
}

function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
