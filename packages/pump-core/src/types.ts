/** The pump's inputs, outputs and reasons: the contract every shell (simulator, radio, apps) speaks. */
import type { DrugId } from './drugs.ts';
import type { PumpModelId } from './limits.ts';
import type { Prescription, ValidationIssue } from './program.ts';

export type AlarmCode =
  | 'reservoir-empty'
  | 'motor-stall'
  | 'end-of-service'
  | 'low-battery-reset'
  | 'memory-error'
  | 'safe-state'
  | 'reservoir-low'
  | 'eri'
  | 'refill-reminder';

/** Every alarm and its kind (DOMAIN 2.1): critical alarms sound the 3 s two-tone, the others a 1 s single tone. */
export const ALARM_KINDS: Readonly<Record<AlarmCode, 'critical' | 'non-critical'>> = {
  'reservoir-empty': 'critical',
  'motor-stall': 'critical',
  'end-of-service': 'critical',
  'low-battery-reset': 'critical',
  'memory-error': 'critical',
  'safe-state': 'critical',
  'reservoir-low': 'non-critical',
  eri: 'non-critical',
  'refill-reminder': 'non-critical',
};
export const ALARM_CODES = Object.keys(ALARM_KINDS) as readonly AlarmCode[];
export const CRITICAL_ALARMS: ReadonlySet<AlarmCode> = new Set(ALARM_CODES.filter((c) => ALARM_KINDS[c] === 'critical'));

export interface CatheterInfo {
  model: string;
  lengthMm: number;
  volumeNl: number;
}

export interface DeviceChange {
  patientId?: string;
  implantDateMs?: number;
  /** A new or revised catheter: it is empty until a priming bolus fills it. */
  catheter?: CatheterInfo;
}

export interface RefillChange {
  /** Volume the clinician withdrew from the reservoir before filling. */
  withdrawnNl: number;
  /** Volume of new drug put in. */
  filledNl: number;
  drugId: DrugId;
  concentrationMcgPerMl: number;
}

export type BolusChange =
  | { kind: 'clinician'; volumeNl: number; durationMs: number }
  /** Fills an empty catheter with its own volume at the pump's fastest rate. */
  | { kind: 'priming' }
  /** After a concentration change, pushes the old drug out of pump and catheter at the old dose rate. */
  | { kind: 'bridge' };

export interface AlarmSettingsChange {
  lowReservoirNl?: number;
  /** Pump UTC time of the refill reminder, or null for none. */
  refillReminderUtcMs?: number | null;
}

/** Everything a programming session may change, applied at commit all at once or not at all. */
export interface ChangeSet {
  device?: DeviceChange;
  refill?: RefillChange;
  prescription?: Prescription;
  bolus?: BolusChange;
  alarms?: AlarmSettingsChange;
}

export type PumpCommand =
  | { type: 'stage'; changes: ChangeSet }
  | { type: 'commit'; stagedId: number; acknowledgedSoftLimits: string[] }
  | { type: 'abort-staged' }
  | { type: 'patient-bolus' }
  | { type: 'stop-therapy' }
  | { type: 'resume-therapy' }
  | { type: 'clear-alarm'; code: AlarmCode }
  | { type: 'alarm-test' }
  | { type: 'set-clock'; pumpUtcMs: number }
  | { type: 'set-utc-offset'; utcOffsetMs: number }
  | { type: 'interrogate' }
  | { type: 'telemetry-session'; durationMs: number }
  | { type: 'magnetic-field'; durationMs: number; recoveryDelayMs: number };

export type ReasonCode =
  | 'time-went-backwards'
  | 'invalid-command'
  | 'validation-failed'
  | 'soft-limits-not-acknowledged'
  | 'nothing-staged'
  | 'staged-id-mismatch'
  | 'stale-staged-program'
  | 'would-exceed-max-daily-dose'
  | 'bolus-in-progress'
  | 'no-prescription'
  | 'therapy-stopped'
  | 'therapy-suspended'
  | 'patient-bolus-not-enabled'
  | 'lockout'
  | 'count-24h-reached'
  | 'max-daily-dose'
  | 'reservoir-insufficient'
  | 'clinician-bolus-active'
  | 'dose-history-incomplete'
  | 'alarm-not-active'
  | 'end-of-service'
  | 'safe-state';

export type CommandResult =
  | { ok: true; commandId: string; atMs: number; detail: Readonly<Record<string, unknown>> }
  | {
      ok: false;
      commandId: string;
      atMs: number;
      reason: ReasonCode;
      message: string;
      issues?: ValidationIssue[];
      /** Machine-readable facts about the refusal, e.g. nextAllowedAtMs for a lockout. */
      detail?: Readonly<Record<string, unknown>>;
    };

/** Why delivery is suspended, as status().therapy.suspendedBy says it. */
export const SUSPEND_REASONS = ['stopped', 'no-prescription', 'motor-stall', 'awaiting-interrogation', 'reservoir-empty', 'end-of-service', 'safe-state'] as const;
export type SuspendReason = (typeof SUSPEND_REASONS)[number];

export type PumpOutput =
  | { type: 'tone'; atMs: number; code: AlarmCode; pattern: 'critical-two-tone-3s' | 'non-critical-single-1s'; test: boolean }
  | { type: 'alarm-raised'; atMs: number; code: AlarmCode }
  | { type: 'alarm-resolved'; atMs: number; code: AlarmCode }
  | { type: 'bolus-ended'; atMs: number; kind: 'clinician' | 'priming' | 'bridge' | 'patient'; commandId: string; deliveredNl: number; requestedNl: number; completed: boolean };

export interface ManufactureOptions {
  serial: string;
  model: PumpModelId;
  atMs: number;
  utcOffsetMs?: number;
}
