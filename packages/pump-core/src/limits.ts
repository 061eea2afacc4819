/**
 * Every limit and model constant of the pump, in one place. Values marked (placeholder) could not
 * be confirmed from public material (see shared/DOMAIN.md) and are named so that they can be
 * changed here and nowhere else.
 */
import { MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE, MS_PER_MONTH, NL_PER_ML } from './units.ts';

export const PUMP_MODELS = {
  /** 20 mL reservoir (SynchroMed II 20 mL class). */
  'thecal-20': { reservoirCapacityNl: 20 * NL_PER_ML, refillDiscrepancyNl: 1 * NL_PER_ML },
  /** 40 mL reservoir (SynchroMed II 40 mL class). */
  'thecal-40': { reservoirCapacityNl: 40 * NL_PER_ML, refillDiscrepancyNl: 2 * NL_PER_ML },
} as const;
export type PumpModelId = keyof typeof PUMP_MODELS;

export const LIMITS = {
  /** Volume of one pump stroke (placeholder: 0.25 µL). Delivery is a whole number of strokes. */
  strokeNl: 250,
  /** Smallest programmable basal rate: 0.048 mL/day (DOMAIN 2.1). */
  minRateNlPerDay: 48_000,
  /** Default largest programmable basal rate, configurable per prescription down from the hardware ceiling (placeholder). */
  defaultMaxRateNlPerDay: 24 * NL_PER_ML,
  /** Fastest the mechanism can pump, for boluses (placeholder: 2 mL/h). */
  hardwareMaxRateNlPerDay: 48 * NL_PER_ML,
  /** Volume between reservoir outlet and pump outlet (placeholder). Added to catheter volume for bridge boluses. */
  pumpInternalVolumeNl: 200_000,
  /** Flex dosing: at most this many steps in one day program (DOMAIN 2.1). */
  maxFlexSteps: 13,
  /** Flex steps start on whole minutes. */
  flexStepGranularityMs: MS_PER_MINUTE,
  /** Patient bolus lockout: never 0; 15 min to 24 h in common use (DOMAIN 2.3). */
  minLockoutMs: 15 * MS_PER_MINUTE,
  maxLockoutMs: 24 * MS_PER_HOUR,
  minBolusDurationMs: MS_PER_MINUTE,
  maxBolusDurationMs: 24 * MS_PER_HOUR,
  maxPatientBolusesPer24h: 24,
  /** Default low-reservoir alarm volume (DOMAIN 2.1). */
  defaultLowReservoirNl: 2 * NL_PER_ML,
  minLowReservoirNl: 1 * NL_PER_ML,
  maxLowReservoirNl: 10 * NL_PER_ML,
  /** Re-announcement intervals until an alarm is cleared (placeholders). */
  criticalReannounceMs: 10 * MS_PER_MINUTE,
  nonCriticalReannounceMs: 60 * MS_PER_MINUTE,
  /** Tone lengths (DOMAIN 2.1). */
  criticalToneMs: 3_000,
  nonCriticalToneMs: 1_000,
  /** Event and therapy log sizes: a year is ~3 000 therapy records at 6 boluses a day. */
  eventLogCapacity: 4_096,
  therapyLogCapacity: 8_192,
  /** Remembered command outcomes (at least this many, the latest), so a retried command id gets the first answer again. */
  commandMemory: 64,
  /** Delivery history kept for the max-daily-dose guard (segments; must cover 24 h + the longest bolus). */
  doseHistoryCapacity: 2_048,
  /** Largest local-time offset (UTC-12 .. UTC+14). */
  minUtcOffsetMs: -12 * MS_PER_HOUR,
  maxUtcOffsetMs: 14 * MS_PER_HOUR,
  /** The pump's clock may be set only within this span (a clock far outside it is a corrupt command, not travel). */
  minPumpUtcMs: Date.UTC(2000, 0, 1),
  maxPumpUtcMs: Date.UTC(2100, 0, 1),
  /** Longest MRI motor-stall recovery delay accepted (DOMAIN 2.1: 2 to 24 h observed). */
  maxStallRecoveryDelayMs: 48 * MS_PER_HOUR,
} as const;

/**
 * Battery consumption model (placeholders, tuned so that the life to end of service is at most
 * 84 months at the minimum rate and falls with flow, as DOMAIN 2.1 describes).
 * Energy in microjoules. ERI is raised when the remaining energy would last 90 days at the
 * hardware's highest basal consumption plus a margin, so end of service, which comes exactly
 * 90 days after ERI, is always reachable with energy to spare.
 */
const quiescentUjPerDay = 5_000_000;
const strokeUj = 80;
const telemetryUjPerSecond = 20_000;
const eriToEosMs = 90 * MS_PER_DAY;
const eriReserveUj = 90 * (quiescentUjPerDay + (LIMITS.defaultMaxRateNlPerDay / LIMITS.strokeNl) * strokeUj);
/** Energy available from new until ERI, chosen so that minimum-rate life (to EOS) is just under 84 months. */
const minRateStrokesPerDay = LIMITS.minRateNlPerDay / LIMITS.strokeNl;
const targetMinRateLifeMs = 84 * MS_PER_MONTH - 3 * MS_PER_DAY;
const usableToEriUj = Math.floor(
  ((targetMinRateLifeMs - eriToEosMs) / MS_PER_DAY) * (quiescentUjPerDay + minRateStrokesPerDay * strokeUj),
);

export const BATTERY = {
  quiescentUjPerDay,
  strokeUj,
  telemetryUjPerSecond,
  eriToEosMs,
  eriReserveUj,
  /** Full capacity: energy until ERI plus the ERI reserve. */
  capacityUj: usableToEriUj + eriReserveUj,
  maxLifeMs: 84 * MS_PER_MONTH,
} as const;
