/**
 * Measures the published timings on the full patient model (catheter path, exact chain solution,
 * Hill effect), sampling every 0.02 h: used by timings.test.ts and scripts/measure-timings.ts.
 * Definitions in drug-timings.ts.
 */
import { MS_PER_HOUR } from '@thecal/pump-core';
import { PUBLISHED_TIMINGS } from './drug-timings.ts';
import { ADJUSTMENT_MAXIMUM_FRACTION, ADJUSTMENT_ONSET_FRACTION, effectOf } from './effect-timing.ts';
import { hillExponentOf, therapeuticLevelPg, type PatientParams } from './params.ts';
import { VirtualPatient } from './patient.ts';

const H = MS_PER_HOUR;
const PATH_NL = 300_000;
const STEP_H = 0.02;

/** Samples `read` every STEP_H hours for `untilH` hours while `drive` feeds the patient. */
function sample(p: VirtualPatient, untilH: number, drive: (fromMs: number, toMs: number) => void, read: () => number): number[] {
  const out = [read()];
  const t0 = p.nowMs;
  const n = Math.round(untilH / STEP_H);
  for (let i = 1; i <= n; i++) {
    drive(p.nowMs, t0 + Math.round(i * STEP_H * H));
    out.push(read());
  }
  return out;
}

/** A screening bolus into the CSF of a drug-free patient: onset, peak and duration of the perceptible effect. */
export function measureBolus(params: PatientParams): { onsetH: number; peakH: number; durationH: number; peakEffect: number } | null {
  const p = new VirtualPatient(params, { startMs: 0, catheter: { deadVolumeNl: PATH_NL } });
  p.inject(0, 'csf', params.screeningDosePg);
  const level = sample(p, 48, (_f, to) => p.advanceTo(to), () => p.state().drivingLevelPg);
  const P = params.perceptibleLevelPg;
  const on = level.findIndex((l) => l >= P);
  let peak = 0;
  for (let i = 1; i < level.length; i++) if ((level[i] as number) > (level[peak] as number)) peak = i;
  const off = level.findIndex((l, i) => i > peak && l < P);
  if (on < 0 || off <= peak) return null;
  return { onsetH: on * STEP_H, peakH: peak * STEP_H, durationH: (off - on) * STEP_H, peakEffect: effectOf(level[peak] as number, P, hillExponentOf(params)) };
}

/** A dose adjustment from steady state on the maintenance dose: when half and 95 % of the effect change are reached. */
export function measureAdjustment(params: PatientParams): { onsetH: number; maximumH: number } | null {
  const conc = 500;
  const p = new VirtualPatient(params, { startMs: 0, catheter: { deadVolumeNl: PATH_NL, fillConcentrationMcgPerMl: conc }, steadyDailyPg: params.maintenanceDailyPg });
  const step = PUBLISHED_TIMINGS[params.drugId].titrationStep;
  const dailyPg = params.maintenanceDailyPg * (1 + step);
  const nlPerMs = dailyPg / conc / (24 * H);
  const effect = sample(p, 96, (from, to) => p.receive(from, to, (to - from) * nlPerMs, conc), () => p.state().effect.fraction);
  const e0 = effect[0] as number;
  const e1 = effectOf(therapeuticLevelPg(params) * (1 + step), params.perceptibleLevelPg, hillExponentOf(params));
  const on = effect.findIndex((e) => e >= e0 + ADJUSTMENT_ONSET_FRACTION * (e1 - e0));
  const max = effect.findIndex((e) => e >= e0 + ADJUSTMENT_MAXIMUM_FRACTION * (e1 - e0));
  if (on < 0 || max < 0) return null;
  return { onsetH: on * STEP_H, maximumH: max * STEP_H };
}


/** An established patient on the maintenance dose stops: when deprivation and the first withdrawal sign begin, h. */
export function measureWithdrawal(params: PatientParams): { deprivationH: number | null; firstSignH: number | null } {
  const p = new VirtualPatient(params, { startMs: 0, catheter: { deadVolumeNl: PATH_NL }, steadyDailyPg: params.maintenanceDailyPg });
  p.advanceTo(6 * 24 * H);
  const events = p.drainEvents();
  const dep = events.find((e) => e.type === 'deprivation-began');
  const first = events.find((e) => e.type === 'sign-began' && e.kind === 'withdrawal' && e.sign !== 'returning-spasticity' && e.sign !== 'returning-pain');
  return { deprivationH: dep === undefined ? null : dep.atMs / H, firstSignH: first === undefined ? null : first.atMs / H };
}
