/**
 * The protocol-v1 string dictionary: map keys and string values that appear in almost every
 * message, so each costs one byte on the air instead of its spelling. Entry i is sent as the
 * varint i + 1 (0 means "a string spelled out follows").
 *
 * Frozen with protocol version 1: entries may never be reordered or removed, only a new protocol
 * version may change the list (docs/protocol.md, appendix A, lists it).
 */
export const DICTIONARY_V1: readonly string[] = [
  // keys of log records, results and status (the most frequent first)
  'seq', 'utcMs', 'utcOffsetMs', 'type', 'data', 'commandId', 'ok', 'atMs', 'detail', 'reason',
  'message', 'issues', 'code', 'severity', 'path', 'volumeNl', 'requestedNl', 'deliveredNl', 'completed', 'why',
  'amountPg', 'durationMs', 'kind', 'localDate', 'deliveredPg', 'patientBolusesDelivered', 'patientBolusesDenied', 'stagedId', 'softLimits', 'resumed',
  'serial', 'model', 'nowMs', 'pumpUtcMs', 'localTime', 'therapy', 'running', 'suspendedBy', 'currentRateNlPerDay', 'mode',
  'prescription', 'device', 'patientId', 'implantDateMs', 'catheter', 'catheterPrimed', 'lengthMm', 'reservoir', 'capacityNl', 'drugId',
  'concentrationMcgPerMl', 'lowAlarmNl', 'lastRefillMs', 'delivered', 'totalNl', 'totalPg', 'strokes', 'undeliveredNl', 'todayNl', 'todayPg',
  'trailing24hPg', 'bolus', 'startedMs', 'patientBolus', 'enabled', 'nextAllowedAtMs', 'usedIn24h', 'allowedPer24h', 'battery', 'remainingUj',
  'capacityUj', 'eriAtMs', 'endOfServiceAtMs', 'replaceByMs', 'alarms', 'critical', 'raisedAtMs', 'acknowledged', 'refillReminderUtcMs', 'staged',
  'changes', 'softCodes', 'awaitingInterrogation', 'log', 'eventNextSeq', 'therapyNextSeq', 'basal', 'rateNlPerDay', 'dayPrograms', 'name',
  'steps', 'startMinute', 'week', 'maxRateNlPerDay', 'maxDailyDosePg', 'lockoutMs', 'maxPer24h', 'refill', 'withdrawnNl', 'filledNl',
  'lowReservoirNl', 'acknowledgedSoftLimits', 'lowReservoirAtMs', 'emptyAtMs', 'nextRefillByMs', 'forecast', 'status', 'records', 'fromSeq', 'nextSeq',
  'oldestSeq', 'more', 'firmware', 'protocolVersion', 'role', 'credentialId', 'outcome', 'result', 'known', 'pumpUtcOffsetMs',
  'pairedAtMs', 'revoked', 'credentials', 'error', 'maxRecords', 'expectedNl', 'thresholdNl', 'fromUtcMs', 'toUtcMs', 'stepMs',
  'doseGuard', 'fromMs', 'toMs', 'projectedPeak24hPg', 'startsAtMs', 'endsByMs', 'recoverAtMs', 'fieldMs', 'recoveryDelayMs', 'stalledMs',
  // string values (a key spelled like a value serves both)
  'events', 'continuous', 'flex', 'clinician', 'patient', 'priming', 'bridge', 'morphine', 'baclofen', 'ziconotide',
  'hydromorphone', 'thecal-20', 'thecal-40', 'hard', 'soft', 'stopped', 'daily-total', 'patient-bolus-started', 'patient-bolus-ended', 'patient-bolus-denied',
  'alarm-raised', 'alarm-cleared', 'alarm-resolved', 'alarm-test', 'program-staged', 'program-committed', 'commit-rejected', 'program-aborted', 'soft-limit-acknowledged', 'refill-discrepancy',
  'catheter-changed', 'bolus-started', 'bolus-ended', 'therapy-stopped', 'therapy-resumed', 'clock-set', 'utc-offset-changed', 'motor-stall', 'motor-stall-recovery', 'interrogation',
  'eri', 'end-of-service', 'battery-depleted', 'power-restored', 'self-test', 'invariant-violation', 'dose-limit-clamp', 'dose-limit-released', 'command-rejected', 'security',
  'manufactured', 'reservoir-empty', 'reservoir-low', 'safe-state', 'memory-error', 'low-battery-reset', 'refill-reminder', 'no-prescription', 'awaiting-interrogation', 'lockout',
  'count-24h-reached', 'max-daily-dose', 'validation-failed', 'nothing-staged', 'staged-id-mismatch', 'stale-staged-program', 'would-exceed-max-daily-dose', 'bolus-in-progress', 'invalid-command', 'power-reset',
  'not-delivered', 'partially-delivered', 'in-progress', 'done', 'unknown', 'clinician-bolus', 'priming-bolus', 'bridge-bolus', 'patient-bolus',
];

const INDEX = new Map<string, number>(DICTIONARY_V1.map((s, i) => [s, i]));

/** The dictionary index of a string, or undefined when it must be spelled out. */
export function dictionaryIndex(s: string): number | undefined {
  return INDEX.get(s);
}
