/**
 * Per-drug pharmacology of the virtual patient: ranges each virtual patient's parameters are drawn
 * from, the effect scale, and the signs of withdrawal and overdose. Sources and assumptions are in
 * docs/patient.md; (assumption) marks figures not taken from a source.
 */
import type { DrugId } from '@thecal/pump-core';

export type EffectScale = 'modified-ashworth' | 'pain-nrs';

export type WithdrawalSign =
  | 'returning-spasticity'
  | 'itching'
  | 'low-blood-pressure'
  | 'light-headedness'
  | 'tingling'
  | 'fever'
  | 'changed-mental-state'
  | 'muscle-rigidity'
  | 'returning-pain'
  | 'anxiety'
  | 'sweating'
  | 'abdominal-cramps';

export type OverdoseSign =
  | 'drowsiness'
  | 'dizziness'
  | 'confusion'
  | 'hallucinations'
  | 'breathing-difficulty'
  | 'low-body-temperature'
  | 'seizures'
  | 'coma';

export type Sign = WithdrawalSign | OverdoseSign;

export interface WithdrawalSignSpec {
  sign: WithdrawalSign;
  /** Hours after deprivation starts (exposure below 40 % of what the patient is adapted to): drawn per patient. */
  delayH: readonly [number, number];
}

export interface OverdoseSignSpec {
  sign: OverdoseSign;
  /** Relative exposure (driving level / therapeutic level) at which it appears, before per-patient sensitivity. */
  atExposure: number;
}

export interface DrugPharmacology {
  drugId: DrugId;
  scale: EffectScale;
  /** CSF elimination half-life range, h (drawn per patient in 0.1 h steps). */
  csfHalfLifeH: readonly [number, number];
  /** Untreated score and the best score the drug can reach, drawn per patient. */
  baselineScore: readonly [number, number];
  bestScore: readonly [number, number];
  /** Screening / test bolus that makes the patient respond, pg (drawn per patient). */
  screeningDosePg: readonly [number, number];
  /** Systemic (plasma) half-life of drug absorbed from tissue, h. */
  systemicHalfLifeH: readonly [number, number];
  /** Absorption half-life from subcutaneous tissue (pocket), h. */
  tissueAbsorptionHalfLifeH: readonly [number, number];
  /** Intrathecal-equivalent potency of 1 pg in the blood (intrathecal : systemic dose ratio). */
  systemicPotency: number;
  /** Half-life of the adaptation (dependence) level, h. */
  adaptationHalfLifeH: readonly [number, number];
  withdrawal: readonly WithdrawalSignSpec[];
  overdose: readonly OverdoseSignSpec[];
  /** Volume of the CSF the drug mixes in, mL: only to report a concentration. */
  csfVolumeMl: number;
}

const MCG = 1_000_000;

export const PHARMACOLOGY: Readonly<Record<DrugId, DrugPharmacology>> = {
  baclofen: {
    drugId: 'baclofen',
    scale: 'modified-ashworth',
    csfHalfLifeH: [0.9, 5],
    baselineScore: [3, 4],
    bestScore: [0, 1],
    screeningDosePg: [50 * MCG, 100 * MCG],
    systemicHalfLifeH: [2.5, 4],
    tissueAbsorptionHalfLifeH: [0.3, 1],
    systemicPotency: 0.01,
    adaptationHalfLifeH: [24, 72],
    // After a stop the level falls below 40 % of the adapted level in about 9-11 h (the slow cord
    // part of the fit); these delays put the first signs 1-3 days after the stop and fever, changed
    // mental state and rigidity after them (DOMAIN 3, Lioresal label boxed warning).
    withdrawal: [
      { sign: 'returning-spasticity', delayH: [2, 12] },
      { sign: 'itching', delayH: [16, 40] },
      { sign: 'low-blood-pressure', delayH: [18, 48] },
      { sign: 'light-headedness', delayH: [18, 48] },
      { sign: 'tingling', delayH: [18, 50] },
      { sign: 'fever', delayH: [42, 72] },
      { sign: 'changed-mental-state', delayH: [48, 84] },
      { sign: 'muscle-rigidity', delayH: [54, 90] },
    ],
    overdose: [
      { sign: 'drowsiness', atExposure: 2 },
      { sign: 'dizziness', atExposure: 2.5 },
      { sign: 'breathing-difficulty', atExposure: 4 },
      { sign: 'low-body-temperature', atExposure: 5 },
      { sign: 'seizures', atExposure: 7 },
      { sign: 'coma', atExposure: 10 },
    ],
    csfVolumeMl: 140,
  },
  morphine: {
    drugId: 'morphine',
    scale: 'pain-nrs',
    // ~1.5 h (issue 7 brief) to 175-196 min terminal CSF half-life (Nordberg et al. 1984).
    csfHalfLifeH: [1.5, 3.3],
    baselineScore: [6, 9],
    bestScore: [1, 3],
    // Intrathecal trial doses 0.25-0.5 mg (Nordberg et al. 1984; 0.3 mg, Anesth Analg 1988); twice
    // that per day, 0.5-1 mg, is in DOMAIN 3's opioid-naive 0.2-1 mg/day and above what the pump's
    // lowest rate gives at the library's weakest morphine (48 uL/day x 10 mg/mL = 0.48 mg/day).
    screeningDosePg: [250 * MCG, 500 * MCG],
    systemicHalfLifeH: [2, 3.5],
    tissueAbsorptionHalfLifeH: [0.2, 0.7],
    systemicPotency: 0.01,
    adaptationHalfLifeH: [24, 96],
    withdrawal: [
      { sign: 'returning-pain', delayH: [1, 6] },
      { sign: 'anxiety', delayH: [6, 24] },
      { sign: 'sweating', delayH: [8, 30] },
      { sign: 'abdominal-cramps', delayH: [12, 36] },
      { sign: 'fever', delayH: [24, 60] },
    ],
    overdose: [
      { sign: 'drowsiness', atExposure: 2 },
      { sign: 'dizziness', atExposure: 2.5 },
      { sign: 'breathing-difficulty', atExposure: 3.5 },
      { sign: 'low-body-temperature', atExposure: 5 },
      { sign: 'seizures', atExposure: 8 },
      { sign: 'coma', atExposure: 8 },
    ],
    csfVolumeMl: 140,
  },
  hydromorphone: {
    drugId: 'hydromorphone',
    scale: 'pain-nrs',
    // Assumption: as morphine (see drug-timings.ts).
    csfHalfLifeH: [1, 3],
    baselineScore: [6, 9],
    bestScore: [1, 3],
    // DOMAIN 3: ~6 mg morphine = 1 mg hydromorphone intrathecally.
    // Morphine's 0.25-0.5 mg / 6; twice that per day stays above the lowest rate at 1 mg/mL (48 mcg/day).
    screeningDosePg: [42 * MCG, 83 * MCG],
    systemicHalfLifeH: [2, 3],
    tissueAbsorptionHalfLifeH: [0.2, 0.7],
    systemicPotency: 0.01,
    adaptationHalfLifeH: [24, 96],
    withdrawal: [
      { sign: 'returning-pain', delayH: [1, 6] },
      { sign: 'anxiety', delayH: [6, 24] },
      { sign: 'sweating', delayH: [8, 30] },
      { sign: 'abdominal-cramps', delayH: [12, 36] },
    ],
    overdose: [
      { sign: 'drowsiness', atExposure: 2 },
      { sign: 'dizziness', atExposure: 2.5 },
      { sign: 'breathing-difficulty', atExposure: 3.5 },
      { sign: 'low-body-temperature', atExposure: 5 },
      { sign: 'coma', atExposure: 8 },
    ],
    csfVolumeMl: 140,
  },
  ziconotide: {
    drugId: 'ziconotide',
    scale: 'pain-nrs',
    // Prialt label: CSF half-life 4.6 +- 0.9 h; drawn 2.9-6.5 h (about mean +- 2 SD).
    csfHalfLifeH: [2.9, 6.5],
    baselineScore: [6, 9],
    bestScore: [2, 4],
    screeningDosePg: [1 * MCG, 5 * MCG],
    systemicHalfLifeH: [1, 1.6],
    tissueAbsorptionHalfLifeH: [0.3, 1],
    systemicPotency: 0.01,
    adaptationHalfLifeH: [24, 72],
    // Prialt label: may be stopped abruptly without withdrawal effects.
    withdrawal: [{ sign: 'returning-pain', delayH: [2, 12] }],
    // Prialt label (boxed warning, overdosage): dizziness, confusion, hallucinations and other
    // psychiatric signs, reduced consciousness up to unresponsiveness; no breathing depression.
    overdose: [
      { sign: 'dizziness', atExposure: 1.8 },
      { sign: 'confusion', atExposure: 2.2 },
      { sign: 'hallucinations', atExposure: 2.6 },
      { sign: 'drowsiness', atExposure: 3 },
      { sign: 'coma', atExposure: 8 },
    ],
    csfVolumeMl: 140,
  },
};
