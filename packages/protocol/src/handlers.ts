/**
 * What the pump does for each authenticated, authorised, validated request: a thin mapping onto
 * the pump core's commands (`execute`, which dedupes by command id), its status, forecast and
 * logs. No handler trusts its body beyond what messages.ts validated; the core validates meaning.
 */
import type { AlarmCode, ChangeSet, CommandResult, Pump, PumpCommand } from '@thecal/pump-core';
import { CRITICAL_ALARMS } from '@thecal/pump-core';
import { toHex } from './bytes.ts';
import { PROTOCOL_VERSION, MAX_PLAINTEXT_BYTES, type Role } from './frame.ts';
import type { KeyStore } from './keystore.ts';
import { encodeLogRecords } from './log-codec.ts';
import type { RequestType, ResponseStatus } from './messages.ts';
import { toValue, type Value } from './value-codec.ts';

export const FIRMWARE_VERSION = 'thecal-radio 0.1.0';
/** Room kept for the response header and the log page's other fields. */
const LOG_PAGE_OVERHEAD_BYTES = 96;

export interface HandlerContext {
  pump: Pump;
  keys: KeyStore;
  atMs: number;
  commandId: string;
  role: Role;
  credentialId: string;
  body: unknown;
  /** Ask the radio to close the session once the answer is sent. */
  endSession(): void;
  /** Revoke a credential, closing its sessions (logged by the radio). */
  revoke(id: string): boolean;
  /** Pump seconds per real second: 1 for a pump in real time (RadioOptions.clockRate). */
  clockRate: number;
}
export interface HandlerResult {
  status: ResponseStatus;
  body: Value;
}

function fromResult(r: CommandResult): HandlerResult {
  const { commandId, ...rest } = r;
  void commandId;
  return { status: r.ok ? 'ok' : 'refused', body: toValue(rest) };
}

function run(ctx: HandlerContext, command: PumpCommand): HandlerResult {
  return fromResult(ctx.pump.execute(ctx.atMs, ctx.commandId, command));
}

function stage(ctx: HandlerContext, changes: ChangeSet): HandlerResult {
  return run(ctx, { type: 'stage', changes });
}

function deviceInfo(ctx: HandlerContext): Value {
  const s = ctx.pump.status();
  return toValue({
    serial: s.serial,
    model: s.model,
    firmware: FIRMWARE_VERSION,
    protocolVersion: PROTOCOL_VERSION,
    role: ctx.role,
    credentialId: ctx.credentialId,
    pumpUtcMs: s.pumpUtcMs,
    pumpUtcOffsetMs: s.utcOffsetMs,
    // Only a simulated pump says it: a real one runs in real time and its frames stay as they were.
    ...(ctx.clockRate === 1 ? {} : { simulatedClockRate: ctx.clockRate }),
  });
}

/**
 * The real outcome of an earlier command, for a client whose answer was lost: unknown (never
 * received, or forgotten), not delivered (refused, or a bolus that delivered nothing), in
 * progress, delivered, partially delivered, or done (a command that delivers nothing itself).
 */
export function outcomeOf(pump: Pump, commandId: string): Value {
  const result = pump.outcomeOf(commandId);
  if (result === null) return { known: false, outcome: 'unknown' };
  const { commandId: _id, ...stored } = result;
  void _id;
  const base = { known: true, result: toValue(stored) };
  if (!result.ok) return { ...base, outcome: 'not-delivered' };
  const running = pump.status().bolus;
  if (running !== null && running.commandId === commandId) return { ...base, outcome: 'in-progress', requestedNl: running.requestedNl };
  const ended =
    pump.therapyLog.latest(1024).findLast((r) => r.type === 'patient-bolus-ended' && r.data['commandId'] === commandId) ??
    pump.events.latest(1024).findLast((r) => r.type === 'bolus-ended' && r.data['commandId'] === commandId);
  if (ended !== undefined) {
    const requestedNl = Number(ended.data['requestedNl']);
    const deliveredNl = Number(ended.data['deliveredNl']);
    const outcome = deliveredNl >= requestedNl ? 'delivered' : deliveredNl <= 0 ? 'not-delivered' : 'partially-delivered';
    return { ...base, outcome, requestedNl, deliveredNl };
  }
  return { ...base, outcome: 'done' };
}

type Handler = (ctx: HandlerContext) => HandlerResult;
const ok = (body: Value): HandlerResult => ({ status: 'ok', body });

export const HANDLERS: { readonly [T in RequestType]: Handler } = {
  'get-device-info': (ctx) => ok(deviceInfo(ctx)),
  'get-status': (ctx) => ok(toValue(ctx.pump.status())),
  'get-forecast': (ctx) => ok(toValue(ctx.pump.forecast())),
  'read-log': (ctx) => {
    const b = ctx.body as { log: 'events' | 'therapy'; fromSeq: number; maxRecords?: number };
    const log = b.log === 'events' ? ctx.pump.events : ctx.pump.therapyLog;
    const records = log.readFrom(b.fromSeq, b.maxRecords ?? log.capacity);
    const page = encodeLogRecords(records, MAX_PLAINTEXT_BYTES - LOG_PAGE_OVERHEAD_BYTES);
    const last = records[page.count - 1];
    const resumeAt = last === undefined ? Math.max(b.fromSeq, log.oldestSeq) : last.seq + 1;
    return ok({ log: b.log, fromSeq: b.fromSeq, oldestSeq: log.oldestSeq, nextSeq: log.nextSequence, more: resumeAt < log.nextSequence && page.count > 0 && (b.maxRecords === undefined || page.count < b.maxRecords), records: page.bytes });
  },
  interrogate: (ctx) => {
    const r = ctx.pump.execute(ctx.atMs, ctx.commandId, { type: 'interrogate' });
    const { commandId, ...rest } = r;
    void commandId;
    return ok({ result: toValue(rest), device: deviceInfo(ctx), status: toValue(ctx.pump.status()), forecast: toValue(ctx.pump.forecast()) });
  },
  'patient-status': (ctx) => {
    const s = ctx.pump.status();
    const f = ctx.pump.forecast();
    return ok(
      toValue({
        therapy: { running: s.therapy.running, mode: s.therapy.mode },
        reservoir: { volumeNl: s.reservoir.volumeNl, lowAlarmNl: s.reservoir.lowAlarmNl, capacityNl: s.reservoir.capacityNl },
        patientBolus: s.patientBolus,
        alarms: s.alarms.map((a) => ({ code: a.code, critical: a.critical, acknowledged: a.acknowledged })),
        nextRefillByMs: f.nextRefillByMs,
        battery: { eriAtMs: s.battery.eriAtMs, replaceByMs: s.battery.replaceByMs },
      }),
    );
  },
  'get-outcome': (ctx) => ok(outcomeOf(ctx.pump, (ctx.body as { commandId: string }).commandId)),
  'stage-program': (ctx) => stage(ctx, (ctx.body as { changes: ChangeSet }).changes),
  'review-staged': (ctx) => ok(toValue({ staged: ctx.pump.status().staged })),
  commit: (ctx) => {
    const b = ctx.body as { stagedId: number; acknowledgedSoftLimits: string[] };
    return run(ctx, { type: 'commit', stagedId: b.stagedId, acknowledgedSoftLimits: b.acknowledgedSoftLimits });
  },
  'abort-staged': (ctx) => run(ctx, { type: 'abort-staged' }),
  'stage-refill': (ctx) => stage(ctx, ctx.body as Pick<ChangeSet, 'refill' | 'prescription'>),
  'stage-bolus': (ctx) => stage(ctx, ctx.body as Pick<ChangeSet, 'bolus'>),
  'stage-alarm-settings': (ctx) => stage(ctx, ctx.body as Pick<ChangeSet, 'alarms'>),
  'stop-therapy': (ctx) => run(ctx, { type: 'stop-therapy' }),
  'resume-therapy': (ctx) => run(ctx, { type: 'resume-therapy' }),
  'clear-alarm': (ctx) => {
    const code = (ctx.body as { code: AlarmCode }).code;
    // A patient may silence a reminder or a low-reservoir tone; a critical alarm needs the clinic.
    if (ctx.role === 'patient' && CRITICAL_ALARMS.has(code)) return { status: 'denied', body: { error: `a patient credential may not clear the critical alarm "${code}"` } };
    return run(ctx, { type: 'clear-alarm', code });
  },
  'alarm-test': (ctx) => run(ctx, { type: 'alarm-test' }),
  'set-clock': (ctx) => run(ctx, { type: 'set-clock', pumpUtcMs: (ctx.body as { pumpUtcMs: number }).pumpUtcMs }),
  'set-utc-offset': (ctx) => run(ctx, { type: 'set-utc-offset', utcOffsetMs: (ctx.body as { utcOffsetMs: number }).utcOffsetMs }),
  'patient-bolus': (ctx) => run(ctx, { type: 'patient-bolus' }),
  'end-telemetry': (ctx) => {
    ctx.endSession();
    return ok({});
  },
  'list-credentials': (ctx) => ok(toValue({ credentials: ctx.keys.list() })),
  'revoke-credential': (ctx) => {
    const id = (ctx.body as { credentialId: string }).credentialId;
    if (ctx.keys.get(id) === undefined) return { status: 'refused', body: { error: `no credential ${id}` } };
    return ok({ revoked: ctx.revoke(id) });
  },
};

export function credentialIdHex(b: Uint8Array): string {
  return toHex(b);
}
