/**
 * Flex schedules: daily volumes and doses of a day program, per weekday of a basal program, and the
 * 24-hour picture (segments) the programmer draws. A step runs from its start minute to the next
 * step's start (the last one to midnight), so a day's volume is the sum of rate x minutes / 1440.
 */
import { LIMITS, type BasalProgram, type DayProgram, type FlexStep, type Prescription } from '@thecal/pump-core';
import { assertNonNegInt, rateForDailyDosePg } from './doses.ts';

export const MINUTES_PER_DAY = 1_440;

export interface ScheduleSegment {
  startMinute: number;
  endMinute: number;
  rateNlPerDay: number;
}

/** The day's steps as segments covering 00:00 to 24:00; refuses unordered or malformed steps. */
export function daySegments(steps: readonly FlexStep[]): ScheduleSegment[] {
  if (steps.length === 0) throw new RangeError('a day program needs at least one step');
  if (steps.length > LIMITS.maxFlexSteps) throw new RangeError(`a day program has at most ${LIMITS.maxFlexSteps} steps, got ${steps.length}`);
  if (steps[0]?.startMinute !== 0) throw new RangeError('the first step must start at 00:00 (minute 0)');
  const out: ScheduleSegment[] = [];
  steps.forEach((s, i) => {
    assertNonNegInt(s.startMinute, `steps[${i}].startMinute`);
    assertNonNegInt(s.rateNlPerDay, `steps[${i}].rateNlPerDay`);
    const end = steps[i + 1]?.startMinute ?? MINUTES_PER_DAY;
    if (end <= s.startMinute || end > MINUTES_PER_DAY) throw new RangeError(`steps[${i + 1}] must start after steps[${i}] and before 24:00`);
    out.push({ startMinute: s.startMinute, endMinute: end, rateNlPerDay: s.rateNlPerDay });
  });
  return out;
}

/** Volume a day program delivers over one 24-hour day, nL (rounded to the nearest nL). */
export function dayVolumeNl(steps: readonly FlexStep[]): number {
  let nlMinutesPerDay = 0;
  for (const seg of daySegments(steps)) nlMinutesPerDay += seg.rateNlPerDay * (seg.endMinute - seg.startMinute);
  return Math.round(nlMinutesPerDay / MINUTES_PER_DAY);
}

/** Daily dose of a day program, pg (volume x concentration; exact once the volume is whole nL). */
export function dayDosePg(steps: readonly FlexStep[], concentrationMcgPerMl: number): number {
  return dayVolumeNl(steps) * concentrationMcgPerMl;
}

/** The program that runs on each weekday, Sunday first (a continuous program: one virtual day). */
export function weekDayPrograms(basal: BasalProgram): DayProgram[] {
  if (basal.kind === 'continuous') {
    const day: DayProgram = { name: 'every day', steps: [{ startMinute: 0, rateNlPerDay: basal.rateNlPerDay }] };
    return Array.from({ length: 7 }, () => day);
  }
  if (basal.week.length !== 7) throw new RangeError(`week must name 7 day programs, got ${basal.week.length}`);
  return basal.week.map((i, day) => {
    const p = basal.dayPrograms[i];
    if (p === undefined) throw new RangeError(`week[${day}] names day program ${i}, which does not exist`);
    return p;
  });
}

/** Daily volume on each weekday, Sunday first, nL (24-hour days). */
export function weekDailyVolumesNl(basal: BasalProgram): number[] {
  return weekDayPrograms(basal).map((p) => dayVolumeNl(p.steps));
}

/** Mean daily volume over the week, nL/day (rounded): what the reservoir and battery forecasts use. */
export function meanDailyVolumeNl(basal: BasalProgram): number {
  const v = weekDailyVolumesNl(basal);
  return Math.round(v.reduce((a, b) => a + b, 0) / v.length);
}

/** Largest daily volume of any weekday, nL. */
export function maxDailyVolumeNl(basal: BasalProgram): number {
  return Math.max(...weekDailyVolumesNl(basal));
}

/** Minute of the day as HH:MM. */
export function formatMinute(minute: number): string {
  const h = Math.floor(minute / 60);
  const m = minute % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

/** "HH:MM" to minutes after midnight; refuses anything else. */
export function parseMinute(text: string): number {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text.trim());
  if (m === null) throw new RangeError(`a time of day must be HH:MM between 00:00 and 23:59, got "${text}"`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/**
 * The same prescription at another concentration, keeping every dose: each basal rate and the
 * patient-bolus volume are recomputed (rounded to the nearest nL or nL/day, so each dose moves by
 * at most half a nL of the new concentration). The maximum daily dose, in pg, does not change.
 */
export function prescriptionAtConcentration(rx: Prescription, concentrationMcgPerMl: number): Prescription {
  const to = (nl: number) => rateForDailyDosePg(nl * rx.concentrationMcgPerMl, concentrationMcgPerMl);
  const basal: BasalProgram =
    rx.basal.kind === 'continuous'
      ? { kind: 'continuous', rateNlPerDay: to(rx.basal.rateNlPerDay) }
      : { kind: 'flex', week: [...rx.basal.week], dayPrograms: rx.basal.dayPrograms.map((p) => ({ name: p.name, steps: p.steps.map((s) => ({ startMinute: s.startMinute, rateNlPerDay: to(s.rateNlPerDay) })) })) };
  return { ...rx, concentrationMcgPerMl, basal, patientBolus: rx.patientBolus === null ? null : { ...rx.patientBolus, volumeNl: to(rx.patientBolus.volumeNl) } };
}
