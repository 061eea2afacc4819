/**
 * What the virtual pump's control port answers: the ground truth a trainee cannot see (GET /truth)
 * and the debrief of a training run (GET /debrief). The virtual pump builds these types; the
 * instructor page checks every answer against the same schemas before it shows anything.
 */
import { ALARM_CODES, DRUG_IDS, SUSPEND_REASONS, type AlarmCode, type DrugId } from '@thecal/pump-core';
import { issueLines } from '@thecal/pump-schemas';
import { z } from 'zod';
import { FaultSchema } from './faults.ts';

const int = z.int();
const DRUGS = DRUG_IDS as readonly DrugId[] as [DrugId, ...DrugId[]];
const ALARMS = ALARM_CODES as readonly AlarmCode[] as [AlarmCode, ...AlarmCode[]];

export const TimelineEntrySchema = z.object({
  atMs: int,
  source: z.enum(['fault', 'pump', 'patient', 'action']),
  text: z.string(),
});
export type TimelineEntry = z.infer<typeof TimelineEntrySchema>;

export const CatheterStateSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('intact') }),
  z.object({ kind: z.literal('occluded') }),
  z.object({ kind: z.literal('leak'), fractionPercent: int.min(1).max(99) }),
  z.object({ kind: z.literal('disconnected') }),
]);
export type CatheterState = z.infer<typeof CatheterStateSchema>;

export const PatientTruthSchema = z.object({
  /** Short headline of the patient's condition. */
  state: z.enum(['well', 'under-dosed', 'withdrawal', 'overdose']),
  signs: z.array(z.string()),
  /** When the current state began (the model's own crossing time), if the model knows. */
  sinceMs: int.nullable().exactOptional(),
  /** Anything else the model reports (drug in CSF, effect scores...), shown as-is to the instructor. */
  detail: z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])),
});
export type PatientTruth = z.infer<typeof PatientTruthSchema>;

/** The world around a pump: what the pump believes beside what is true. */
export const WorldTruthSchema = z.object({
  trueMs: int,
  pumpUtcMs: int,
  clockErrorMs: int,
  clockDriftPpm: int,
  believedReservoirNl: int,
  trueReservoirNl: int,
  pocketNl: int,
  catheter: CatheterStateSchema,
  faults: z.array(z.object({ atMs: int, fault: FaultSchema })),
  patient: PatientTruthSchema.nullable(),
  pump: z.object({
    running: z.boolean(),
    suspendedBy: z.enum(SUSPEND_REASONS).nullable(),
    rateNlPerDay: int,
    alarms: z.array(z.enum(ALARMS)),
    drugId: z.enum(DRUGS).nullable(),
    concentrationMcgPerMl: int,
  }),
  timeline: z.array(TimelineEntrySchema),
});
export type WorldTruth = z.infer<typeof WorldTruthSchema>;

/** The training run a virtual pump was started for, as GET /truth shows it to the instructor. */
export const TrainingSummarySchema = z.object({ title: z.string(), briefing: z.string(), instructorNotes: z.string() });

/** The body of GET /truth. */
export const TruthAnswerSchema = WorldTruthSchema.extend({
  serial: z.string(),
  /** Pump seconds per real second. */
  speed: z.number().positive(),
  startMs: int,
  refillFaultArmed: FaultSchema.nullable(),
  training: TrainingSummarySchema.nullable(),
});
export type TruthAnswer = z.infer<typeof TruthAnswerSchema>;

/** What a training scenario can expect the trainee to do (the debrief matches them on the timeline's actions). */
export const EXPECTED_ACTIONS = ['interrogation', 'refill', 'program-change', 'bridge-bolus', 'clinician-bolus', 'alarm-cleared', 'stop-therapy', 'resume-therapy'] as const;

/** An action the trainee is expected to take, by a time from the start of the scenario. */
export const ExpectedActionSchema = z.object({
  action: z.enum(EXPECTED_ACTIONS),
  byMs: int.min(0),
  why: z.string(),
});
export type ExpectedAction = z.infer<typeof ExpectedActionSchema>;

/** The body of GET /debrief. */
export const DebriefSchema = z.object({
  startMs: int,
  nowMs: int,
  timeline: z.array(TimelineEntrySchema),
  expected: z.array(ExpectedActionSchema.extend({ status: z.enum(['met', 'missed', 'pending']), atMs: int.nullable() })),
  /** First pump alarm, first patient sign, first trainee action after each fault. */
  faults: z.array(z.object({ atMs: int, text: z.string(), firstPumpAlarmMs: int.nullable(), firstPatientSignMs: int.nullable(), firstActionMs: int.nullable() })),
});
export type Debrief = z.infer<typeof DebriefSchema>;

/** An answer of the control port checked against its schema: the value, or every problem with its path. */
export function checkAnswer<S extends z.ZodType>(schema: S, body: unknown): { ok: true; value: z.output<S> } | { ok: false; errors: string[] } {
  const r = schema.safeParse(body);
  return r.success ? { ok: true, value: r.data } : { ok: false, errors: issueLines(r.error, '(answer)') };
}
