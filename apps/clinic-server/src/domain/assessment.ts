/** Candidate assessment: the seed's criteria turned into a decision with every reason named. */
import { CANDIDATE_RULES } from './vocabulary.ts';
import type { AssessmentInputT } from './schemas.ts';

export interface Eligibility {
  eligible: boolean;
  /** Every criterion not met, in words a clinician reads. */
  reasons: string[];
}

export function assessCandidate(a: AssessmentInputT, birthDate: string): Eligibility {
  const reasons: string[] = [];
  if (a.severity !== 'severe') reasons.push('symptoms are not severe');
  if (!a.interferesWithFunctionOrCare) reasons.push('symptoms do not interfere with function, care, comfort or daily activities');
  if (a.screeningResponse !== 'positive') reasons.push(a.screeningResponse === 'not-done' ? 'the screening test has not been done' : 'no positive response to the screening test');
  const age = ageYearsAt(birthDate, a.assessedAtMs);
  if (age < CANDIDATE_RULES.minAgeYears) reasons.push(`age ${age} is under ${CANDIDATE_RULES.minAgeYears}: safety and efficacy not established`);
  if (a.origin === 'traumatic-brain-injury') {
    if (a.brainInjuryAtMs === null) reasons.push('the date of the brain injury is needed');
    else if (a.assessedAtMs - a.brainInjuryAtMs < CANDIDATE_RULES.minMsSinceBrainInjury) reasons.push('less than one year since the traumatic brain injury');
  }
  if (a.activeInfection) reasons.push('active infection');
  if (a.allergyToDrug) reasons.push('allergy to the drug');
  if (!a.bodySizeSufficient) reasons.push('body size too small for the pump');
  if (a.plannedPumpDepthMm > CANDIDATE_RULES.maxPumpDepthMm) reasons.push(`planned pump depth ${a.plannedPumpDepthMm} mm is over ${CANDIDATE_RULES.maxPumpDepthMm} mm: the pump could not be refilled or programmed`);
  if (a.origin === 'spinal-cord' && !a.oralTherapyFailed) reasons.push('spinal origin: oral therapy has not failed (not unresponsive, no intolerable side effects)');
  return { eligible: reasons.length === 0, reasons };
}

export function ageYearsAt(birthDate: string, atMs: number): number {
  const b = new Date(`${birthDate}T00:00:00Z`);
  const at = new Date(atMs);
  let age = at.getUTCFullYear() - b.getUTCFullYear();
  if (at.getUTCMonth() < b.getUTCMonth() || (at.getUTCMonth() === b.getUTCMonth() && at.getUTCDate() < b.getUTCDate())) age -= 1;
  return age;
}
