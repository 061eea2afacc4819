/**
 * The faults an instructor can inject, as data: validated at every boundary (the virtual pump's
 * POST /fault, a training scenario file, the fault-table campaign) by one zod schema, so a bad
 * fault is refused with the path and the reason, never guessed at. The instructor page checks a
 * fault with it too, before sending it.
 */
import { z } from 'zod';
import { LIMITS, MAX_EXTRA_DRAIN_UJ_PER_DAY } from '@thecal/pump-core';
import { issueLines } from '@thecal/pump-schemas';

const wholeMs = (what: string, max: number) =>
  z.number({ error: `${what} must be a number of milliseconds` }).int(`${what} must be a whole number of milliseconds`).min(0, `${what} cannot be negative`).max(max, `${what} is at most ${max} ms`);

export const FAULT_KINDS = [
  'motor-stall',
  'mri',
  'occlusion',
  'leak',
  'disconnection',
  'catheter-repair',
  'battery-drain',
  'low-battery-reset',
  'memory-corruption',
  'clock-drift',
  'pocket-fill',
  'access-port-injection',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const FaultSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.literal('motor-stall'),
      /** null: the rotor never recovers (the pump must be replaced). */
      recoveryDelayMs: wholeMs('recoveryDelayMs', LIMITS.maxStallRecoveryDelayMs).nullable(),
    }),
    z.strictObject({
      kind: z.literal('mri'),
      fieldMs: wholeMs('fieldMs', 12 * 3_600_000),
      recoveryDelayMs: wholeMs('recoveryDelayMs', LIMITS.maxStallRecoveryDelayMs),
    }),
    /** The catheter is kinked or blocked: nothing reaches the spine, the pump does not know. */
    z.strictObject({ kind: z.literal('occlusion') }),
    /** A crack: this share of what the pump delivers goes into tissue instead of the spine. */
    z.strictObject({ kind: z.literal('leak'), fractionPercent: z.number().int('fractionPercent must be a whole percent').min(1).max(99) }),
    z.strictObject({ kind: z.literal('disconnection') }),
    /** A surgical revision: the catheter path is whole again (ends occlusion, leak, disconnection). */
    z.strictObject({ kind: z.literal('catheter-repair') }),
    z.strictObject({
      kind: z.literal('battery-drain'),
      extraUjPerDay: z.number().int('extraUjPerDay must be whole microjoules per day').min(1, 'extraUjPerDay must be positive').max(MAX_EXTRA_DRAIN_UJ_PER_DAY),
    }),
    /** The supply sagged: the pump restarts from its memory and raises the low-battery-reset alarm. */
    z.strictObject({ kind: z.literal('low-battery-reset') }),
    /** Bit flips in the memory, found by the self-test at the restart that follows. */
    z.strictObject({ kind: z.literal('memory-corruption'), banks: z.enum(['newest', 'both']) }),
    /** The pump's oscillator runs fast (positive) or slow (negative), parts per million. */
    z.strictObject({
      kind: z.literal('clock-drift'),
      ppm: z.number().int('ppm must be whole parts per million').min(-100_000).max(100_000).refine((v) => v !== 0, 'ppm must not be 0'),
    }),
    /** During a refill, this share of the injected volume goes into the subcutaneous pocket. */
    z.strictObject({ kind: z.literal('pocket-fill'), pocketPercent: z.number().int().min(1).max(100) }),
    /** During a refill, this volume is injected into the catheter access port: straight to the spine. */
    z.strictObject({ kind: z.literal('access-port-injection'), volumeNl: z.number().int('volumeNl must be whole nL').min(1).max(40_000_000) }),
  ],
  { error: (issue) => (issue.code === 'invalid_union' ? `kind must be one of ${FAULT_KINDS.join(', ')}` : undefined) },
);
export type Fault = z.infer<typeof FaultSchema>;

/** A fault as data from outside: the fault, or every problem with its path. */
export function parseFault(input: unknown): { ok: true; fault: Fault } | { ok: false; errors: string[] } {
  const r = FaultSchema.safeParse(input);
  return r.success ? { ok: true, fault: r.data } : { ok: false, errors: issueLines(r.error, '(fault)') };
}

/** Faults that act during a refill rather than at any moment. */
export const REFILL_FAULTS: ReadonlySet<FaultKind> = new Set(['pocket-fill', 'access-port-injection']);

/** One example of each kind, as an instructor would type it (the instructor page offers these). */
export const FAULT_EXAMPLES: { readonly [K in FaultKind]: Extract<Fault, { kind: K }> } = {
  occlusion: { kind: 'occlusion' },
  leak: { kind: 'leak', fractionPercent: 50 },
  disconnection: { kind: 'disconnection' },
  'catheter-repair': { kind: 'catheter-repair' },
  'motor-stall': { kind: 'motor-stall', recoveryDelayMs: null },
  mri: { kind: 'mri', fieldMs: 1_800_000, recoveryDelayMs: 21_600_000 },
  'battery-drain': { kind: 'battery-drain', extraUjPerDay: 100_000_000 },
  'low-battery-reset': { kind: 'low-battery-reset' },
  'memory-corruption': { kind: 'memory-corruption', banks: 'newest' },
  'clock-drift': { kind: 'clock-drift', ppm: 500 },
  'pocket-fill': { kind: 'pocket-fill', pocketPercent: 100 },
  'access-port-injection': { kind: 'access-port-injection', volumeNl: 2_000_000 },
};
