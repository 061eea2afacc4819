/**
 * The published timings each drug's effect chain is fitted to (scripts/fit-effect-table.ts) and
 * tested against (timings.test.ts), and the dose calibration. Every range names its source here
 * and in docs/patient-model.md; "assumption" marks ranges no source gave us.
 *
 * Definitions (the fit and the tests measure exactly these):
 * - bolus: a screening dose X into the CSF of a drug-free patient; onset = the driving level first
 *   reaches the patient's perceptible level, peak = its maximum, duration = from onset until it
 *   falls below the perceptible level again;
 * - infusion (a dose adjustment, as the sources put it: "after a dose adjustment you will usually
 *   see the effects in 6 to 8 hours and the maximum effect in one or two days"): a patient at
 *   steady state on the maintenance dose has the daily dose raised by `titrationStep`;
 *   onset = the effect has made half of its change, maximum = 95 % of it.
 */
import type { DrugId } from '@thecal/pump-core';

export type HourRange = readonly [number, number];

export interface PublishedTimings {
  bolusOnsetH: HourRange;
  bolusPeakH: HourRange;
  bolusDurationH: HourRange;
  infusionOnsetH: HourRange;
  infusionMaximumH: HourRange;
  /** The dose step the infusion timings are measured on (fraction of the daily dose). */
  titrationStep: number;
  /** Where each range comes from (docs/patient-model.md repeats these beside each number). */
  sources: Readonly<Record<'bolus' | 'infusion' | 'halfLife', string>>;
}

/**
 * A patient who responded to a screening bolus of X is kept therapeutic by MAINTENANCE x X per
 * day. Lioresal label (CHEO drug monograph, Medscape): the initial daily dose is the effective
 * screening dose when its effect lasted over 8 h, twice it when under 8 h (it does, 4-8 h, for
 * baclofen); the model takes twice for every drug, so 1 x X per day is at the edge of the
 * therapeutic range (half the therapeutic level) and 2 x X per day is the therapeutic level.
 */
export const MAINTENANCE_PER_SCREENING_DOSE = 2;

/**
 * The therapeutic level as a multiple of the perceptible level, allowed range: the Hill exponent
 * that joins them (effect 0.25 at the perceptible level, 0.6 at the therapeutic one) then stays
 * from 1.4 to 3.7 (assumption: a steep but not switch-like concentration-effect curve).
 */
export const THERAPEUTIC_PER_PERCEPTIBLE: HourRange = [1.5, 3];

const LIORESAL =
  'Lioresal Intrathecal label and lioresal.com HCP screening page (onset 30-60 min, peak about 4 h, effects 4-8 h); seed page 003 (after a dose change effects in 6-8 h, maximum in one or two days); DOMAIN 3';

export const PUBLISHED_TIMINGS: Readonly<Record<DrugId, PublishedTimings>> = {
  baclofen: {
    bolusOnsetH: [0.5, 1],
    bolusPeakH: [3, 5],
    bolusDurationH: [4, 8],
    infusionOnsetH: [6, 8],
    infusionMaximumH: [24, 48],
    // Lioresal label: raise by 10-30 % per 24 h (spinal), 5-15 % (cerebral); the middle step.
    titrationStep: 0.2,
    sources: { bolus: LIORESAL, infusion: LIORESAL, halfLife: 'DOMAIN 3: CSF half-life 0.9-5 h' },
  },
  morphine: {
    bolusOnsetH: [0.5, 1],
    bolusPeakH: [2, 8],
    bolusDurationH: [12, 24],
    infusionOnsetH: [1, 12],
    infusionMaximumH: [12, 48],
    titrationStep: 0.2,
    sources: {
      bolus:
        'onset 30-60 min (issue 7 brief, intrathecal morphine; not checked against the Duramorph label here); duration: analgesia around 12 h (Nordberg et al., Anesthesiology 1984;60:448), over 20 h after 0.3-2.5 mg (Anesth Analg 1988;67:1082), up to 24 h (clinicalgate.com, neuraxial opioids); peak 2-8 h: assumption (between onset and the long plateau)',
      infusion: 'steady state within about 24 h, dose changes 24 h apart (IT morphine practice): maximum 12-48 h; onset 1-12 h: assumption',
      halfLife: 'CSF elimination about 1.5 h (issue 7 brief) to 2.9-3.3 h (terminal CSF half-life 175-196 min, Nordberg et al. 1984)',
    },
  },
  hydromorphone: {
    bolusOnsetH: [0.25, 1],
    bolusPeakH: [1, 6],
    bolusDurationH: [8, 20],
    infusionOnsetH: [1, 12],
    infusionMaximumH: [12, 48],
    titrationStep: 0.2,
    sources: {
      bolus:
        'assumption: like morphine but a little faster and shorter (slightly more lipophilic: octanol/water 2 vs 1.4, clinicalgate.com neuraxial opioids); potency DOMAIN 3 (about 6 mg morphine = 1 mg hydromorphone)',
      infusion: 'as morphine (assumption)',
      halfLife: 'assumption: 1-3 h, as morphine (plasma half-life 1.9 h, Westerling et al. 1996)',
    },
  },
  ziconotide: {
    bolusOnsetH: [0.5, 2],
    bolusPeakH: [2, 6],
    bolusDurationH: [4, 16],
    infusionOnsetH: [2, 24],
    infusionMaximumH: [24, 72],
    titrationStep: 0.2,
    sources: {
      bolus: 'bolus trials judge the response 1-6 h after a 1.2-3.75 mcg injection (Eldabe et al., Neuromodulation 2013, pilot study): onset 0.5-2 h, peak 2-6 h; duration 4-16 h: assumption',
      infusion:
        'Prialt label: raise at most 2-3 times a week, at least 24 h apart, because effects build slowly: maximum 24-72 h; onset 2-24 h: assumption',
      halfLife: 'Prialt label: CSF half-life 4.6 +- 0.9 h after intrathecal doses; drawn 2.9-6.5 h',
    },
  },
};
