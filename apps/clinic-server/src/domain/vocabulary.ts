/**
 * Fixed lists the clinic records use, from the seed pages (shared/seeds) and DOMAIN.md: the
 * complications of surgery and of the device, drug side effects and withdrawal and overdose signs
 * (adverse events), the screening-test side effects, indications.
 */
export const INDICATIONS = ['spasticity-spinal', 'spasticity-cerebral', 'spasticity-traumatic-brain-injury', 'pain-cancer', 'pain-chronic'] as const;

/** Surgical and device complications (seeds: "Potential surgical / device complications"). */
export const COMPLICATIONS = [
  'infection',
  'meningitis',
  'spinal-fluid-leak',
  'paralysis',
  'headache',
  'swelling',
  'bleeding',
  'bruising',
  'pump-or-catheter-migration',
  'erosion-through-skin',
  'catheter-leak',
  'catheter-tear',
  'catheter-kink',
  'catheter-disconnection',
  'pump-failure',
  'pocket-fill',
] as const;

/** Drug side effects, withdrawal and overdose signs (seeds; DOMAIN 3). */
export const ADVERSE_EVENTS = [
  'loose-muscles',
  'sleepiness',
  'nausea-vomiting',
  'headache',
  'dizziness',
  'withdrawal-high-fever',
  'withdrawal-changed-mental-status',
  'withdrawal-muscle-rigidity',
  'withdrawal-multiple-organ-failure',
  'withdrawal-return-of-spasticity',
  'withdrawal-itching',
  'withdrawal-low-blood-pressure',
  'withdrawal-lightheadedness',
  'withdrawal-tingling',
  'overdose-drowsiness',
  'overdose-breathing-depression',
  'overdose-low-temperature',
  'overdose-seizures',
  'overdose-coma',
  'underdose-no-infusion',
  'overdose-pump-failure',
] as const;

/** Temporary side effects of the screening test (seed 000). */
export const SCREENING_SIDE_EFFECTS = ['loose-muscles', 'nausea-vomiting', 'sleepiness', 'headache', 'dizziness'] as const;

/** Why a pump came out (recorded with the explant as a procedure event). */
export const EXPLANT_REASONS = ['end-of-service', 'infection', 'device-malfunction', 'therapy-no-longer-needed', 'patient-request', 'death', 'other'] as const;

export const SEVERITIES = ['mild', 'moderate', 'severe', 'life-threatening', 'fatal'] as const;

/** Candidate criteria constants (seed 002). */
export const CANDIDATE_RULES = {
  /** "Safety and efficacy in patients under the age of 4 has not been established." */
  minAgeYears: 4,
  /** "implanted 2.5 cm (1 inch) or less from the surface of the skin". */
  maxPumpDepthMm: 25,
  /** "For spasticity due to traumatic brain injury, wait one year after the injury". */
  minMsSinceBrainInjury: 365 * 86_400_000,
} as const;
