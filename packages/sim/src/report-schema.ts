/**
 * The report format, "thecal-report/1", as zod schemas: the types the simulator builds and the
 * source of docs/schemas/report.schema.json. Every instant appears twice, as an ISO-8601 string
 * (`at`) and as epoch milliseconds (`atMs`). No wall-clock time appears anywhere, so the same
 * scenario always gives a byte-identical report.
 */
import { ALARM_CODES, DRUG_IDS, PUMP_MODELS, type AlarmCode, type DrugId, type PumpModelId } from '@thecal/pump-core';
import { PumpStatusSchema } from '@thecal/pump-schemas';
import { z } from 'zod';

export const REPORT_FORMAT = 'thecal-report/1';

const MODELS = Object.keys(PUMP_MODELS) as [PumpModelId, ...PumpModelId[]];
const DRUGS = DRUG_IDS as readonly DrugId[] as [DrugId, ...DrugId[]];
const ALARMS = ALARM_CODES as readonly AlarmCode[] as [AlarmCode, ...AlarmCode[]];

const int = z.int();
const count = z.int().min(0);
const iso = z.string().meta({ description: 'ISO-8601 UTC date-time.' });
const drugId = z.enum(DRUGS);
const alarmCode = z.enum(ALARMS);
const countsByReason = z.record(z.string(), count).meta({ description: 'Count per machine-readable reason code.' });
const looseObject = z.record(z.string(), z.unknown());

const PatientBolusCounts = z.object({
  requested: count,
  delivered: count,
  denied: count,
  deniedByReason: countsByReason,
}).meta({ id: 'PatientBolusCounts' });

const ScenarioSummary = z.object({
  name: z.string(),
  description: z.string().nullable(),
  pump: z.object({ model: z.enum(MODELS), serial: z.string() }),
  start: iso,
  startMs: int,
  until: iso,
  untilMs: int,
  utcOffset: z.string(),
  utcOffsetMs: int,
  seed: count,
  sampleEveryMs: count,
  events: count.meta({ description: 'Events in the scenario file.' }),
  patientBolusRequests: count.meta({ description: 'Patient-bolus requests, single and from series.' }),
});

const Totals = z.object({
  deliveredNl: count,
  deliveredMl: z.number(),
  deliveredPg: count,
  drugId: drugId.nullable().meta({ description: 'Drug in the reservoir at the end; the display unit of `amount` is its unit.' }),
  amount: z.number(),
  amountUnit: z.enum(['mg', 'mcg']),
  undeliveredNl: count.meta({ description: 'Strokes due but not delivered because the reservoir was empty.' }),
  strokes: count,
  patientBoluses: PatientBolusCounts,
  bolusesByKind: z.record(z.string(), z.object({ count, requestedNl: count, deliveredNl: count })),
  commands: z.object({ total: count, ok: count, refused: count, refusedByReason: countsByReason }),
  alarmsRaised: count,
});

const DayRow = z.object({
  localDate: z.string().meta({ description: 'Local calendar date (pump local time), YYYY-MM-DD.' }),
  partial: z.boolean().meta({ description: 'The run covers only part of this day (first and last day).' }),
  drugId: drugId.nullable(),
  deliveredNl: count,
  deliveredMl: z.number(),
  deliveredPg: count,
  amount: z.number(),
  amountUnit: z.enum(['mg', 'mcg']),
  patientBoluses: PatientBolusCounts,
}).meta({ id: 'DayRow' });

const BolusRow = z.object({
  commandId: z.string(),
  kind: z.enum(['clinician', 'priming', 'bridge', 'patient']),
  eventIndex: count,
  startedAt: iso,
  startedAtMs: int,
  requestedNl: count,
  deliveredNl: count.nullable().meta({ description: 'Null while the bolus is still running at the end.' }),
  completed: z.boolean().nullable(),
  endedAt: iso.nullable(),
  endedAtMs: int.nullable(),
}).meta({ id: 'BolusRow' });

const ValidationIssue = z.object({ code: z.string(), severity: z.enum(['hard', 'soft']), path: z.string(), message: z.string() }).meta({ id: 'ValidationIssue' });

const CommandRow = z.object({
  commandId: z.string(),
  eventIndex: count,
  eventType: z.string(),
  note: z.string().nullable(),
  by: z.enum(['pump', 'simulator']).meta({ description: 'Whether the pump answered or the simulator (power loss, nothing to do).' }),
  command: z.object({ type: z.string() }).catchall(z.unknown()),
  at: iso,
  atMs: int,
  localTime: z.string().meta({ description: "The patient's local wall-clock time." }),
  ok: z.boolean(),
  reason: z.string().optional().meta({ description: 'Machine-readable reason of a refusal.' }),
  message: z.string().optional(),
  issues: z.array(ValidationIssue).optional(),
  detail: looseObject.optional(),
  simulated: looseObject.optional().meta({ description: 'What the simulator decided for this command (drawn delays, resolved volumes).' }),
}).meta({ id: 'CommandRow' });

const AlarmRow = z.object({
  code: alarmCode,
  critical: z.boolean(),
  raisedAt: iso,
  raisedAtMs: int,
  clearedAt: iso.nullable(),
  clearedAtMs: int.nullable(),
  resolvedAt: iso.nullable(),
  resolvedAtMs: int.nullable(),
  resolvedHow: z
    .enum(['condition-ended', 'cleared', 'program-committed', 'battery-depleted', 'no-longer-listed'])
    .nullable()
    .meta({
      description:
        'condition-ended: the pump resolved it; cleared: clearing removed it (refill reminder); program-committed: a committed program ended it (safe state); battery-depleted: the battery ran flat; no-longer-listed: gone from the pump at the end without a record of why.',
    }),
  tones: count,
}).meta({ id: 'AlarmRow' });

const Sample = z.object({
  at: iso,
  atMs: int,
  cause: z.enum(['start', 'interval', 'event', 'end']),
  eventIndex: count.nullable(),
  powered: z.boolean(),
  reservoirNl: count,
  reservoirMl: z.number(),
  batteryRemainingUj: int,
  batteryPercent: z.number(),
  deliveredNl: count,
  rateNlPerDay: count,
  running: z.boolean(),
  suspendedBy: z.string().nullable(),
  activeAlarms: z.array(alarmCode),
}).meta({ id: 'Sample' });

/** The pump's own status, as @thecal/pump-schemas defines it (the same schema the radio's answers are checked with). */
export const StatusSchema = PumpStatusSchema;

const Forecast = z.object({
  lowReservoirAtMs: int.nullable(),
  lowReservoirAt: iso.nullable(),
  emptyAtMs: int.nullable(),
  emptyAt: iso.nullable(),
  nextRefillByMs: int.nullable(),
  nextRefillBy: iso.nullable(),
  eriAtMs: int,
  eriAt: iso,
  replaceByMs: int,
  replaceBy: iso,
}).meta({ id: 'Forecast' });

const LogRow = z.object({
  seq: int,
  utcMs: int,
  utc: iso.meta({ description: 'Pump UTC clock (may differ from true time after set-clock).' }),
  utcOffsetMs: int,
  localTime: z.string(),
  type: z.string(),
  data: z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])),
}).meta({ id: 'LogRecord' });

const Stats = z.object({
  simulatedMs: count,
  simulatedDays: z.number(),
  segmentsStepped: count.meta({ description: 'Constant-rate segments the core stepped through: the cost of the run.' }),
  pumpCommands: count,
  advances: count,
  samples: count,
  powerResets: count,
});

export const ReportSchema = z.object({
  format: z.literal(REPORT_FORMAT),
  scenario: ScenarioSummary,
  totals: Totals,
  days: z.array(DayRow),
  boluses: z.array(BolusRow),
  commands: z.array(CommandRow),
  alarms: z.array(AlarmRow),
  samples: z.array(Sample),
  final: z.object({ powered: z.boolean(), status: StatusSchema, forecast: Forecast }),
  logs: z.object({ events: z.array(LogRow), therapy: z.array(LogRow) }),
  stats: Stats,
});

export type Report = z.infer<typeof ReportSchema>;
export type DayRowT = z.infer<typeof DayRow>;
export type BolusRowT = z.infer<typeof BolusRow>;
export type CommandRowT = z.infer<typeof CommandRow>;
export type AlarmRowT = z.infer<typeof AlarmRow>;
export type SampleT = z.infer<typeof Sample>;
export type StatusT = z.infer<typeof StatusSchema>;
export type LogRowT = z.infer<typeof LogRow>;
export type ForecastRow = z.infer<typeof Forecast>;
export type PatientBolusCountsT = z.infer<typeof PatientBolusCounts>;
