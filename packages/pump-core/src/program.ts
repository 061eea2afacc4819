/**
 * Prescriptions and basal programs: their shape, their validation against the limits and the drug
 * library, and the schedule arithmetic the delivery engine needs (rate at a local time, next rate
 * change, volume over a window, the largest volume any 24 h window can hold).
 */
import { DRUG_LIBRARY, isDrugId, type DrugId } from './drugs.ts';
import { LIMITS } from './limits.ts';
import { MS_PER_WEEK, localOfWeekPosition, weekPositionMs } from './local-time.ts';
import { DAYS_PER_WEEK, MS_PER_DAY, MS_PER_MINUTE, amountPg } from './units.ts';

export interface FlexStep {
  /** Minutes after local midnight at which this step starts; the first step starts at 0. */
  startMinute: number;
  rateNlPerDay: number;
}
export interface DayProgram {
  name: string;
  steps: FlexStep[];
}
export type BasalProgram =
  | { kind: 'continuous'; rateNlPerDay: number }
  | {
      kind: 'flex';
      /** One to seven day programs (e.g. "weekday", "physiotherapy day"). */
      dayPrograms: DayProgram[];
      /** Index into dayPrograms for each weekday, Sunday first. */
      week: number[];
    };

export interface PatientBolusSettings {
  volumeNl: number;
  durationMs: number;
  /** Time from the start of one patient bolus to the earliest next one; never 0. */
  lockoutMs: number;
  /**
   * Boluses allowed per rolling 24 h. A bolus counts until 24 h after it ends, so no 24 h window
   * can ever overlap more than this many boluses (the max-daily-dose proof relies on it).
   */
  maxPer24h: number;
}

export interface Prescription {
  drugId: DrugId;
  concentrationMcgPerMl: number;
  basal: BasalProgram;
  /** Largest basal rate this prescription allows (configurable, at most the default maximum). */
  maxRateNlPerDay: number;
  /** Most drug any rolling 24 h window may hold, counting basal and every bolus kind. */
  maxDailyDosePg: number;
  patientBolus: PatientBolusSettings | null;
}

export type Severity = 'hard' | 'soft';
export interface ValidationIssue {
  code: string;
  severity: Severity;
  /** JSON path of the offending field, e.g. "basal.dayPrograms[0].steps[2].rateNlPerDay". */
  path: string;
  message: string;
}

/** A week of piecewise-constant rates, precomputed for fast lookup. Positions are ms from Sunday 00:00 local. */
export interface WeekTable {
  startsMs: Float64Array;
  ratesNlPerDay: Float64Array;
  /** prefixCredit[i] = integral of rate from 0 to startsMs[i], in nL·ms/day. */
  prefixCredit: Float64Array;
  weekCredit: number;
  constant: boolean;
}

export function buildWeekTable(basal: BasalProgram): WeekTable {
  const starts: number[] = [];
  const rates: number[] = [];
  if (basal.kind === 'continuous') {
    starts.push(0);
    rates.push(basal.rateNlPerDay);
  } else {
    for (let day = 0; day < DAYS_PER_WEEK; day++) {
      const program = basal.dayPrograms[basal.week[day] ?? -1];
      if (program === undefined) throw new RangeError(`week[${day}] names no day program`);
      for (const step of program.steps) {
        const at = day * MS_PER_DAY + step.startMinute * MS_PER_MINUTE;
        if (rates.length > 0 && rates[rates.length - 1] === step.rateNlPerDay) continue;
        starts.push(at);
        rates.push(step.rateNlPerDay);
      }
    }
  }
  const prefix: number[] = [0];
  for (let i = 1; i < starts.length; i++) {
    prefix.push((prefix[i - 1] ?? 0) + (rates[i - 1] ?? 0) * ((starts[i] ?? 0) - (starts[i - 1] ?? 0)));
  }
  const last = starts.length - 1;
  const weekCredit = (prefix[last] ?? 0) + (rates[last] ?? 0) * (MS_PER_WEEK - (starts[last] ?? 0));
  return {
    startsMs: Float64Array.from(starts),
    ratesNlPerDay: Float64Array.from(rates),
    prefixCredit: Float64Array.from(prefix),
    weekCredit,
    constant: starts.length === 1,
  };
}

/** Index of the step in force at a week position (binary search; tables have at most 91 steps). */
export function stepIndexAt(table: WeekTable, posMs: number): number {
  const s = table.startsMs;
  let lo = 0;
  let hi = s.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((s[mid] ?? 0) <= posMs) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export function rateAt(table: WeekTable, localMs: number): number {
  return table.ratesNlPerDay[stepIndexAt(table, weekPositionMs(localMs))] ?? 0;
}

/** Local time of the next rate change strictly after localMs (Infinity for a constant program). */
export function nextChangeAfter(table: WeekTable, localMs: number): number {
  if (table.constant) return Number.POSITIVE_INFINITY;
  const pos = weekPositionMs(localMs);
  return localMs + (stepEndPosition(table, stepIndexAt(table, pos)) - pos);
}

/**
 * Week position (beyond the week's end for the last step) at which step i's rate next changes.
 * Across the week's end the first step may carry on the last one's rate: then the change is at
 * the second step of the next week. Not meaningful for a constant table (it never changes).
 */
export function stepEndPosition(table: WeekTable, i: number): number {
  const n = table.startsMs.length;
  if (i + 1 < n) return table.startsMs[i + 1] ?? MS_PER_WEEK;
  if (n > 1 && table.ratesNlPerDay[0] === table.ratesNlPerDay[n - 1]) return MS_PER_WEEK + (table.startsMs[1] ?? 0);
  return MS_PER_WEEK + (table.startsMs[0] ?? 0);
}

/** Index of the step in force from stepEndPosition(table, i) on (in the next week when past the last step). */
export function stepAfter(table: WeekTable, i: number): number {
  const n = table.startsMs.length;
  if (i + 1 < n) return i + 1;
  return n > 1 && table.ratesNlPerDay[0] === table.ratesNlPerDay[n - 1] ? 1 : 0;
}

/** Integral of the rate from week position 0 to pos (0 <= pos <= week), in nL·ms/day. */
function creditToPosition(table: WeekTable, posMs: number): number {
  const i = stepIndexAt(table, posMs);
  return (table.prefixCredit[i] ?? 0) + (table.ratesNlPerDay[i] ?? 0) * (posMs - (table.startsMs[i] ?? 0));
}

/** Commanded basal credit (nL·ms/day) over local times [fromLocalMs, toLocalMs]. */
export function creditBetween(table: WeekTable, fromLocalMs: number, toLocalMs: number): number {
  if (toLocalMs <= fromLocalMs) return 0;
  const span = toLocalMs - fromLocalMs;
  const weeks = Math.floor(span / MS_PER_WEEK);
  const a = weekPositionMs(fromLocalMs);
  const rest = span - weeks * MS_PER_WEEK;
  const b = a + rest;
  const partial =
    b <= MS_PER_WEEK
      ? creditToPosition(table, b) - creditToPosition(table, a)
      : table.weekCredit - creditToPosition(table, a) + creditToPosition(table, b - MS_PER_WEEK);
  return weeks * table.weekCredit + partial;
}

/**
 * The largest basal volume any 24 h window can hold, in nL (rounded up). The windowed integral of
 * a piecewise-constant rate is piecewise linear in the window's start, so its maximum is at a
 * window that starts or ends on a step boundary.
 */
export function maxBasal24hNl(table: WeekTable): number {
  let best = 0;
  for (let i = 0; i < table.startsMs.length; i++) {
    const b = localOfWeekPosition(table.startsMs[i] ?? 0);
    best = Math.max(best, creditBetween(table, b, b + MS_PER_DAY), creditBetween(table, b - MS_PER_DAY, b));
  }
  return Math.ceil(best / MS_PER_DAY);
}

/** Largest basal volume of any single local calendar day of the week (what the clinician reads as "daily dose"). */
export function maxCalendarDayNl(table: WeekTable): number {
  let best = 0;
  for (let day = 0; day < DAYS_PER_WEEK; day++) {
    const from = localOfWeekPosition(day * MS_PER_DAY);
    best = Math.max(best, creditBetween(table, from, from + MS_PER_DAY));
  }
  return Math.ceil(best / MS_PER_DAY);
}

function isPositiveInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x > 0;
}

export interface ValidationContext {
  /** The prescription running now, for the per-change increase limit; null on first programming. */
  current: Prescription | null;
}

/**
 * Every reason a prescription cannot run as written. Hard issues refuse it; soft issues need an
 * explicit acknowledgement naming their code. Nothing is ever clamped or rounded here.
 */
export function validatePrescription(p: Prescription, ctx: ValidationContext): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const hard = (code: string, path: string, message: string) => issues.push({ code, severity: 'hard', path, message });
  const soft = (code: string, path: string, message: string) => issues.push({ code, severity: 'soft', path, message });

  if (!isDrugId(p.drugId)) {
    hard('unknown-drug', 'drugId', `drug "${String(p.drugId)}" is not in the drug library; the pump stays stopped`);
    return issues;
  }
  const drug = DRUG_LIBRARY[p.drugId];
  if (!drug.concentrationsMcgPerMl.includes(p.concentrationMcgPerMl)) {
    hard(
      'concentration-not-in-library',
      'concentrationMcgPerMl',
      `${p.concentrationMcgPerMl} mcg/mL is not a library concentration of ${drug.name} (${drug.concentrationsMcgPerMl.join(', ')} mcg/mL)`,
    );
  }
  if (!isPositiveInt(p.maxRateNlPerDay) || p.maxRateNlPerDay > LIMITS.defaultMaxRateNlPerDay || p.maxRateNlPerDay < LIMITS.minRateNlPerDay) {
    hard(
      'max-rate-out-of-range',
      'maxRateNlPerDay',
      `maximum rate must be a whole number of nL/day from ${LIMITS.minRateNlPerDay} to ${LIMITS.defaultMaxRateNlPerDay}, got ${p.maxRateNlPerDay}`,
    );
  }
  const maxRate = Math.min(isPositiveInt(p.maxRateNlPerDay) ? p.maxRateNlPerDay : LIMITS.defaultMaxRateNlPerDay, LIMITS.defaultMaxRateNlPerDay);
  const checkRate = (rate: number, path: string) => {
    if (!Number.isSafeInteger(rate)) hard('rate-not-integer', path, `rate must be a whole number of nL/day, got ${rate}`);
    else if (rate < LIMITS.minRateNlPerDay)
      hard('rate-below-minimum', path, `rate ${rate} nL/day is below the pump minimum of ${LIMITS.minRateNlPerDay} nL/day (0.048 mL/day)`);
    else if (rate > maxRate) hard('rate-above-maximum', path, `rate ${rate} nL/day is above the maximum of ${maxRate} nL/day`);
  };

  const basal = p.basal;
  if (basal.kind === 'continuous') {
    checkRate(basal.rateNlPerDay, 'basal.rateNlPerDay');
  } else if (basal.kind === 'flex') {
    if (!Array.isArray(basal.dayPrograms) || basal.dayPrograms.length < 1 || basal.dayPrograms.length > DAYS_PER_WEEK) {
      hard('flex-day-programs', 'basal.dayPrograms', `a flex program needs 1 to 7 day programs, got ${basal.dayPrograms?.length}`);
    } else {
      basal.dayPrograms.forEach((day, d) => {
        const base = `basal.dayPrograms[${d}]`;
        if (day.steps.length < 1 || day.steps.length > LIMITS.maxFlexSteps) {
          hard('flex-step-count', `${base}.steps`, `a day program has 1 to ${LIMITS.maxFlexSteps} steps, "${day.name}" has ${day.steps.length}`);
        }
        day.steps.forEach((step, s) => {
          const path = `${base}.steps[${s}]`;
          if (s === 0 && step.startMinute !== 0) hard('flex-first-step-not-midnight', `${path}.startMinute`, `the first step must start at 00:00, got minute ${step.startMinute}`);
          if (!Number.isSafeInteger(step.startMinute) || step.startMinute < 0 || step.startMinute >= 1440)
            hard('flex-step-start-out-of-range', `${path}.startMinute`, `step start must be a whole minute from 0 to 1439, got ${step.startMinute}`);
          const prev = day.steps[s - 1];
          if (prev !== undefined && step.startMinute <= prev.startMinute)
            hard('flex-steps-not-increasing', `${path}.startMinute`, `steps must start in increasing order; minute ${step.startMinute} follows ${prev.startMinute}`);
          checkRate(step.rateNlPerDay, `${path}.rateNlPerDay`);
        });
      });
    }
    if (!Array.isArray(basal.week) || basal.week.length !== DAYS_PER_WEEK) {
      hard('flex-week', 'basal.week', `week must name a day program for each of the 7 weekdays, got ${basal.week?.length}`);
    } else {
      basal.week.forEach((idx, d) => {
        if (!Number.isInteger(idx) || idx < 0 || idx >= basal.dayPrograms.length)
          hard('flex-week', `basal.week[${d}]`, `weekday ${d} names day program ${idx}, which does not exist`);
      });
    }
  } else {
    hard('basal-kind', 'basal.kind', `basal program kind must be "continuous" or "flex"`);
  }

  const pb = p.patientBolus;
  if (pb !== null) {
    if (!drug.patientBolusAllowed) hard('patient-bolus-not-allowed', 'patientBolus', `patient boluses are not allowed with ${drug.name}`);
    if (!isPositiveInt(pb.volumeNl)) hard('bolus-volume', 'patientBolus.volumeNl', `bolus volume must be a positive whole number of nL, got ${pb.volumeNl}`);
    if (!Number.isSafeInteger(pb.durationMs) || pb.durationMs < LIMITS.minBolusDurationMs || pb.durationMs > LIMITS.maxBolusDurationMs)
      hard('bolus-duration', 'patientBolus.durationMs', `bolus duration must be from ${LIMITS.minBolusDurationMs} to ${LIMITS.maxBolusDurationMs} ms, got ${pb.durationMs}`);
    if (!Number.isSafeInteger(pb.lockoutMs) || pb.lockoutMs <= 0)
      hard('lockout-zero', 'patientBolus.lockoutMs', `a lockout is never 0 or negative, got ${pb.lockoutMs} ms`);
    else if (pb.lockoutMs < LIMITS.minLockoutMs || pb.lockoutMs > LIMITS.maxLockoutMs)
      hard('lockout-out-of-range', 'patientBolus.lockoutMs', `lockout must be from ${LIMITS.minLockoutMs} to ${LIMITS.maxLockoutMs} ms, got ${pb.lockoutMs}`);
    else if (pb.lockoutMs < pb.durationMs)
      hard('lockout-shorter-than-bolus', 'patientBolus.lockoutMs', `lockout (${pb.lockoutMs} ms) must not be shorter than the bolus duration (${pb.durationMs} ms)`);
    if (!Number.isSafeInteger(pb.maxPer24h) || pb.maxPer24h < 1 || pb.maxPer24h > LIMITS.maxPatientBolusesPer24h)
      hard('bolus-count', 'patientBolus.maxPer24h', `allowed boluses per 24 h must be 1 to ${LIMITS.maxPatientBolusesPer24h}, got ${pb.maxPer24h}`);
    if (isPositiveInt(pb.volumeNl)) {
      const bolusPg = amountPg(pb.volumeNl, p.concentrationMcgPerMl);
      if (bolusPg > drug.limits.hardMaxBolusPg)
        hard('bolus-above-hard-limit', 'patientBolus.volumeNl', `bolus of ${fmtDose(bolusPg)} is above the ${drug.name} hard limit of ${fmtDose(drug.limits.hardMaxBolusPg)}`);
      else if (bolusPg > drug.limits.softMaxBolusPg)
        soft('bolus-above-soft-limit', 'patientBolus.volumeNl', `bolus of ${fmtDose(bolusPg)} is above the ${drug.name} soft limit of ${fmtDose(drug.limits.softMaxBolusPg)}`);
      if (Number.isSafeInteger(pb.durationMs) && pb.durationMs > 0) {
        const bolusRate = Math.ceil((pb.volumeNl * MS_PER_DAY) / pb.durationMs);
        if (bolusRate + maxRate > LIMITS.hardwareMaxRateNlPerDay)
          hard('bolus-too-fast', 'patientBolus.durationMs', `bolus of ${pb.volumeNl} nL over ${pb.durationMs} ms on top of the basal exceeds the pump's ${LIMITS.hardwareMaxRateNlPerDay} nL/day`);
      }
    }
  }

  if (!isPositiveInt(p.maxDailyDosePg)) {
    hard('max-daily-dose', 'maxDailyDosePg', `maximum daily dose must be a positive whole number of pg, got ${p.maxDailyDosePg}`);
  } else if (p.maxDailyDosePg > drug.limits.hardMaxDailyPg) {
    hard('max-daily-dose-above-hard-limit', 'maxDailyDosePg', `maximum daily dose ${fmtDose(p.maxDailyDosePg)} is above the ${drug.name} hard limit of ${fmtDose(drug.limits.hardMaxDailyPg)}`);
  }

  if (issues.some((i) => i.severity === 'hard')) return issues;

  const table = buildWeekTable(basal);
  const basalDayPg = amountPg(maxCalendarDayNl(table), p.concentrationMcgPerMl);
  const basal24Pg = amountPg(maxBasal24hNl(table), p.concentrationMcgPerMl);
  const allowancePg = pb === null ? 0 : pb.maxPer24h * amountPg(pb.volumeNl, p.concentrationMcgPerMl);
  if (basal24Pg + allowancePg > p.maxDailyDosePg) {
    hard(
      'program-exceeds-max-daily-dose',
      'maxDailyDosePg',
      `the program can deliver ${fmtDose(basal24Pg + allowancePg)} in 24 h (basal ${fmtDose(basal24Pg)}` +
        (pb === null ? '' : ` + ${pb.maxPer24h} patient boluses ${fmtDose(allowancePg)}`) +
        `), more than the maximum daily dose of ${fmtDose(p.maxDailyDosePg)}`,
    );
  }
  if (basal24Pg + allowancePg > drug.limits.hardMaxDailyPg) {
    hard('daily-dose-above-hard-limit', 'basal', `daily dose up to ${fmtDose(basal24Pg + allowancePg)} is above the ${drug.name} hard limit of ${fmtDose(drug.limits.hardMaxDailyPg)}`);
  } else if (basal24Pg + allowancePg > drug.limits.softMaxDailyPg) {
    soft('daily-dose-above-soft-limit', 'basal', `daily dose up to ${fmtDose(basal24Pg + allowancePg)} is above the ${drug.name} soft limit of ${fmtDose(drug.limits.softMaxDailyPg)}`);
  }
  if (basalDayPg < drug.limits.softMinDailyPg) {
    soft('daily-dose-below-soft-minimum', 'basal', `basal daily dose ${fmtDose(basalDayPg)} is below the ${drug.name} soft minimum of ${fmtDose(drug.limits.softMinDailyPg)}`);
  }
  if (ctx.current !== null && ctx.current.drugId === p.drugId) {
    const before = amountPg(maxCalendarDayNl(buildWeekTable(ctx.current.basal)), ctx.current.concentrationMcgPerMl);
    if (before > 0) {
      const increasePercent = ((basalDayPg - before) / before) * 100;
      if (increasePercent > drug.limits.hardMaxIncreasePercent)
        hard('increase-above-hard-limit', 'basal', `daily dose rises ${increasePercent.toFixed(1)} % (from ${fmtDose(before)} to ${fmtDose(basalDayPg)}); the ${drug.name} hard limit per change is ${drug.limits.hardMaxIncreasePercent} %`);
      else if (increasePercent > drug.limits.softMaxIncreasePercent)
        soft('increase-above-soft-limit', 'basal', `daily dose rises ${increasePercent.toFixed(1)} % (from ${fmtDose(before)} to ${fmtDose(basalDayPg)}); the ${drug.name} soft limit per change is ${drug.limits.softMaxIncreasePercent} %`);
    }
  }
  return issues;
}

/** A dose for messages, in mcg with enough decimals that nothing rounds to a wrong value. */
export function fmtDose(pg: number): string {
  const mcg = pg / 1_000_000;
  return `${Number.isInteger(mcg) ? mcg : Number(mcg.toPrecision(6))} mcg`;
}

/** Daily basal dose of each local calendar weekday, Sunday first, in pg. */
export function dailyBasalDosesPg(p: Prescription): number[] {
  const table = buildWeekTable(p.basal);
  const out: number[] = [];
  for (let day = 0; day < DAYS_PER_WEEK; day++) {
    const from = localOfWeekPosition(day * MS_PER_DAY);
    out.push(Math.round((creditBetween(table, from, from + MS_PER_DAY) / MS_PER_DAY) * p.concentrationMcgPerMl));
  }
  return out;
}
