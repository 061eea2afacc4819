export { EXPECTED_ACTIONS, FAULT_EXAMPLES, FAULT_KINDS, FaultSchema, parseFault, REFILL_FAULTS, type Fault, type FaultKind } from '@thecal/control-port';
export { FaultWorld, describeFault, restartMarkerSeq, softCodes, type CatheterState, type PatientPort, type PatientTruth, type RefillInput, type TimelineEntry, type WorldTruth } from './world.ts';
export { buildDebrief, type Debrief, type ExpectedAction } from './debrief.ts';
export { VirtualPatientPort, DAILY_DOSE_PER_SCREENING_DOSE, type PatientPortOptions } from './patient-port.ts';
