/**
 * The pump core's public shapes as zod schemas. The core itself has no dependencies, so its types
 * (PumpStatus, Prescription, the forecast) are checked here wherever such an object arrives from
 * outside a process: off the radio (the programmer, the patient app), inside a simulation report.
 * The compile-time checks at the end keep each schema and the core's type in step: a field added to
 * PumpStatus and not here fails the typecheck.
 */
import { ALARM_CODES, DRUG_IDS, PUMP_MODELS, SUSPEND_REASONS, type AlarmCode, type DrugId, type Prescription, type Pump, type PumpModelId, type PumpStatus } from '@thecal/pump-core';
import { z } from 'zod';

const MODELS = Object.keys(PUMP_MODELS) as [PumpModelId, ...PumpModelId[]];
const DRUGS = DRUG_IDS as readonly DrugId[] as [DrugId, ...DrugId[]];
const ALARMS = ALARM_CODES as readonly AlarmCode[] as [AlarmCode, ...AlarmCode[]];

const int = z.int();
const drugId = z.enum(DRUGS);
const alarmCode = z.enum(ALARMS);

/** A prescription as the pump reports it (already accepted by the pump, so no limits are re-checked here). */
export const PumpPrescriptionSchema = z
  .object({
    drugId,
    concentrationMcgPerMl: int,
    basal: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('continuous'), rateNlPerDay: int }),
      z.object({
        kind: z.literal('flex'),
        dayPrograms: z.array(z.object({ name: z.string(), steps: z.array(z.object({ startMinute: int, rateNlPerDay: int })) })),
        week: z.array(int),
      }),
    ]),
    maxRateNlPerDay: int,
    maxDailyDosePg: int,
    patientBolus: z.object({ volumeNl: int, durationMs: int, lockoutMs: int, maxPer24h: int }).nullable(),
  })
  .meta({ id: 'PumpPrescription' });

/** What `Pump.status()` returns. */
export const PumpStatusSchema = z
  .object({
    serial: z.string(),
    model: z.enum(MODELS),
    nowMs: int,
    pumpUtcMs: int,
    utcOffsetMs: int,
    localTime: z.string(),
    therapy: z.object({ running: z.boolean(), suspendedBy: z.enum(SUSPEND_REASONS).nullable(), currentRateNlPerDay: int, mode: z.string() }),
    prescription: PumpPrescriptionSchema.nullable(),
    device: z.object({
      patientId: z.string().nullable(),
      implantDateMs: int.nullable(),
      catheter: z.object({ model: z.string(), lengthMm: int, volumeNl: int }).nullable(),
      catheterPrimed: z.boolean(),
    }),
    reservoir: z.object({ volumeNl: int, capacityNl: int, drugId: drugId.nullable(), concentrationMcgPerMl: int, lowAlarmNl: int, lastRefillMs: int.nullable() }),
    delivered: z.object({
      totalNl: int,
      totalPg: int,
      strokes: int,
      undeliveredNl: int,
      todayNl: int,
      todayPg: int,
      trailing24hPg: int.nullable().meta({ description: 'Null when the pump cannot reconstruct the last 24 h.' }),
    }),
    bolus: z.object({ kind: z.enum(['clinician', 'priming', 'bridge', 'patient']), commandId: z.string(), requestedNl: int, startedMs: int }).nullable(),
    patientBolus: z.object({ enabled: z.boolean(), nextAllowedAtMs: int.nullable(), usedIn24h: int, allowedPer24h: int }),
    battery: z.object({ remainingUj: int, capacityUj: int, eriAtMs: int.nullable(), endOfServiceAtMs: int.nullable(), replaceByMs: int }),
    alarms: z.array(z.object({ code: alarmCode, critical: z.boolean(), raisedAtMs: int, acknowledged: z.boolean() })),
    refillReminderUtcMs: int.nullable(),
    // The staged change set is the pump's copy of what it accepted: its shape is checked where a
    // change set is made (the protocol's request schema), not again here.
    staged: z.object({ stagedId: int, changes: z.record(z.string(), z.unknown()), softCodes: z.array(z.string()) }).nullable(),
    awaitingInterrogation: z.boolean(),
    log: z.object({ eventNextSeq: int, therapyNextSeq: int }),
  })
  .meta({ id: 'PumpStatus' });

/** What `Pump.forecast()` returns. */
export const PumpForecastSchema = z.object({
  lowReservoirAtMs: int.nullable(),
  emptyAtMs: int.nullable(),
  nextRefillByMs: int.nullable(),
  eriAtMs: int,
  replaceByMs: int,
});

/**
 * What a failed check found, one line per problem: the path of the bad field (or `whole` when the
 * value itself is wrong) and zod's reason. Every place that refuses outside input says it this way.
 */
export function issueLines(error: z.ZodError, whole: string): string[] {
  return error.issues.map((i) => `${i.path.length === 0 ? whole : i.path.join('.')}: ${i.message}`);
}

/** issueLines, at most `max` of them, joined, with how many more there were. */
export function issueSummary(error: z.ZodError, whole: string, max = 3): string {
  const lines = issueLines(error, whole);
  return lines.slice(0, max).join('; ') + (lines.length > max ? ` (and ${lines.length - max} more)` : '');
}

export type PumpStatusParsed = z.infer<typeof PumpStatusSchema>;
export type PumpForecast = ReturnType<Pump['forecast']>;

/**
 * A parsed status as the core's own type. The two differ only where the schema is looser on
 * purpose (`staged.changes`, see above); everything else is the same type, which the checks below
 * prove at compile time.
 */
export function asPumpStatus(s: PumpStatusParsed): PumpStatus {
  return s as PumpStatus;
}

// ------------------------------------------------------------------ compile-time agreement with the core

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type WithoutStaged<T> = Omit<T, 'staged'>;

// Every status the core makes passes the schema's types, and the schema knows no field the core lacks.
const statusFromCore: Same<WithoutStaged<PumpStatus>, WithoutStaged<PumpStatusParsed>> = true;
const prescriptionFromCore: Same<Prescription, z.infer<typeof PumpPrescriptionSchema>> = true;
const forecastFromCore: Same<PumpForecast, z.infer<typeof PumpForecastSchema>> = true;
void statusFromCore;
void prescriptionFromCore;
void forecastFromCore;
