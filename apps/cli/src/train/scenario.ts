/**
 * Training scenarios ("thecal-training/1", examples/training/*.json): the starting state of a pump
 * and its virtual patient, the faults the instructor has scheduled, what the trainee is told, and
 * what a good trainee does by when (checked in the debrief). Quantities are written with their
 * unit ("20 mL", "0.5 mL/day", "PT6H") and converted exactly to the core's integer units; a value
 * that does not convert is refused with its path, never rounded.
 */
import { z } from 'zod';
import { DRUG_IDS, PUMP_MODELS, type DrugId, type PumpModelId } from '@thecal/pump-core';
import { AMOUNT, CONCENTRATION, DAILY_AMOUNT, RATE, VOLUME, parseDuration, parseInstant, toCoreUnits, type Dimension } from '@thecal/sim';
import { EXPECTED_ACTIONS, FaultSchema, type Fault } from '@thecal/virtual-pump';

export const TRAINING_FORMAT = 'thecal-training/1';

const quantity = (dim: Dimension) =>
  z.union([z.number(), z.string()]).transform((v, ctx) => {
    const r = toCoreUnits(v, dim);
    if (!r.ok) {
      ctx.addIssue({ code: 'custom', message: r.message });
      return z.NEVER;
    }
    return r.value;
  });
const duration = z.string().transform((v, ctx) => {
  const r = parseDuration(v);
  if (!r.ok) {
    ctx.addIssue({ code: 'custom', message: r.message });
    return z.NEVER;
  }
  return r.value;
});
const instant = z.string().transform((v, ctx) => {
  const r = parseInstant(v);
  if (!r.ok) {
    ctx.addIssue({ code: 'custom', message: r.message });
    return z.NEVER;
  }
  return r.value;
});

export { EXPECTED_ACTIONS };
export type ExpectedAction = (typeof EXPECTED_ACTIONS)[number];

export const TrainingSchema = z.strictObject({
  format: z.literal(TRAINING_FORMAT, `format must be "${TRAINING_FORMAT}"`),
  title: z.string().min(1).max(120),
  /** What the trainee is told at the start. */
  briefing: z.string().min(1).max(4000),
  /** What really happens, and what a good trainee does: for the instructor only. */
  instructorNotes: z.string().min(1).max(4000),
  /** Pump time at the start. */
  start: instant,
  /** Pump seconds per real second. */
  speed: z.number().int().min(1).max(1_000_000).default(3600),
  pump: z.strictObject({
    serial: z.string().regex(/^[A-Za-z0-9._-]{1,32}$/, 'serial: 1 to 32 letters, digits, dots, dashes or underscores'),
    model: z.enum(Object.keys(PUMP_MODELS) as [PumpModelId, ...PumpModelId[]]),
  }),
  /** The pump as the trainee finds it. Omit `therapy` for a new pump that has never been filled. */
  therapy: z
    .strictObject({
      drugId: z.enum(DRUG_IDS as unknown as [DrugId, ...DrugId[]]),
      concentration: quantity(CONCENTRATION),
      reservoir: quantity(VOLUME),
      rate: quantity(RATE),
      maxDailyDose: quantity(DAILY_AMOUNT),
      /** Catheter dead volume (the patient's catheter path delays a concentration change by it). */
      catheterVolume: quantity(VOLUME).optional(),
      /** How long the pump has been implanted (battery used), e.g. "P2400D"; refilled every 60 days on the way. */
      pumpAge: duration.optional(),
    })
    .nullable(),
  patient: z.strictObject({
    drugId: z.enum(DRUG_IDS as unknown as [DrugId, ...DrugId[]]),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(1),
    /** The patient's effective screening bolus, which sets how much drug they need (default: matched to the therapy). */
    screeningDose: quantity(AMOUNT).optional(),
    /** Screening boluses by lumbar puncture before any pump therapy (drug straight into the spine). */
    screeningBoluses: z.array(z.strictObject({ after: duration, amount: quantity(AMOUNT) })).max(10).default([]),
  }),
  faults: z.array(z.strictObject({ after: duration, fault: FaultSchema, note: z.string().max(400).optional() })).max(50).default([]),
  /** What a good trainee does, by when (from the start): the debrief marks each met or missed. */
  expected: z.array(z.strictObject({ action: z.enum(EXPECTED_ACTIONS), by: duration, why: z.string().min(1).max(400) })).max(20).default([]),
});
export type TrainingScenario = z.output<typeof TrainingSchema>;
export type TrainingFault = { afterMs: number; fault: Fault; note?: string };

export function parseTraining(input: unknown): { ok: true; scenario: TrainingScenario } | { ok: false; errors: string[] } {
  const r = TrainingSchema.safeParse(input);
  if (r.success) return { ok: true, scenario: r.data };
  return { ok: false, errors: r.error.issues.map((i) => `${i.path.length === 0 ? '(scenario)' : i.path.join('.')}: ${i.message}`) };
}
