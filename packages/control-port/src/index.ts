export { FAULT_EXAMPLES, FAULT_KINDS, FaultSchema, REFILL_FAULTS, parseFault, type Fault, type FaultKind } from './faults.ts';
export {
  CatheterStateSchema,
  DebriefSchema,
  ExpectedActionSchema,
  PatientTruthSchema,
  TimelineEntrySchema,
  TrainingSummarySchema,
  TruthAnswerSchema,
  WorldTruthSchema,
  checkAnswer,
  type CatheterState,
  type Debrief,
  type ExpectedAction,
  type PatientTruth,
  type TimelineEntry,
  type TruthAnswer,
  type WorldTruth,
} from './truth.ts';
