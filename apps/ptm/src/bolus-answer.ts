/**
 * What the pump answered to a patient-bolus request, as the app shows it. The pump decides; this
 * only reads its answer. Anything the app cannot read as a clear "yes" is not shown as success.
 */
import type { Response } from '@thecal/protocol';

export type BolusAnswer =
  | { kind: 'accepted'; commandId: string; atMs: number; volumeNl: number; amountPg: number; startsAtMs: number; endsByMs: number; nextAllowedAtMs: number | null }
  | { kind: 'denied'; commandId: string; atMs: number; reason: string; message: string; nextAllowedAtMs: number | null }
  | { kind: 'error'; commandId: string; message: string };

const int = (x: unknown): number | null => (typeof x === 'number' && Number.isSafeInteger(x) ? x : null);
const obj = (x: unknown): Record<string, unknown> => (typeof x === 'object' && x !== null && !(x instanceof Uint8Array) && !Array.isArray(x) ? (x as Record<string, unknown>) : {});

export function readBolusAnswer(res: Response): BolusAnswer {
  const body = obj(res.body);
  const detail = obj(body['detail']);
  const atMs = int(body['atMs']);
  if (res.status === 'ok') {
    const volumeNl = int(detail['volumeNl']);
    const amountPg = int(detail['amountPg']);
    const startsAtMs = int(detail['startsAtMs']);
    const endsByMs = int(detail['endsByMs']);
    if (body['ok'] !== true || atMs === null || volumeNl === null || amountPg === null || startsAtMs === null || endsByMs === null) {
      return { kind: 'error', commandId: res.commandId, message: 'the pump answered "ok" without the dose it started' };
    }
    return { kind: 'accepted', commandId: res.commandId, atMs, volumeNl, amountPg, startsAtMs, endsByMs, nextAllowedAtMs: int(detail['nextAllowedAtMs']) };
  }
  if (res.status === 'refused') {
    const reason = typeof body['reason'] === 'string' ? body['reason'] : 'unknown';
    const message = typeof body['message'] === 'string' ? body['message'] : '';
    return { kind: 'denied', commandId: res.commandId, atMs: atMs ?? 0, reason, message, nextAllowedAtMs: int(detail['nextAllowedAtMs']) };
  }
  const why = typeof body['error'] === 'string' ? body['error'] : res.status;
  return { kind: 'error', commandId: res.commandId, message: why };
}

/** Reason codes the app has plain words for; anything else is shown with its code. */
export const EXPLAINED_REASONS = [
  'lockout',
  'count-24h-reached',
  'max-daily-dose',
  'patient-bolus-not-enabled',
  'therapy-stopped',
  'therapy-suspended',
  'clinician-bolus-active',
  'reservoir-insufficient',
  'dose-history-incomplete',
  'bolus-in-progress',
  'end-of-service',
  'safe-state',
] as const;
export type ExplainedReason = (typeof EXPLAINED_REASONS)[number];
export function isExplained(reason: string): reason is ExplainedReason {
  return (EXPLAINED_REASONS as readonly string[]).includes(reason);
}
