/**
 * @thecal/patient: the virtual patient. Pure and deterministic like the pump core: no I/O, no
 * clock, no timers; randomness only from a seeded generator the caller passes in. See
 * docs/patient.md for the model, its sources and its limits.
 *
 * API (stable: later versions add, never rename):
 *
 *   const params = drawPatient(seededUniform(seed), { drugId: 'baclofen' });    // one virtual patient
 *   const patient = new VirtualPatient(params, {
 *     startMs, catheter: { deadVolumeNl, fillConcentrationMcgPerMl },          // path reservoir -> tip
 *     steadyDailyPg,                                                           // optional: established patient
 *   });
 *   patient.receive(fromMs, toMs, volumeNl, concentrationMcgPerMl);            // pump pushed this, evenly
 *   patient.advanceTo(atMs);                                                   // nothing pushed
 *   patient.setCatheterFault(atMs, { kind: 'occlusion' } | { kind: 'leak', fraction } | { kind: 'disconnection' } | null);
 *   patient.inject(atMs, 'tissue' | 'csf', amountPg);                         // pocket fill / access-port injection
 *   patient.state();        // CSF amount & concentration, effect score, condition, active signs (+ since), catheter, totals, episodes
 *   patient.drainEvents();  // sign-began / sign-ended / condition-changed / deprivation-* / catheter-fault / injection, each with atMs
 *
 *   // Or driven from a pump core: sync after each advance / command (and right before refills).
 *   const link = PumpPatientLink.attach(pump, params, { steadyDailyPg });      // path = catheter + pump internal volume
 *   pump.advanceTo(t); link.sync(pump); link.patient.state();
 *
 * Conditions: 'therapeutic' | 'sub-therapeutic' | 'withdrawal' | 'overdose'. Effect scale:
 * modified Ashworth 0-4 (baclofen), pain 0-10 (morphine, ziconotide, hydromorphone). Each drug has
 * its own fitted effect kinetics (PUBLISHED_TIMINGS, docs/patient-model.md); a patient's
 * maintenanceDailyPg is MAINTENANCE_PER_SCREENING_DOSE (2) x their screening dose.
 */
export { VirtualPatient, type PatientState, type PatientEvent, type PatientOptions, type Condition, type ActiveSign } from './patient.ts';
export { CatheterPath, validateCatheterFault, type CatheterFault, type PathOutput } from './catheter.ts';
export { PumpPatientLink, pathVolumeNl } from './pump-link.ts';
export { drawPatient, validatePatientParams, therapeuticLevelPg, hillExponentOf, effectFit, THERAPEUTIC_EFFECT, type PatientParams, type DrawOptions } from './params.ts';
export { PUBLISHED_TIMINGS, MAINTENANCE_PER_SCREENING_DOSE, THERAPEUTIC_PER_PERCEPTIBLE, type PublishedTimings, type HourRange } from './drug-timings.ts';
export { PHARMACOLOGY, type DrugPharmacology, type EffectScale, type Sign, type WithdrawalSign, type OverdoseSign } from './drugs.ts';
export { bolusCurve, bolusTimings, infusionTimings, effectOf, hillExponentFor, levelForEffect, PERCEPTIBLE_EFFECT, HILL, ADJUSTMENT_ONSET_FRACTION, ADJUSTMENT_MAXIMUM_FRACTION, type EffectShape } from './effect-timing.ts';
export { chainRates, chainSegment, chainValue, chainValues, type ChainRates, type ChainSegment } from './chain.ts';
