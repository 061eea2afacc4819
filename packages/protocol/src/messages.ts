/**
 * The messages carried, encrypted, inside DATA frames: one request from the client, one response
 * from the pump. Each request has a type byte, the command id (8 bytes, chosen by the client,
 * reused on a retry) and a TVE-encoded body; each response echoes type | 0x80 and the command id,
 * then a status byte and a body. docs/protocol.md, "Messages", lists every one.
 *
 * Request bodies are validated strictly (zod) at the pump before anything runs.
 */
import { PumpForecastSchema, PumpStatusSchema, issueLines, issueSummary } from '@thecal/pump-schemas';
import { z } from 'zod';
import { ByteReader, ByteWriter } from './bytes.ts';
import { ProtocolError } from './errors.ts';
import { COMMAND_ID_BYTES, readValue, writeValue, type Value } from './value-codec.ts';

export const REQUEST_TYPES = {
  'get-device-info': 0x01,
  'get-status': 0x02,
  'get-forecast': 0x03,
  'read-log': 0x04,
  interrogate: 0x05,
  'patient-status': 0x06,
  'get-outcome': 0x07,
  'stage-program': 0x10,
  'review-staged': 0x11,
  commit: 0x12,
  'abort-staged': 0x13,
  'stage-refill': 0x14,
  'stage-bolus': 0x15,
  'stage-alarm-settings': 0x16,
  'stop-therapy': 0x17,
  'resume-therapy': 0x18,
  'clear-alarm': 0x19,
  'alarm-test': 0x1a,
  'set-clock': 0x1b,
  'set-utc-offset': 0x1c,
  'patient-bolus': 0x20,
  'end-telemetry': 0x21,
  'list-credentials': 0x30,
  'revoke-credential': 0x31,
} as const;
export type RequestType = keyof typeof REQUEST_TYPES;
export const REQUEST_TYPE_NAMES = Object.keys(REQUEST_TYPES) as RequestType[];
const TYPE_BY_BYTE = new Map<number, RequestType>(REQUEST_TYPE_NAMES.map((n) => [REQUEST_TYPES[n], n]));
export const RESPONSE_FLAG = 0x80;

export const RESPONSE_STATUS = {
  /** Done (or, for a pump command, accepted by the pump). */
  ok: 0,
  /** The pump refused the command (body: the pump's reason code and message). */
  refused: 1,
  /** The credential's role may not send this request (deny by default). */
  denied: 2,
  /** The request body did not validate (body: what and why). */
  'bad-request': 3,
} as const;
export type ResponseStatus = keyof typeof RESPONSE_STATUS;
const STATUS_BY_BYTE = new Map<number, ResponseStatus>(Object.entries(RESPONSE_STATUS).map(([k, v]) => [v, k as ResponseStatus]));

export interface Request {
  type: RequestType;
  /** "r:" + 16 hex digits; the 8 raw bytes on the air. */
  commandId: string;
  body: Value;
}
export interface Response {
  type: RequestType;
  commandId: string;
  status: ResponseStatus;
  body: Value;
}

function commandIdBytes(id: string): Uint8Array {
  if (!/^r:[0-9a-f]{16}$/.test(id)) throw new RangeError(`command id must be "r:" + 16 lowercase hex digits, got "${id}"`);
  const out = new Uint8Array(COMMAND_ID_BYTES);
  for (let i = 0; i < COMMAND_ID_BYTES; i++) out[i] = parseInt(id.slice(2 + 2 * i, 4 + 2 * i), 16);
  return out;
}
function commandIdString(b: Uint8Array): string {
  let s = 'r:';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

export function encodeRequest(req: Request): Uint8Array {
  const w = new ByteWriter(64).u8(REQUEST_TYPES[req.type]).bytes(commandIdBytes(req.commandId));
  writeValue(w, req.body);
  return w.finish();
}

export function decodeRequest(b: Uint8Array): Request {
  const r = new ByteReader(b, 'request');
  const t = r.u8('message type');
  const type = TYPE_BY_BYTE.get(t);
  if (type === undefined) throw new ProtocolError('unknown-message-type', `request type 0x${t.toString(16).padStart(2, '0')} is not defined`);
  const commandId = commandIdString(r.bytes(COMMAND_ID_BYTES, 'command id'));
  const body = readValue(r);
  r.end();
  return { type, commandId, body };
}

export function encodeResponse(res: Response): Uint8Array {
  const w = new ByteWriter(128).u8(REQUEST_TYPES[res.type] | RESPONSE_FLAG).bytes(commandIdBytes(res.commandId)).u8(RESPONSE_STATUS[res.status]);
  writeValue(w, res.body);
  return w.finish();
}

export function decodeResponse(b: Uint8Array): Response {
  const r = new ByteReader(b, 'response');
  const t = r.u8('message type');
  const type = (t & RESPONSE_FLAG) === 0 ? undefined : TYPE_BY_BYTE.get(t & ~RESPONSE_FLAG);
  if (type === undefined) throw new ProtocolError('unknown-message-type', `response type 0x${t.toString(16).padStart(2, '0')} is not defined`);
  const commandId = commandIdString(r.bytes(COMMAND_ID_BYTES, 'command id'));
  const s = r.u8('status');
  const status = STATUS_BY_BYTE.get(s);
  if (status === undefined) throw new ProtocolError('bad-field', `response status ${s} is not defined`);
  const body = readValue(r);
  r.end();
  return { type, commandId, status, body };
}

// ------------------------------------------------------------------ request bodies

const int = z.number().int();
const nat = int.nonnegative();
const shortText = z.string().min(1).max(64);
const drugId = z.enum(['baclofen', 'morphine', 'ziconotide', 'hydromorphone']);
const alarmCode = z.enum(['reservoir-empty', 'motor-stall', 'end-of-service', 'low-battery-reset', 'memory-error', 'safe-state', 'reservoir-low', 'eri', 'refill-reminder']);
const empty = z.strictObject({});
/** Pump wall-clock times must be real dates (2000-01-01 to 2100-01-01): the core takes any integer, a date library does not. */
const utcMs = int.min(Date.UTC(2000, 0, 1)).max(Date.UTC(2100, 0, 1));

const Catheter = z.strictObject({ model: shortText, lengthMm: int, volumeNl: int });
const Device = z.strictObject({ patientId: shortText.optional(), implantDateMs: utcMs.optional(), catheter: Catheter.optional() });
const Refill = z.strictObject({ withdrawnNl: nat, filledNl: nat, drugId, concentrationMcgPerMl: int.positive() });
const FlexStep = z.strictObject({ startMinute: nat, rateNlPerDay: nat });
const Basal = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('continuous'), rateNlPerDay: nat }),
  z.strictObject({
    kind: z.literal('flex'),
    dayPrograms: z.array(z.strictObject({ name: z.string().max(32), steps: z.array(FlexStep).min(1).max(13) })).min(1).max(7),
    week: z.array(nat.max(6)).length(7),
  }),
]);
const Prescription = z.strictObject({
  drugId,
  concentrationMcgPerMl: int.positive(),
  basal: Basal,
  maxRateNlPerDay: nat,
  maxDailyDosePg: nat,
  patientBolus: z.strictObject({ volumeNl: nat, durationMs: nat, lockoutMs: nat, maxPer24h: nat }).nullable(),
});
const Bolus = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('clinician'), volumeNl: int.positive(), durationMs: int.positive() }),
  z.strictObject({ kind: z.literal('priming') }),
  z.strictObject({ kind: z.literal('bridge') }),
]);
const AlarmSettings = z.strictObject({ lowReservoirNl: nat.optional(), refillReminderUtcMs: utcMs.nullable().optional() });
export const ChangeSetSchema = z.strictObject({
  device: Device.optional(),
  refill: Refill.optional(),
  prescription: Prescription.optional(),
  bolus: Bolus.optional(),
  alarms: AlarmSettings.optional(),
});

/** The body each request must have; anything else is answered "bad-request". */
export const REQUEST_BODY: { readonly [T in RequestType]: z.ZodType } = {
  'get-device-info': empty,
  'get-status': empty,
  'get-forecast': empty,
  'read-log': z.strictObject({ log: z.enum(['events', 'therapy']), fromSeq: nat, maxRecords: int.min(1).max(4096).optional() }),
  interrogate: empty,
  'patient-status': empty,
  'get-outcome': z.strictObject({ commandId: z.string().regex(/^r:[0-9a-f]{16}$/) }),
  'stage-program': z.strictObject({ changes: ChangeSetSchema }),
  'review-staged': empty,
  commit: z.strictObject({ stagedId: int.positive(), acknowledgedSoftLimits: z.array(z.string().max(64)).max(32) }),
  'abort-staged': empty,
  'stage-refill': z.strictObject({ refill: Refill, prescription: Prescription.optional() }),
  'stage-bolus': z.strictObject({ bolus: Bolus }),
  'stage-alarm-settings': z.strictObject({ alarms: AlarmSettings }),
  'stop-therapy': empty,
  'resume-therapy': empty,
  'clear-alarm': z.strictObject({ code: alarmCode }),
  'alarm-test': empty,
  'set-clock': z.strictObject({ pumpUtcMs: utcMs }),
  'set-utc-offset': z.strictObject({ utcOffsetMs: int }),
  'patient-bolus': empty,
  'end-telemetry': empty,
  'list-credentials': empty,
  'revoke-credential': z.strictObject({ credentialId: z.string().regex(/^[0-9a-f]{16}$/) }),
};

/** Validate a request body: the parsed body, or a message naming each bad field and why. */
export function parseRequestBody(type: RequestType, body: Value): { ok: true; body: unknown } | { ok: false; error: string } {
  const r = REQUEST_BODY[type].safeParse(body instanceof Uint8Array ? '<bytes>' : body);
  if (r.success) return { ok: true, body: r.data };
  return { ok: false, error: issueLines(r.error, '(body)').join('; ') };
}

// ------------------------------------------------------------------ response bodies (checked by the client)

const ValidationIssue = z.object({ code: z.string(), severity: z.string(), path: z.string(), message: z.string() });
export const ValidationIssueSchema = ValidationIssue;
export const CommandResultSchema = z.union([
  z.object({ ok: z.literal(true), atMs: int, detail: z.record(z.string(), z.unknown()) }),
  z.object({ ok: z.literal(false), atMs: int, reason: z.string(), message: z.string(), issues: z.array(ValidationIssue).optional(), detail: z.record(z.string(), z.unknown()).optional() }),
]);
export const OutcomeSchema = z.object({
  known: z.boolean(),
  outcome: z.enum(['unknown', 'not-delivered', 'delivered', 'partially-delivered', 'in-progress', 'done']),
  result: CommandResultSchema.optional(),
  requestedNl: nat.optional(),
  deliveredNl: nat.optional(),
});
export const DeviceInfoSchema = z.object({
  serial: z.string(),
  model: z.string(),
  firmware: z.string(),
  protocolVersion: int,
  role: z.enum(['clinician', 'patient']),
  credentialId: z.string(),
  pumpUtcMs: int,
  pumpUtcOffsetMs: int,
  /** Present only for a simulated pump running faster (or slower) than real time: pump seconds per real second. */
  simulatedClockRate: z.number().positive().finite().exactOptional(),
});
export type DeviceInfo = z.infer<typeof DeviceInfoSchema>;
export const LogPageSchema = z.object({
  log: z.enum(['events', 'therapy']),
  fromSeq: nat,
  oldestSeq: nat,
  nextSeq: nat,
  more: z.boolean(),
  records: z.instanceof(Uint8Array),
});
/** The pump's full status and forecast, exactly the core's shapes (see @thecal/pump-schemas). */
export const StatusSchema = PumpStatusSchema;
export const ForecastSchema = PumpForecastSchema;
/** The pump's answer when it staged a change set: the id to commit and the soft limits to acknowledge. */
export const StagedAnswerSchema = z.object({ ok: z.literal(true), atMs: int, detail: z.object({ stagedId: nat, softLimits: z.array(ValidationIssue) }) });
/** Any refusal's body: the pump's (reason, message, the issues it found) or the radio's own (error, message). */
export const RefusalBodySchema = z.object({ reason: z.string().optional(), message: z.string().optional(), error: z.string().optional(), issues: z.array(ValidationIssue).optional() });

/** The body of an 'interrogate' answer. */
export const InterrogationBodySchema = z.object({ device: DeviceInfoSchema, status: PumpStatusSchema, forecast: PumpForecastSchema });

/**
 * A response body checked against its schema: what came over the radio is never trusted. A body
 * that does not fit is a ProtocolError naming the bad fields and why, never a half-read object.
 */
export function checkBody<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  throw new ProtocolError('bad-field', `${what} from the pump is not what a pump sends: ${issueSummary(r.error, '(the whole body)')}`);
}

/** A refusal as the apps show it: the pump's reason, message and the issues it found. */
export interface Refusal {
  status: ResponseStatus;
  reason: string;
  message: string;
  issues: z.infer<typeof ValidationIssue>[];
}

/**
 * Read any refusal's body, the pump's or the radio's own. A body that is not a refusal's shape is
 * still said as a refusal, with what was wrong with it, never read half-way.
 */
export function refusalOf(res: Response): Refusal {
  const parsed = RefusalBodySchema.safeParse(res.body ?? {});
  if (!parsed.success) {
    return { status: res.status, reason: res.status, message: `the pump refused (${res.status}) with an answer that is not what a pump sends: ${issueSummary(parsed.error, '(body)')}`, issues: [] };
  }
  const b = parsed.data;
  return { status: res.status, reason: b.reason ?? res.status, message: b.message ?? b.error ?? res.status, issues: b.issues ?? [] };
}

export const PatientStatusSchema = z.object({
  therapy: z.object({ running: z.boolean(), mode: z.string() }),
  reservoir: z.object({ volumeNl: int, lowAlarmNl: int, capacityNl: int }),
  patientBolus: z.object({ enabled: z.boolean(), nextAllowedAtMs: int.nullable(), usedIn24h: int, allowedPer24h: int }),
  alarms: z.array(z.object({ code: z.string(), critical: z.boolean(), acknowledged: z.boolean() })),
  nextRefillByMs: int.nullable(),
  battery: z.object({ eriAtMs: int.nullable(), replaceByMs: int }),
});
