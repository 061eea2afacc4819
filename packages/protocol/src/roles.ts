/**
 * Who may send what: deny by default. A request type missing from a role's list is refused
 * before its body is even validated. A patient credential can read, ask for a patient bolus (the
 * pump still decides), silence a non-critical alarm notification and end the session; nothing it
 * can send changes a dose or a setting.
 */
import type { Role } from './frame.ts';
import type { RequestType } from './messages.ts';

const READ: readonly RequestType[] = ['get-device-info', 'get-status', 'get-forecast', 'read-log', 'patient-status', 'get-outcome', 'end-telemetry'];

export const PERMISSIONS: { readonly [R in Role]: ReadonlySet<RequestType> } = {
  clinician: new Set<RequestType>([
    ...READ,
    'interrogate',
    'stage-program',
    'review-staged',
    'commit',
    'abort-staged',
    'stage-refill',
    'stage-bolus',
    'stage-alarm-settings',
    'stop-therapy',
    'resume-therapy',
    'clear-alarm',
    'alarm-test',
    'set-clock',
    'set-utc-offset',
    'list-credentials',
    'revoke-credential',
  ]),
  // Patient bolus is the PTM's request; the pump applies lockout, count and the maximum daily dose.
  patient: new Set<RequestType>([...READ, 'patient-bolus', 'clear-alarm']),
};

export function isAllowed(role: Role | null, type: RequestType): boolean {
  return role !== null && PERMISSIONS[role].has(type);
}
