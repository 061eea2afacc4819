/** The virtual patient used by the fault table: @thecal/patient, an established patient on the programmed dose. */
import { DAILY_DOSE_PER_SCREENING_DOSE, VirtualPatientPort } from '@thecal/virtual-pump';
import type { PatientFactory } from './campaign.ts';

/** Catheter volume of the table's patients (a typical 8709-class catheter, placeholder). */
const CATHETER_VOLUME_NL = 150_000;

export const PATIENT_MODEL_NAME = `@thecal/patient (VirtualPatient, established and therapeutic on the programmed dose, catheter ${CATHETER_VOLUME_NL / 1_000_000} mL + pump internal volume)`;

export const patientFactory: PatientFactory = (o) =>
  new VirtualPatientPort({
    drugId: o.drugId,
    seed: o.seed,
    startMs: o.atMs,
    catheterVolumeNl: CATHETER_VOLUME_NL,
    fillConcentrationMcgPerMl: o.concentrationMcgPerMl,
    steadyDailyPg: o.rateNlPerDay * o.concentrationMcgPerMl,
    // A patient for whom the programmed dose is right (about 1x the model's therapeutic level).
    screeningDosePg: Math.round((o.rateNlPerDay * o.concentrationMcgPerMl) / DAILY_DOSE_PER_SCREENING_DOSE),
  });
