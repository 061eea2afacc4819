/** The virtual patient of a training run: @thecal/patient, set up from the scenario. */
import { DAILY_DOSE_PER_SCREENING_DOSE, VirtualPatientPort, type PatientPort } from '@thecal/virtual-pump';
import type { TrainingScenario } from './scenario.ts';

/** Catheter volume when the scenario names none (a typical catheter, placeholder). */
const DEFAULT_CATHETER_VOLUME_NL = 150_000;

export function trainingPatient(s: TrainingScenario): PatientPort {
  const t = s.therapy;
  return new VirtualPatientPort({
    drugId: s.patient.drugId,
    seed: s.patient.seed,
    startMs: s.start,
    catheterVolumeNl: t?.catheterVolume ?? DEFAULT_CATHETER_VOLUME_NL,
    // A new pump's catheter is empty; an established one is full of the drug in use.
    fillConcentrationMcgPerMl: t === null ? 0 : t.concentration,
    steadyDailyPg: t === null ? 0 : t.rate * t.concentration,
    // The dose the patient is on is the right one for them, unless the scenario says otherwise.
    ...(s.patient.screeningDose !== undefined ? { screeningDosePg: s.patient.screeningDose } : t !== null ? { screeningDosePg: Math.round((t.rate * t.concentration) / DAILY_DOSE_PER_SCREENING_DOSE) } : {}),
    screeningBoluses: s.patient.screeningBoluses.map((b) => ({ atMs: s.start + b.after, amountPg: b.amount })),
  });
}
