/**
 * The drug library: which drugs the pump may hold, at which concentrations, and the soft and
 * hard limits on their daily dose and bolus. A soft limit may be passed only with an explicit,
 * logged acknowledgement; a hard limit is never passed. Figures from shared/DOMAIN.md section 3;
 * limits not stated there are (placeholder) and live here only.
 */
import { PG_PER_MCG, PG_PER_MG } from './units.ts';

export type DrugId = 'baclofen' | 'morphine' | 'ziconotide' | 'hydromorphone';
export const DRUG_IDS: readonly DrugId[] = ['baclofen', 'morphine', 'ziconotide', 'hydromorphone'];

export interface DrugLimits {
  /** Daily dose above this needs an acknowledgement. */
  softMaxDailyPg: number;
  /** Daily dose above this is refused. */
  hardMaxDailyPg: number;
  /** Daily dose below this needs an acknowledgement (sub-therapeutic, likely a unit error). */
  softMinDailyPg: number;
  /** A single bolus above this needs an acknowledgement / is refused. */
  softMaxBolusPg: number;
  hardMaxBolusPg: number;
  /** Increase of the daily dose over the one running, in percent per change: soft / hard. */
  softMaxIncreasePercent: number;
  hardMaxIncreasePercent: number;
}

export interface DrugEntry {
  id: DrugId;
  name: string;
  /** Unit the clinician reads doses in. */
  displayUnit: 'mcg' | 'mg';
  /** Concentrations the library accepts, mcg/mL. */
  concentrationsMcgPerMl: readonly number[];
  limits: DrugLimits;
  /** Whether patient-activated boluses are allowed with this drug (the PTM is for pain, not baclofen). */
  patientBolusAllowed: boolean;
  /** Days the drug is stable in the reservoir: caps the refill interval. */
  stabilityDays: number;
}

const mcg = (x: number) => Math.round(x * PG_PER_MCG);
const mg = (x: number) => Math.round(x * PG_PER_MG);

export const DRUG_LIBRARY: Readonly<Record<DrugId, DrugEntry>> = {
  baclofen: {
    id: 'baclofen',
    name: 'Baclofen',
    displayUnit: 'mcg',
    concentrationsMcgPerMl: [50, 500, 1000, 2000],
    limits: {
      softMinDailyPg: mcg(12),
      softMaxDailyPg: mcg(1000),
      hardMaxDailyPg: mcg(2000),
      softMaxBolusPg: mcg(100),
      hardMaxBolusPg: mcg(200),
      softMaxIncreasePercent: 30,
      hardMaxIncreasePercent: 100,
    },
    patientBolusAllowed: false,
    stabilityDays: 180,
  },
  morphine: {
    id: 'morphine',
    name: 'Morphine',
    displayUnit: 'mg',
    concentrationsMcgPerMl: [10_000, 25_000],
    limits: {
      softMinDailyPg: mg(0.1),
      softMaxDailyPg: mg(20),
      hardMaxDailyPg: mg(30),
      softMaxBolusPg: mg(1),
      hardMaxBolusPg: mg(3),
      softMaxIncreasePercent: 30,
      hardMaxIncreasePercent: 100,
    },
    patientBolusAllowed: true,
    stabilityDays: 90,
  },
  ziconotide: {
    id: 'ziconotide',
    name: 'Ziconotide',
    displayUnit: 'mcg',
    concentrationsMcgPerMl: [25, 100],
    limits: {
      softMinDailyPg: mcg(0.5),
      softMaxDailyPg: mcg(19.2),
      hardMaxDailyPg: mcg(21.6),
      softMaxBolusPg: mcg(0),
      hardMaxBolusPg: mcg(0),
      softMaxIncreasePercent: 100,
      hardMaxIncreasePercent: 200,
    },
    patientBolusAllowed: false,
    stabilityDays: 60,
  },
  hydromorphone: {
    id: 'hydromorphone',
    name: 'Hydromorphone',
    displayUnit: 'mg',
    concentrationsMcgPerMl: [1_000, 2_000, 5_000, 10_000],
    limits: {
      softMinDailyPg: mg(0.02),
      softMaxDailyPg: mg(3.5),
      hardMaxDailyPg: mg(5),
      softMaxBolusPg: mg(0.2),
      hardMaxBolusPg: mg(0.5),
      softMaxIncreasePercent: 30,
      hardMaxIncreasePercent: 100,
    },
    patientBolusAllowed: true,
    stabilityDays: 90,
  },
};

export function isDrugId(x: unknown): x is DrugId {
  return typeof x === 'string' && (DRUG_IDS as readonly string[]).includes(x);
}
