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
    withdrawal: [
      { sign: 'returning-spasticity', delayH: [2, 12] },
      { sign: 'itching', delayH: [6, 30] },
      { sign: 'low-blood-pressure', delayH: [8, 36] },
      { sign: 'light-headedness', delayH: [8, 36] },
      { sign: 'tingling', delayH: [8, 40] },
      { sign: 'fever', delayH: [24, 60] },
      { sign: 'changed-mental-state', delayH: [30, 72] },
      { sign: 'muscle-rigidity', delayH: [36, 72] },
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
    csfHalfLifeH: [1, 4],
    baselineScore: [6, 9],
    bestScore: [1, 3],
    screeningDosePg: [100 * MCG, 500 * MCG],
    systemicHalfLifeH: [2, 3.5],
    tissueAbsorptionHalfLifeH: [0.2, 0.7],
    systemicPotency: 0.01,
    adaptationHalfLifeH: [24, 96],
    withdrawal: [
      { sign: 'returning-pain', delayH: [2, 10] },
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
    csfHalfLifeH: [1, 4],
    baselineScore: [6, 9],
    bestScore: [1, 3],
    // DOMAIN 3: ~6 mg morphine = 1 mg hydromorphone intrathecally.
    screeningDosePg: [17 * MCG, 83 * MCG],
    systemicHalfLifeH: [2, 3],
    tissueAbsorptionHalfLifeH: [0.2, 0.7],
    systemicPotency: 0.01,
    adaptationHalfLifeH: [24, 96],
    withdrawal: [
      { sign: 'returning-pain', delayH: [2, 10] },
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
    // Prialt label: CSF terminal half-life about 4.6 h (2.9 to 6.5 h); the fit table ends at 5 h.
    csfHalfLifeH: [2.9, 5],
    baselineScore: [6, 9],
    bestScore: [2, 4],
    screeningDosePg: [1 * MCG, 5 * MCG],
    systemicHalfLifeH: [1, 1.6],
    tissueAbsorptionHalfLifeH: [0.3, 1],
    systemicPotency: 0.01,
    adaptationHalfLifeH: [24, 72],
    // Prialt label: may be stopped abruptly without withdrawal effects.
    withdrawal: [{ sign: 'returning-pain', delayH: [2, 12] }],
    overdose: [
      { sign: 'dizziness', atExposure: 1.8 },
      { sign: 'confusion', atExposure: 2.2 },
      { sign: 'drowsiness', atExposure: 3 },
      { sign: 'coma', atExposure: 8 },
    ],
    csfVolumeMl: 140,
  },
};
