/**
 * The input schemas of every record (zod). Objects are strict: an unknown field is an error, not
 * something silently dropped. Units are integers with the unit in the name, as in the pump core.
 */
import { z } from 'zod';
import { DRUG_IDS, LIMITS, PUMP_MODELS, type DrugId, type PumpModelId } from '@thecal/pump-core';
import { ADVERSE_EVENTS, COMPLICATIONS, EXPLANT_REASONS, INDICATIONS, SCREENING_SIDE_EFFECTS, SEVERITIES } from './vocabulary.ts';

/** Epoch milliseconds between 1900 and 2200. */
export const epochMs = z.number().int().min(-2_208_988_800_000).max(7_258_118_400_000);
const positiveInt = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const nonNegativeInt = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const text = (max: number) => z.string().max(max).refine((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(s), 'must not contain control characters');
const name = text(100).pipe(z.string().trim().min(1, 'must not be empty'));
export const drugId = z.enum(DRUG_IDS as unknown as [DrugId, ...DrugId[]]);
export const pumpModel = z.enum(Object.keys(PUMP_MODELS) as [PumpModelId, ...PumpModelId[]]);
export const uuid = z.uuid({ error: 'must be a UUID' });
export const isoDate = z.iso.date({ error: 'must be a date YYYY-MM-DD' });

export const PatientInput = z.strictObject({
  mrn: text(40).pipe(z.string().regex(/^[A-Za-z0-9-]{1,40}$/, 'must be 1 to 40 letters, digits or dashes')),
  familyName: name,
  givenName: name,
  birthDate: isoDate,
  sex: z.enum(['female', 'male', 'other', 'unknown']),
  indication: z.enum(INDICATIONS),
});

export const AssessmentInput = z.strictObject({
  assessedAtMs: epochMs,
  /** Spasticity or pain that interferes with function, care, comfort or daily activities. */
  severity: z.enum(['mild', 'moderate', 'severe']),
  interferesWithFunctionOrCare: z.boolean(),
  screeningResponse: z.enum(['positive', 'negative', 'not-done']),
  /** Origin, for the origin-specific rules. */
  origin: z.enum(['spinal-cord', 'cerebral', 'traumatic-brain-injury', 'pain']),
  brainInjuryAtMs: epochMs.nullable(),
  activeInfection: z.boolean(),
  allergyToDrug: z.boolean(),
  plannedPumpDepthMm: z.number().int().min(1).max(200),
  bodySizeSufficient: z.boolean(),
  /** Oral therapy did not control the symptoms or had intolerable side effects. */
  oralTherapyFailed: z.boolean(),
  notes: text(2000).default(''),
});
export type AssessmentInputT = z.infer<typeof AssessmentInput>;

export const ScreeningTrialInput = z.strictObject({
  drugId,
  startedAtMs: epochMs,
  doses: z
    .array(
      z.strictObject({
        doseMcg: z.number().int().min(1).max(1000),
        givenAtMs: epochMs,
        observedUntilMs: epochMs,
        response: z.enum(['positive', 'partial', 'negative']),
        /** How long the effect lasted, for the starting dose rule (twice the dose if under 8 h). */
        effectDurationMs: nonNegativeInt.max(7 * 86_400_000).nullable(),
        sideEffects: z.array(z.enum(SCREENING_SIDE_EFFECTS)).max(SCREENING_SIDE_EFFECTS.length),
      }),
    )
    .min(1)
    .max(10),
  notes: text(2000).default(''),
});

export const ImplantInput = z.strictObject({
  pumpSerial: text(40).pipe(z.string().regex(/^[A-Za-z0-9-]{3,40}$/, 'must be 3 to 40 letters, digits or dashes')),
  pumpModel,
  implantedAtMs: epochMs,
  pumpDepthMm: z.number().int().min(1).max(200),
  catheterModel: name,
  catheterLengthMm: z.number().int().min(50).max(2000),
  catheterVolumeNl: z.number().int().min(0).max(2_000_000),
});

export const ImplantParams = z.strictObject({ patientId: uuid, implantId: uuid });
export const ExplantInput = z.strictObject({
  explantedAtMs: epochMs,
  reason: z.enum(EXPLANT_REASONS),
  notes: text(2000).default(''),
});

const flexStep = z.strictObject({ startMinute: z.number().int().min(0).max(1439), rateNlPerDay: nonNegativeInt });
export const BasalProgramInput = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('continuous'), rateNlPerDay: nonNegativeInt }),
  z.strictObject({
    kind: z.literal('flex'),
    dayPrograms: z.array(z.strictObject({ name: name, steps: z.array(flexStep).min(1).max(LIMITS.maxFlexSteps) })).min(1).max(7),
    week: z.array(z.number().int().min(0).max(6)).length(7),
  }),
]);
export const PrescriptionBody = z.strictObject({
  drugId,
  concentrationMcgPerMl: positiveInt,
  basal: BasalProgramInput,
  maxRateNlPerDay: positiveInt,
  maxDailyDosePg: positiveInt,
  patientBolus: z
    .strictObject({ volumeNl: positiveInt, durationMs: positiveInt, lockoutMs: positiveInt, maxPer24h: positiveInt })
    .nullable(),
});
export const PrescriptionInput = z.strictObject({
  prescription: PrescriptionBody,
  /** Why it changed: titration, concentration change... kept with every version. */
  reason: name.pipe(z.string().max(500)),
  /** Soft-limit codes the clinician acknowledged (drug library warnings). */
  acknowledgedSoftLimits: z.array(z.string().max(80)).max(20).default([]),
});

export const RefillInput = z.strictObject({
  refilledAtMs: epochMs,
  drugId,
  concentrationMcgPerMl: positiveInt,
  expectedResidualNl: nonNegativeInt.max(50_000_000),
  withdrawnNl: nonNegativeInt.max(50_000_000),
  filledNl: positiveInt.max(50_000_000),
});

export const ClinicalEventInput = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('complication'), code: z.enum(COMPLICATIONS), occurredAtMs: epochMs, severity: z.enum(SEVERITIES), notes: text(2000).default('') }),
  z.strictObject({ kind: z.literal('adverse-event'), code: z.enum(ADVERSE_EVENTS), occurredAtMs: epochMs, severity: z.enum(SEVERITIES), notes: text(2000).default('') }),
]);

export const AbsenceInput = z
  .strictObject({ kind: z.enum(['travel', 'hospital-stay']), fromMs: epochMs, untilMs: epochMs, notes: text(500).default('') })
  .refine((a) => a.untilMs > a.fromMs, { message: 'untilMs must be after fromMs', path: ['untilMs'] });

export const ReviewInput = z.strictObject({ note: text(500).default('') });

export const PatientIdParams = z.strictObject({ patientId: uuid });
export const ListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
