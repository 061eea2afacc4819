/**
 * The scenario file format, "thecal-scenario/1", as zod schemas. Parsing converts every field to
 * the core's integer units; times stay `TimeRef`s until resolve.ts knows the start. Objects are
 * strict so that a misspelt field is an error rather than silently ignored.
 */
import { ALARM_CODES, DRUG_IDS, LIMITS, PUMP_MODELS, type AlarmCode, type DrugId, type PumpModelId } from '@thecal/pump-core';
import { z } from 'zod';
import { withDescription, duration, instantField, minuteOfDay, quantity, timeOfDay, timeRef, utcOffset, wholeNumber } from './fields.ts';
import { CONCENTRATION, DAILY_AMOUNT, RATE, VOLUME } from './quantities.ts';

export const SCENARIO_FORMAT = 'thecal-scenario/1';

const MODELS = Object.keys(PUMP_MODELS) as [PumpModelId, ...PumpModelId[]];
const DRUGS = DRUG_IDS as readonly DrugId[] as [DrugId, ...DrugId[]];
const ALARMS = ALARM_CODES as readonly AlarmCode[] as [AlarmCode, ...AlarmCode[]];
const LARGEST_RESERVOIR_NL = Math.max(...Object.values(PUMP_MODELS).map((m) => m.reservoirCapacityNl));

const drugId = withDescription(z.enum(DRUGS), 'Drug in the pump library.');
const rate = (description: string) =>
  quantity(RATE, { min: LIMITS.minRateNlPerDay, max: LIMITS.defaultMaxRateNlPerDay, why: 'the pump programs 0.048 to 24 mL/day' }, description);
const concentration = quantity(CONCENTRATION, { min: 1 }, 'Drug concentration; must be a library concentration of the drug.');
const acknowledgeSoftLimits = withDescription(
  z.array(z.string().min(1)),
  'Soft-limit codes the clinician confirms at commit (e.g. "daily-dose-above-soft-limit"); a commit with unacknowledged soft limits is refused.',
).meta({ id: 'AcknowledgedSoftLimits' });

export const CatheterSchema = z.strictObject({
  model: z.string().min(1),
  lengthMm: wholeNumber({ min: 1 }, 'Catheter length.', 'mm'),
  volumeNl: quantity(VOLUME, { min: 1 }, 'Catheter internal volume (what a priming bolus delivers).'),
}).meta({ id: 'Catheter' });

const DeviceSchema = z.strictObject({
  patientId: z.string().min(1).optional(),
  implantDateMs: instantField('Implant date.').optional(),
  catheter: CatheterSchema.optional(),
}).meta({ id: 'DeviceChange' });

const RefillSchema = z.strictObject({
  withdrawnNl: quantity(
    VOLUME,
    { min: 0, max: LARGEST_RESERVOIR_NL },
    'Residual volume withdrawn before filling; "expected" withdraws exactly what the pump believes is left.',
    ['expected'] as const,
  ),
  filledNl: quantity(VOLUME, { min: 1, max: LARGEST_RESERVOIR_NL, why: 'the largest reservoir; the pump checks its own capacity' }, 'Volume of new drug filled (at most the reservoir capacity).'),
  drugId,
  concentrationMcgPerMl: concentration,
}).meta({ id: 'RefillChange' });

const FlexStepSchema = z.strictObject({
  startMinute: minuteOfDay('When the step starts; the first step of a day starts at "00:00".'),
  rateNlPerDay: rate('Basal rate of this step.'),
}).meta({ id: 'FlexStep' });
const DayProgramSchema = z.strictObject({
  name: z.string().min(1),
  steps: z.array(FlexStepSchema).min(1).max(LIMITS.maxFlexSteps),
}).meta({ id: 'DayProgram' });
const BasalSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('continuous'), rateNlPerDay: rate('Constant basal rate.') }),
  z.strictObject({
    kind: z.literal('flex'),
    dayPrograms: z.array(DayProgramSchema).min(1).max(7),
    week: withDescription(
      z.array(z.union([z.int().min(0), z.string().min(1)])).length(7),
      'Day program for each weekday, Sunday first: an index into dayPrograms or a day program name.',
    ),
  }),
]).meta({ id: 'BasalProgram' });

export const PatientBolusSchema = z.strictObject({
  volumeNl: quantity(VOLUME, { min: 1 }, 'Volume of one patient bolus.'),
  durationMs: duration({ min: LIMITS.minBolusDurationMs, max: LIMITS.maxBolusDurationMs }, 'Time over which one patient bolus is delivered.'),
  lockoutMs: duration({ min: LIMITS.minLockoutMs, max: LIMITS.maxLockoutMs, why: 'a lockout is never 0' }, 'Time from the start of one patient bolus to the earliest next one.'),
  maxPer24h: wholeNumber({ min: 1, max: LIMITS.maxPatientBolusesPer24h }, 'Patient boluses allowed per rolling 24 h.'),
}).meta({ id: 'PatientBolusSettings' });

export const PrescriptionSchema = z.strictObject({
  drugId,
  concentrationMcgPerMl: concentration,
  basal: BasalSchema,
  maxRateNlPerDay: rate(`Largest basal rate this prescription allows (default ${LIMITS.defaultMaxRateNlPerDay} nL/day).`).optional(),
  maxDailyDosePg: quantity(DAILY_AMOUNT, { min: 1 }, 'Most drug any rolling 24 h may hold, basal and every bolus counted.'),
  patientBolus: PatientBolusSchema.nullable().optional(),
}).meta({ id: 'Prescription' });

const BolusSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('clinician'),
    volumeNl: quantity(VOLUME, { min: 1 }, 'Clinician bolus volume.'),
    durationMs: duration({ min: LIMITS.minBolusDurationMs, max: LIMITS.maxBolusDurationMs }, 'Clinician bolus duration.'),
  }),
  z.strictObject({ kind: z.literal('priming') }),
  z.strictObject({ kind: z.literal('bridge') }),
]).meta({ id: 'BolusChange' });

const AlarmSettingsSchema = z.strictObject({
  lowReservoirNl: quantity(VOLUME, { min: LIMITS.minLowReservoirNl, max: LIMITS.maxLowReservoirNl }, 'Reservoir volume at which the low-reservoir alarm sounds.').optional(),
  refillReminderUtcMs: instantField('When the refill reminder sounds (pump UTC), or null for none.').nullable().optional(),
}).meta({ id: 'AlarmSettingsChange' });

const Repeat = withDescription(
  z.strictObject({
    every: duration({ min: 60_000 }, 'Interval between occurrences.'),
    until: timeRef('Last possible occurrence (inclusive).'),
  }),
  'Repeat the event: at `at`, then every `every` until `until`.',
).meta({ id: 'Repeat' });

const onceOnly = {
  at: timeRef('When the event happens.', 'EventTime'),
  note: withDescription(z.string(), 'Free text, copied into the report.').optional(),
};
const base = { ...onceOnly, repeat: Repeat.optional() };

const ProgramEvent = z.strictObject({
  ...base,
  type: z.literal('program'),
  device: DeviceSchema.optional(),
  refill: RefillSchema.optional(),
  prescription: PrescriptionSchema.optional(),
  bolus: BolusSchema.optional(),
  alarms: AlarmSettingsSchema.optional(),
  acknowledgeSoftLimits: acknowledgeSoftLimits.optional(),
});

const RefillEvent = z.strictObject({
  ...base,
  type: z.literal('refill'),
  ...RefillSchema.shape,
  prescription: PrescriptionSchema.optional(),
  bridgeBolus: withDescription(z.boolean(), 'Start a bridge bolus (after a concentration change) in the same session.').optional(),
  alarms: AlarmSettingsSchema.optional(),
  acknowledgeSoftLimits: acknowledgeSoftLimits.optional(),
});

const ClinicianBolusEvent = z.strictObject({
  ...base,
  type: z.literal('clinician-bolus'),
  volumeNl: quantity(VOLUME, { min: 1 }, 'Clinician bolus volume.'),
  durationMs: duration({ min: LIMITS.minBolusDurationMs, max: LIMITS.maxBolusDurationMs }, 'Clinician bolus duration.'),
  acknowledgeSoftLimits: acknowledgeSoftLimits.optional(),
});

const PrimingBolusEvent = z.strictObject({
  ...base,
  type: z.literal('priming-bolus'),
  catheter: CatheterSchema.optional(),
});

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export const WEEKDAY_NAMES: readonly Weekday[] = WEEKDAYS;

const PatientBolusSeriesEvent = z.strictObject({
  ...onceOnly,
  type: z.literal('patient-bolus-series'),
  until: timeRef('Last moment of the series (inclusive).'),
  localTimes: withDescription(z.array(timeOfDay('A request time.')).min(1), 'Request at these local times each day.').optional(),
  every: duration({ min: LIMITS.flexStepGranularityMs }, 'Request at this interval.').optional(),
  between: withDescription(
    z.tuple([timeOfDay('First request of the day.'), timeOfDay('Last request of the day (inclusive).')]),
    'With "every": request only between these local times each day.',
  ).optional(),
  weekdays: withDescription(z.array(z.enum(WEEKDAYS)).min(1), 'Only on these local weekdays.').optional(),
});

const MriEvent = z.strictObject({
  ...base,
  type: z.literal('mri'),
  fieldDurationMs: duration({ min: 0, max: 24 * 3_600_000 }, 'How long the magnet stalls the motor.'),
  recoveryDelayMs: z.union([
    duration({ min: 0, max: LIMITS.maxStallRecoveryDelayMs }, 'Delay before delivery recovers after the field ends.'),
    withDescription(
      z.tuple([
        duration({ min: 0, max: LIMITS.maxStallRecoveryDelayMs }, 'Shortest delay.'),
        duration({ min: 0, max: LIMITS.maxStallRecoveryDelayMs }, 'Longest delay.'),
      ]),
      'A [shortest, longest] range; the delay is drawn from the scenario seed.',
    ),
  ]),
});

const simple = <T extends string>(type: T) => z.strictObject({ ...base, type: z.literal(type) });

const ClearAlarmEvent = z.strictObject({
  ...base,
  type: z.literal('clear-alarm'),
  code: withDescription(z.enum([...ALARMS, 'all']), 'Alarm to clear, or "all" for every alarm sounding.'),
});

const SetClockEvent = z.strictObject({
  ...base,
  type: z.literal('set-clock'),
  pumpUtcMs: instantField('Set the pump clock to this UTC time.').optional(),
  stepMs: duration({ min: -365 * 86_400_000, max: 365 * 86_400_000 }, 'Move the pump clock by this much (negative: back).', { allowNegative: true }).optional(),
});

const SetUtcOffsetEvent = z.strictObject({
  ...base,
  type: z.literal('set-utc-offset'),
  utcOffsetMs: utcOffset('New local-time offset (daylight saving, travel).'),
});

const TelemetrySessionEvent = z.strictObject({
  ...base,
  type: z.literal('telemetry-session'),
  durationMs: duration({ min: 0, max: 24 * 3_600_000 }, 'Length of the radio session (costs battery).'),
});

const PowerResetEvent = z.strictObject({
  ...base,
  type: z.literal('power-reset'),
  offDurationMs: duration({ min: 0, max: 30 * 86_400_000 }, 'How long the pump is without power (default 0).').optional(),
  why: withDescription(z.enum(['power-reset', 'low-battery-reset']), 'Kind of reset (default "power-reset").').optional(),
});

export const EventSchema = z.discriminatedUnion('type', [
  ProgramEvent,
  RefillEvent,
  ClinicianBolusEvent,
  PrimingBolusEvent,
  simple('patient-bolus'),
  PatientBolusSeriesEvent,
  MriEvent,
  simple('interrogate'),
  simple('stop-therapy'),
  simple('resume-therapy'),
  ClearAlarmEvent,
  simple('alarm-test'),
  SetClockEvent,
  SetUtcOffsetEvent,
  TelemetrySessionEvent,
  PowerResetEvent,
]);

export const ScenarioSchema = z.strictObject({
  format: withDescription(z.literal(SCENARIO_FORMAT), 'Format and version of this file.'),
  name: z.string().min(1),
  description: z.string().optional(),
  pump: z.strictObject({
    model: withDescription(z.enum(MODELS), 'Pump model: reservoir 20 or 40 mL.'),
    serial: z.string().min(1).max(64),
  }),
  start: timeRef('When the pump is manufactured and the scenario starts; must be an absolute date-time.'),
  utcOffsetMs: utcOffset('Local-time offset at the start.').optional(),
  until: timeRef('When the scenario ends.'),
  seed: wholeNumber({ min: 0, max: 0xffff_ffff }, 'Seed for everything the simulator draws at random (default 1).').optional(),
  sampleEveryMs: duration({ min: 60_000 }, 'Interval of the reservoir/battery samples (default P1D); a sample is also taken after every event.').optional(),
  events: z.array(EventSchema),
});

export type ScenarioInput = z.input<typeof ScenarioSchema>;
export type PrescriptionInput = z.input<typeof PrescriptionSchema>;
export type PatientBolusInput = z.input<typeof PatientBolusSchema>;
export type ParsedScenario = z.output<typeof ScenarioSchema>;
export type ParsedEvent = z.output<typeof EventSchema>;
export type ParsedPrescription = z.output<typeof PrescriptionSchema>;
export type ParsedRefill = z.output<typeof RefillSchema>;
export type ParsedAlarmSettings = z.output<typeof AlarmSettingsSchema>;
export type ParsedDevice = z.output<typeof DeviceSchema>;
export type ParsedBolus = z.output<typeof BolusSchema>;
