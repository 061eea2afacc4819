/**
 * A programming-session upload from the programmer: the interrogation (the pump core's
 * `status()` shape), optionally the whole state (`snapshot()`, without logs), and the log pages
 * read from the pump. The parts the server uses are checked strictly; the status object may carry
 * further display fields (the core adds them over time), which are kept as received.
 */
import { z } from 'zod';
import { ALARM_CODES, LIMITS, type AlarmCode } from '@thecal/pump-core';
import { PrescriptionBody, drugId, epochMs, pumpModel } from './schemas.ts';

const int = z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);
const nonNeg = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const seq = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const serial = z.string().regex(/^[A-Za-z0-9-]{3,40}$/, 'must be 3 to 40 letters, digits or dashes');
const alarmCode = z.enum(ALARM_CODES as unknown as [AlarmCode, ...AlarmCode[]]);

/** A log record's data: at most 32 fields, names of at most 40 characters, each a finite number, a string of at most 200 characters, true/false or null. */
type LogData = Record<string, number | string | boolean | null>;
const MAX_DATA_FIELDS = 32;

/** Why `d` is not log data, naming the field; null when it is. One loop, not a schema per value: that was most of an upload's validation time. */
function whyNotLogData(d: unknown): string | null {
  if (typeof d !== 'object' || d === null || Array.isArray(d)) return 'must be an object of named values';
  const keys = Object.keys(d);
  if (keys.length > MAX_DATA_FIELDS) return `at most ${MAX_DATA_FIELDS} fields, got ${keys.length}`;
  for (const k of keys) {
    const v = (d as Record<string, unknown>)[k];
    if (k.length > 40) return `field name "${k.slice(0, 40)}..." is longer than 40 characters`;
    if (!(v === null || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length <= 200))) {
      return `field "${k}" must be a finite number, a string of at most 200 characters, true/false or null`;
    }
  }
  return null;
}

const logData = z.custom<LogData>((d) => whyNotLogData(d) === null, { error: (issue) => whyNotLogData(issue.input) ?? 'invalid log data' });

const logRecord = z.strictObject({
  seq,
  utcMs: epochMs,
  utcOffsetMs: z.number().int().min(LIMITS.minUtcOffsetMs).max(LIMITS.maxUtcOffsetMs),
  type: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'must be a lower-case record type'),
  data: logData,
});
export type UploadLogRecord = z.infer<typeof logRecord>;

function logPage(capacity: number) {
  return z
    .array(logRecord)
    .max(capacity, `at most ${capacity} records (the pump's log size)`)
    .refine((rs) => rs.every((r, i) => i === 0 || r.seq > (rs[i - 1]?.seq ?? 0)), 'records must be in increasing sequence order without repeats');
}

export const PumpStatusInput = z.looseObject({
  serial,
  model: pumpModel,
  nowMs: epochMs,
  pumpUtcMs: epochMs,
  utcOffsetMs: z.number().int().min(LIMITS.minUtcOffsetMs).max(LIMITS.maxUtcOffsetMs),
  therapy: z.looseObject({ running: z.boolean(), suspendedBy: z.string().max(40).nullable(), currentRateNlPerDay: nonNeg, mode: z.string().max(40) }),
  prescription: PrescriptionBody.nullable(),
  device: z.looseObject({
    patientId: z.string().max(80).nullable(),
    implantDateMs: epochMs.nullable(),
    catheter: z.looseObject({ model: z.string().max(100), lengthMm: nonNeg, volumeNl: nonNeg }).nullable(),
    catheterPrimed: z.boolean(),
  }),
  reservoir: z.looseObject({
    volumeNl: nonNeg,
    capacityNl: nonNeg,
    drugId: drugId.nullable(),
    concentrationMcgPerMl: nonNeg,
    lowAlarmNl: nonNeg,
    lastRefillMs: epochMs.nullable(),
  }),
  delivered: z.looseObject({ totalNl: nonNeg, totalPg: nonNeg, strokes: nonNeg, undeliveredNl: nonNeg }),
  patientBolus: z.looseObject({ enabled: z.boolean(), usedIn24h: nonNeg, allowedPer24h: nonNeg }),
  battery: z.looseObject({ remainingUj: int, capacityUj: nonNeg, eriAtMs: epochMs.nullable(), endOfServiceAtMs: epochMs.nullable(), replaceByMs: epochMs }),
  alarms: z.array(z.looseObject({ code: alarmCode, critical: z.boolean(), raisedAtMs: epochMs, acknowledged: z.boolean() })).max(ALARM_CODES.length),
  log: z.strictObject({ eventNextSeq: seq, therapyNextSeq: seq }),
});
export type PumpStatusInputT = z.infer<typeof PumpStatusInput>;

export const SnapshotInput = z.looseObject({
  version: z.literal(1),
  fields: z.record(z.string(), z.unknown()),
  alarms: z.array(z.unknown()),
  override: z.record(z.string(), z.unknown()).nullable(),
  bridgeTable: z.unknown(),
  commandResults: z.array(z.unknown()),
  history: z.unknown(),
  events: z.strictObject({ records: z.array(z.unknown()).max(0, 'send the logs as pages, not inside the snapshot'), nextSeq: seq }),
  therapy: z.strictObject({ records: z.array(z.unknown()).max(0, 'send the logs as pages, not inside the snapshot'), nextSeq: seq }),
});

export const UploadInput = z
  .strictObject({
    status: PumpStatusInput,
    snapshot: SnapshotInput.nullable().default(null),
    eventLog: logPage(LIMITS.eventLogCapacity),
    therapyLog: logPage(LIMITS.therapyLogCapacity),
  })
  .superRefine((u, ctx) => {
    const last = (rs: { seq: number }[]) => rs[rs.length - 1]?.seq ?? 0;
    if (last(u.eventLog) >= u.status.log.eventNextSeq) ctx.addIssue({ code: 'custom', path: ['eventLog'], message: `a record has a sequence at or past the pump's next event sequence ${u.status.log.eventNextSeq}` });
    if (last(u.therapyLog) >= u.status.log.therapyNextSeq) ctx.addIssue({ code: 'custom', path: ['therapyLog'], message: `a record has a sequence at or past the pump's next therapy sequence ${u.status.log.therapyNextSeq}` });
    if (u.snapshot !== null) {
      if (u.snapshot.fields['serial'] !== u.status.serial) ctx.addIssue({ code: 'custom', path: ['snapshot', 'fields', 'serial'], message: 'the snapshot is of another pump than the status' });
      if (u.snapshot.fields['nowMs'] !== u.status.nowMs) ctx.addIssue({ code: 'custom', path: ['snapshot', 'fields', 'nowMs'], message: 'the snapshot was taken at another time than the status' });
    }
  });
export type UploadInputT = z.infer<typeof UploadInput>;
