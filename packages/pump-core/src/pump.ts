/**
 * The pump: a deterministic state machine whose only inputs are commands and the passage of time,
 * each carrying its own time. It owns its state and changes it in place (no allocation per
 * stroke, so a test can run it at a million times real time); `snapshot()` gives a plain copy.
 *
 * Delivery is by whole strokes. A credit accumulator integrates the commanded rate exactly
 * (nL·ms/day); a stroke fires when the credit reaches one stroke's worth. Between events the
 * number of strokes and the time of the next interesting one are computed, never polled, so
 * advancing time costs O(events), not O(strokes).
 */
import { DoseHistory, STROKE_CREDIT, tipAmountPg, type DoseHistoryJson } from './dose-history.ts';
import { DRUG_LIBRARY, isDrugId, type DrugId } from './drugs.ts';
import { BATTERY, LIMITS, PUMP_MODELS, type PumpModelId } from './limits.ts';
import { isoDateOfDay, localDayIndex, nextLocalMidnight, formatLocal, weekPositionMs } from './local-time.ts';
import {
  buildWeekTable,
  creditBetween,
  fmtDose,
  stepAfter,
  stepEndPosition,
  stepIndexAt,
  validatePrescription,
  type Prescription,
  type ValidationIssue,
  type WeekTable,
} from './program.ts';
import { quiescentUj, quiescentUjAtMost, dailyDrawUj } from './battery.ts';
import { NO_LEAKAGE, changeLeakage, hardwareFaultProblem, leakageDrawnUj, type HardwareFault, type LeakageState } from './hardware-faults.ts';
import { LogLayout, RingLog, type LogRecord, type LogValue } from './ring-log.ts';
import {
  CRITICAL_ALARMS,
  type AlarmCode,
  type ChangeSet,
  type CommandResult,
  type CatheterInfo,
  type ManufactureOptions,
  type PumpCommand,
  type PumpOutput,
  type ReasonCode,
  type SuspendReason,
} from './types.ts';
import { MS_PER_DAY, MS_PER_MINUTE, NL_PER_ML, amountPg } from './units.ts';

/**
 * The therapy records written most (every patient bolus and every day), pushed as values: their
 * data objects are built when the log is read, not kept for two years in memory (ring-log.ts).
 */
const BOLUS_STARTED_DATA = new LogLayout(['commandId', 'volumeNl', 'amountPg', 'durationMs']);
const BOLUS_ENDED_DATA = new LogLayout(['commandId', 'requestedNl', 'deliveredNl', 'completed', 'why']);
const DAILY_TOTAL_DATA = new LogLayout(['localDate', 'deliveredNl', 'deliveredPg', 'patientBolusesDelivered', 'patientBolusesDenied']);

export type EventType =
  | 'manufactured'
  | 'program-staged'
  | 'program-committed'
  | 'commit-rejected'
  | 'program-aborted'
  | 'soft-limit-acknowledged'
  | 'refill'
  | 'refill-discrepancy'
  | 'catheter-changed'
  | 'bolus-started'
  | 'bolus-ended'
  | 'alarm-raised'
  | 'alarm-cleared'
  | 'alarm-resolved'
  | 'alarm-test'
  | 'therapy-stopped'
  | 'therapy-resumed'
  | 'clock-set'
  | 'utc-offset-changed'
  | 'motor-stall'
  | 'motor-stall-recovery'
  | 'interrogation'
  | 'eri'
  | 'end-of-service'
  | 'battery-depleted'
  | 'power-restored'
  | 'self-test'
  | 'invariant-violation'
  | 'dose-limit-clamp'
  | 'dose-limit-released'
  | 'command-rejected'
  | 'security';
export type TherapyType = 'patient-bolus-started' | 'patient-bolus-ended' | 'patient-bolus-denied' | 'daily-total';

type OverrideKind = 'clinician' | 'priming' | 'bridge';
interface Override {
  kind: OverrideKind;
  commandId: string;
  startedMs: number;
  requestedNl: number;
  /** Commanded volume still to come, nL·ms/day; <= 0 means done. */
  remainingCredit: number;
  /** Fixed rate for clinician / priming boluses; the bridge follows the old program instead. */
  rateNlPerDay: number;
  bridgeTable: WeekTable | null;
}
interface ActivePatientBolus {
  commandId: string;
  startedMs: number;
  requestedNl: number;
  remainingCredit: number;
  rateNlPerDay: number;
}
interface ActiveAlarm {
  code: AlarmCode;
  raisedAtMs: number;
  acknowledged: boolean;
  nextAnnounceMs: number;
}
interface StagedProgram {
  stagedId: number;
  commandId: string;
  stagedAtMs: number;
  changes: ChangeSet;
  softCodes: string[];
}

export interface PumpStatus {
  serial: string;
  model: PumpModelId;
  nowMs: number;
  pumpUtcMs: number;
  utcOffsetMs: number;
  localTime: string;
  therapy: { running: boolean; suspendedBy: SuspendReason | null; currentRateNlPerDay: number; mode: string };
  prescription: Prescription | null;
  device: { patientId: string | null; implantDateMs: number | null; catheter: CatheterInfo | null; catheterPrimed: boolean };
  reservoir: { volumeNl: number; capacityNl: number; drugId: DrugId | null; concentrationMcgPerMl: number; lowAlarmNl: number; lastRefillMs: number | null };
  /** trailing24hPg is null when the pump's history cannot reach back 24 h. */
  delivered: { totalNl: number; totalPg: number; strokes: number; undeliveredNl: number; todayNl: number; todayPg: number; trailing24hPg: number | null };
  bolus: { kind: OverrideKind | 'patient'; commandId: string; requestedNl: number; startedMs: number } | null;
  patientBolus: { enabled: boolean; nextAllowedAtMs: number | null; usedIn24h: number; allowedPer24h: number };
  battery: { remainingUj: number; capacityUj: number; eriAtMs: number | null; endOfServiceAtMs: number | null; replaceByMs: number };
  alarms: { code: AlarmCode; critical: boolean; raisedAtMs: number; acknowledged: boolean }[];
  refillReminderUtcMs: number | null;
  staged: { stagedId: number; changes: ChangeSet; softCodes: string[] } | null;
  awaitingInterrogation: boolean;
  log: { eventNextSeq: number; therapyNextSeq: number };
}

const SAFE = Number.MAX_SAFE_INTEGER;
/** While the dose guard holds delivery back, it looks again this often. */
const DOSE_GUARD_RECHECK_MS = 15 * MS_PER_MINUTE;
/** The first dose-guard re-check boundary after `ms`, on a grid of absolute time. */
function nextGuardRecheckMs(ms: number): number {
  return (Math.floor(ms / DOSE_GUARD_RECHECK_MS) + 1) * DOSE_GUARD_RECHECK_MS;
}
/** Projections run this far ahead: a full 24 h window past the longest bolus. */
const PROJECTION_HORIZON_MS = MS_PER_DAY + LIMITS.maxBolusDurationMs;

export class Pump {
  readonly serial: string;
  readonly model: PumpModelId;
  readonly manufacturedAtMs: number;
  private readonly reservoirCapacityNl: number;

  nowMs: number;
  private clockCorrectionMs = 0;
  private utcOffsetMs: number;

  private patientId: string | null = null;
  private implantDateMs: number | null = null;
  private catheter: CatheterInfo | null = null;
  private catheterPrimed = false;

  private prescription: Prescription | null = null;
  /** A frozen copy handed out by status(), made once per commit rather than once per read. */
  private prescriptionView: Prescription | null = null;
  private table: WeekTable | null = null;
  private therapyOn = false;
  private lowReservoirNl: number = LIMITS.defaultLowReservoirNl;
  private refillReminderUtcMs: number | null = null;

  private reservoirNl = 0;
  private drugId: DrugId | null = null;
  private concentrationMcgPerMl = 0;
  private lastRefillMs: number | null = null;
  private slugNl = 0;
  private slugConc = 0;

  private credit = 0;
  private cumDeliveredNl = 0;
  private cumDeliveredPg = 0;
  private strokes = 0;
  private undeliveredNl = 0;
  private override: Override | null = null;
  private patientBolus: ActivePatientBolus | null = null;
  private lastPatientBolusStartMs: number | null = null;
  /** End times of recent patient boluses (Infinity while running), for the rolling 24 h count. */
  private recentBolusEnds: number[] = [];

  private lowRaised = false;
  private emptyLatched = false;
  private stalled = false;
  private stallRecoverAtMs = Number.POSITIVE_INFINITY;
  private stallStartedMs = 0;
  /** A hardware stall not yet noticed: the firmware finds it at the next stroke it tries. */
  private stallDetectAtMs = Number.POSITIVE_INFINITY;
  private awaitingInterrogation = false;
  private safeStateReason: string | null = null;
  /** Until when the conservative stroke-by-stroke dose guard runs (after a risky clock or offset change). */
  private doseGuardUntilMs = 0;
  /**
   * While guarded: the strokes still allowed before the guard looks again. It looks when the guard
   * starts, right after the stroke that uses the allowance up, and at the end of a hold; never at a
   * caller's advanceTo boundary, so what the guard lets through does not depend on how time is
   * advanced (between strokes the trailing 24 h only falls, so nothing could change there).
   */
  private guardBudgetStrokes = 0;
  /** While guarded and no stroke is allowed: delivery is held until this DOSE_GUARD_RECHECK_MS boundary of absolute time. */
  private guardHoldUntilMs = 0;
  private clampStartedMs: number | null = null;
  private clampedNl = 0;

  private telemetryUj = 0;
  private eriAtMs: number | null = null;
  private eosAtMs: number | null = null;
  private eosReached = false;
  private depleted = false;
  /** A hardware leakage current (hardware-faults.ts); none on a healthy pump. */
  private leakage: LeakageState = NO_LEAKAGE;

  private alarms = new Map<AlarmCode, ActiveAlarm>();
  events: RingLog<EventType>;
  therapyLog: RingLog<TherapyType>;
  private history: DoseHistory;
  private lastHistoryRate = Number.NaN;
  private stepTable: WeekTable | null = null;
  private stepRate = 0;
  private stepFromLocal = 0;
  private stepToLocal = 0;
  /** Index in stepTable of the step that follows the cached one. */
  private stepNextIndex = 0;
  private historyDirty = true;

  private staged: StagedProgram | null = null;
  private nextStagedId = 1;
  /**
   * Remembered outcomes in two generations: new ones go to `commandResults`; when it holds
   * LIMITS.commandMemory it becomes `olderCommandResults` (the generation before is dropped whole).
   * So the last commandMemory outcomes at least are always remembered, and no entry is ever
   * deleted one by one: a Map that loses an entry per command keeps compacting its table.
   */
  private commandResults = new Map<string, CommandResult>();
  private olderCommandResults = new Map<string, CommandResult>();

  private dayIndex: number;
  private dayNl = 0;
  private dayPg = 0;
  private dayBolusesDelivered = 0;
  private dayBolusesDenied = 0;

  private outputs: PumpOutput[] = [];
  private outputsDropped = 0;
  /** Segments stepped since creation: the O(events) cost measure. */
  segmentsStepped = 0;
  /** End of the segment being stepped (set by nextEventMs, read by step). */
  private segmentEndMs = 0;
  /** True for throw-away copies used to project the future: they keep no logs or outputs. */
  private projection = false;

  /** `shell` builds a pump whose logs and history are about to be replaced (a projection copy): no big buffers. */
  private constructor(serial: string, model: PumpModelId, atMs: number, utcOffsetMs: number, shell = false) {
    this.serial = serial;
    this.model = model;
    this.manufacturedAtMs = atMs;
    this.reservoirCapacityNl = PUMP_MODELS[model].reservoirCapacityNl;
    this.nowMs = atMs;
    this.utcOffsetMs = utcOffsetMs;
    this.events = new RingLog<EventType>(shell ? 1 : LIMITS.eventLogCapacity);
    this.therapyLog = new RingLog<TherapyType>(shell ? 1 : LIMITS.therapyLogCapacity);
    this.history = new DoseHistory(shell ? 1 : LIMITS.doseHistoryCapacity);
    this.dayIndex = localDayIndex(this.localMs());
  }

  static manufacture(opts: ManufactureOptions): Pump {
    if (!(opts.model in PUMP_MODELS)) throw new RangeError(`unknown pump model "${opts.model}"`);
    if (!Number.isSafeInteger(opts.atMs)) throw new RangeError(`atMs must be a whole number of ms, got ${opts.atMs}`);
    const offset = opts.utcOffsetMs ?? 0;
    checkOffset(offset);
    const pump = new Pump(opts.serial, opts.model, opts.atMs, offset);
    pump.logEvent('manufactured', { serial: opts.serial, model: opts.model });
    return pump;
  }

  // ---------------------------------------------------------------- time and delivery

  private pumpUtcMs(): number {
    return this.nowMs + this.clockCorrectionMs;
  }
  private localMs(): number {
    return this.nowMs + this.clockCorrectionMs + this.utcOffsetMs;
  }

  suspendReason(): SuspendReason | null {
    if (this.safeStateReason !== null) return 'safe-state';
    if (this.eosReached) return 'end-of-service';
    if (this.prescription === null) return 'no-prescription';
    if (!this.therapyOn) return 'stopped';
    if (this.emptyLatched) return 'reservoir-empty';
    if (this.stalled) return 'motor-stall';
    if (this.awaitingInterrogation) return 'awaiting-interrogation';
    return null;
  }

  private basalRateNow(): number {
    if (this.override !== null) {
      if (this.override.kind === 'bridge' && this.override.bridgeTable !== null) return this.stepAt(this.override.bridgeTable, this.localMs());
      return this.override.rateNlPerDay;
    }
    return this.table === null ? 0 : this.stepAt(this.table, this.localMs());
  }

  /**
   * Rate of `table` at a local time, remembering the step found (its local start and end) so
   * the many lookups inside one step cost a comparison, not a search. Keyed by local time, so a
   * clock or offset change simply misses the cache.
   */
  private stepAt(table: WeekTable, local: number): number {
    if (table === this.stepTable) {
      if (local >= this.stepFromLocal && local < this.stepToLocal) return this.stepRate;
      // Time moves forward step by step: the step after the cached one is the usual answer, and
      // knowing its index saves the week-position arithmetic and the search.
      if (local >= this.stepToLocal && !table.constant) {
        // The next step starts where the cached one ends, in the same week or (after the last
        // step) the next one: either way its week starts at that end less its position.
        const i = this.stepNextIndex;
        const weekStart = this.stepToLocal - (table.startsMs[i] ?? 0);
        if (local < weekStart + stepEndPosition(table, i)) return this.cacheStep(table, i, weekStart, local);
      }
    }
    const pos = weekPositionMs(local);
    return this.cacheStep(table, stepIndexAt(table, pos), local - pos, local);
  }

  /** Remember step i of `table`, in the week whose position 0 is at local time weekStart, looked up at `local`. */
  private cacheStep(table: WeekTable, i: number, weekStart: number, local: number): number {
    const rate = table.ratesNlPerDay[i] ?? 0;
    this.stepTable = table;
    this.stepRate = rate;
    this.stepNextIndex = stepAfter(table, i);
    this.stepToLocal = table.constant ? Number.POSITIVE_INFINITY : weekStart + stepEndPosition(table, i);
    // Only the end matters for correctness of later hits: the start is this lookup's instant.
    this.stepFromLocal = local;
    return rate;
  }

  /** The commanded rate right now (0 while suspended). */
  commandedRateNlPerDay(): number {
    if (this.suspendReason() !== null) return 0;
    return this.basalRateNow() + (this.patientBolus === null ? 0 : this.patientBolus.rateNlPerDay);
  }

  /** Advance to `atMs`, delivering and raising alarms on the way. Time only moves forward. */
  advanceTo(atMs: number): void {
    if (!Number.isSafeInteger(atMs)) throw new RangeError(`time must be a whole number of ms, got ${atMs}`);
    if (atMs < this.nowMs) throw new RangeError(`time went backwards: ${atMs} < ${this.nowMs}`);
    this.processDue();
    while (this.nowMs < atMs) {
      const rate = this.commandedRateNlPerDay();
      if (rate !== this.lastHistoryRate || this.historyDirty) this.pushHistory(rate);
      // The segment's end goes through a field, not a return value and an argument: a time is no
      // small integer, so passing it between these (not inlined) calls boxed it on the heap at
      // every event.
      this.nextEventMs(rate);
      if (atMs < this.segmentEndMs) this.segmentEndMs = atMs;
      this.step(rate);
      this.processDue();
    }
  }

  private pushHistory(rate: number): void {
    this.history.pushValues(this.nowMs, this.cumDeliveredNl, this.cumDeliveredPg, this.credit, rate, this.slugNl, this.slugConc, this.concentrationMcgPerMl);
    this.lastHistoryRate = rate;
    this.historyDirty = false;
  }

  /** Sets segmentEndMs to the time of the next event at this rate. */
  private nextEventMs(rate: number): void {
    const now = this.nowMs;
    const local = this.localMs();
    // processDue has just closed any day that ended, so local time is almost always inside the
    // day dayIndex names: its end is a multiplication, not a division (the division was a third of
    // this function's time).
    let midnight = (this.dayIndex + 1) * MS_PER_DAY;
    if (!(local < midnight && local >= midnight - MS_PER_DAY)) midnight = nextLocalMidnight(local);
    let next = now + (midnight - local);
    if (rate > 0) {
      const table = this.override === null ? this.table : this.override.bridgeTable;
      if (table !== null && (this.override === null || this.override.kind === 'bridge')) {
        this.stepAt(table, local);
        next = Math.min(next, now + (this.stepToLocal - local));
      }
      if (this.override !== null) {
        const r = this.basalRateNow();
        if (r > 0) next = Math.min(next, now + Math.max(1, Math.ceil(this.override.remainingCredit / r)));
      }
      if (this.patientBolus !== null) {
        next = Math.min(next, now + Math.max(1, Math.ceil(this.patientBolus.remainingCredit / this.patientBolus.rateNlPerDay)));
      }
      // Keep rate x time within exact integer range. The product test is exact (it is exact when
      // at most the bound, and rounds to above it otherwise) and spares a division per event.
      const headroom = SAFE - Math.abs(this.credit);
      if ((next - now) * rate > headroom) next = Math.min(next, now + Math.floor(headroom / rate));
    }
    // The guard decides at its own boundaries (and lets go at its end), whatever else happens.
    if (this.doseGuardUntilMs > now) next = Math.min(next, this.doseGuardUntilMs, this.guardHoldUntilMs > now ? this.guardHoldUntilMs : next);
    if (this.stalled) next = Math.min(next, this.stallRecoverAtMs, this.stallDetectAtMs);
    if (this.eosAtMs !== null && !this.eosReached) next = Math.min(next, this.eosAtMs);
    if (this.refillReminderUtcMs !== null && !this.alarms.has('refill-reminder')) {
      next = Math.min(next, Math.max(now + 1, this.refillReminderUtcMs - this.clockCorrectionMs));
    }
    // Checked first: iterating even an empty Map costs an iterator on every event.
    if (this.alarms.size > 0) for (const a of this.alarms.values()) if (!a.acknowledged) next = Math.min(next, a.nextAnnounceMs);
    if (this.eosReached && !this.depleted) next = Math.min(next, now + Math.max(1, Math.floor((this.batteryRemainingUj() / BATTERY.quiescentUjPerDay) * MS_PER_DAY)));
    this.segmentEndMs = Math.max(next, now + 1);
  }

  /** Strokes until the next volume-triggered event: the low-reservoir crossing or a stroke the reservoir cannot supply. */
  private strokesToVolumeEvent(): number {
    const available = Math.floor(this.reservoirNl / LIMITS.strokeNl);
    let k = available + 1;
    if (!this.lowRaised && this.reservoirNl > this.lowReservoirNl) {
      k = Math.min(k, Math.ceil((this.reservoirNl - this.lowReservoirNl) / LIMITS.strokeNl));
    }
    return k;
  }

  /** Deliver at `rate` until segmentEndMs (or the stroke that triggers a volume event). */
  private step(rate: number): void {
    const endMs = this.segmentEndMs;
    this.segmentsStepped += 1;
    let dt = endMs - this.nowMs;
    if (rate > 0) {
      let total = this.credit + rate * dt;
      let n = Math.floor(total / STROKE_CREDIT);
      // Strokes to the next volume event, worked out (two divisions) only when this segment's n
      // strokes could reach it: n >= strokesToVolumeEvent() exactly when one of these holds.
      let limit = Number.POSITIVE_INFINITY;
      const nNl = n * LIMITS.strokeNl;
      if (nNl > this.reservoirNl || (!this.lowRaised && this.reservoirNl > this.lowReservoirNl && nNl >= this.reservoirNl - this.lowReservoirNl)) {
        limit = this.strokesToVolumeEvent();
      }
      if (this.clampStartedMs !== null && !(this.doseGuardUntilMs > this.nowMs)) this.releaseClamp();
      const guarded = this.doseGuardUntilMs > this.nowMs && this.prescription !== null;
      if (guarded) {
        if (!(this.guardHoldUntilMs > this.nowMs) && this.guardBudgetStrokes <= 0) {
          this.guardBudgetStrokes = this.guardAllowedStrokes();
          if (this.guardBudgetStrokes <= 0) this.guardHoldUntilMs = nextGuardRecheckMs(this.nowMs);
        }
        if (this.guardHoldUntilMs > this.nowMs) {
          this.clampDelivery(rate, endMs < this.guardHoldUntilMs ? endMs : this.guardHoldUntilMs);
          return;
        }
        if (this.clampStartedMs !== null) this.releaseClamp();
        if (this.guardBudgetStrokes < limit) limit = this.guardBudgetStrokes;
      }
      if (n >= limit) {
        dt = Math.ceil((limit * STROKE_CREDIT - this.credit) / rate);
        total = this.credit + rate * dt;
        n = limit;
      }
      let empty = false;
      if (n * LIMITS.strokeNl > this.reservoirNl) {
        empty = true;
        n = Math.floor(this.reservoirNl / LIMITS.strokeNl);
      }
      if (this.override !== null) this.override.remainingCredit -= this.basalRateNow() * dt;
      if (this.patientBolus !== null) this.patientBolus.remainingCredit -= this.patientBolus.rateNlPerDay * dt;
      this.credit = total - n * STROKE_CREDIT;
      // The segment ends on its last stroke when a volume event cut it short: log at that instant.
      this.nowMs += dt;
      if (guarded) this.guardBudgetStrokes -= n;
      if (n > 0) this.deliverStrokes(n);
      if (empty) this.onEmpty();
    } else {
      this.nowMs = endMs;
    }
  }

  /**
   * After a clock or offset change that the projection showed could break the maximum daily dose,
   * strokes are allowed only while the trailing 24 h (counting nothing as leaving the window, so
   * conservatively) stays within the maximum plus one stroke.
   */
  private guardAllowedStrokes(): number {
    const rx = this.prescription;
    if (rx === null) return 0;
    const strokePg = amountPg(LIMITS.strokeNl, Math.max(this.concentrationMcgPerMl, this.slugConc));
    if (strokePg === 0) return Number.POSITIVE_INFINITY;
    return Math.floor((rx.maxDailyDosePg - this.trailingUpperBoundPg()) / strokePg) + 1;
  }

  /** Deliver nothing until `until` (the next re-check at the latest): the commanded volume meanwhile is recorded as clamped. */
  private clampDelivery(rate: number, until: number): void {
    if (this.clampStartedMs === null) {
      this.clampStartedMs = this.nowMs;
      this.logEvent('dose-limit-clamp', { trailing24hPg: this.trailingUpperBoundPg(), maxDailyDosePg: this.prescription?.maxDailyDosePg ?? 0, reason: 'max-daily-dose' });
      this.haltBoluses('max-daily-dose');
    }
    this.clampedNl += Math.floor((rate * (until - this.nowMs)) / MS_PER_DAY);
    // Record the held-back stretch as delivering nothing, so the 24 h sums never count phantom strokes.
    this.pushHistory(0);
    this.nowMs = until;
    this.historyDirty = true;
  }

  private releaseClamp(): void {
    this.logEvent('dose-limit-released', { clampedMs: this.nowMs - (this.clampStartedMs ?? this.nowMs), clampedNl: this.clampedNl });
    this.clampStartedMs = null;
  }

  private deliverStrokes(n: number): void {
    const volume = n * LIMITS.strokeNl;
    const pg = tipAmountPg(volume, this.slugNl, this.slugConc, this.concentrationMcgPerMl);
    this.slugNl = volume >= this.slugNl ? 0 : this.slugNl - volume;
    this.reservoirNl -= volume;
    this.cumDeliveredNl += volume;
    this.cumDeliveredPg += pg;
    this.strokes += n;
    this.dayNl += volume;
    this.dayPg += pg;
    if (!this.lowRaised && this.reservoirNl <= this.lowReservoirNl) {
      this.lowRaised = true;
      this.raiseAlarm('reservoir-low');
    }
  }

  private onEmpty(): void {
    // The due stroke could not be delivered: drop its credit, latch empty, stop, alarm.
    const lost = Math.floor(this.credit / STROKE_CREDIT);
    if (lost > 0) {
      this.undeliveredNl += lost * LIMITS.strokeNl;
      this.credit -= lost * STROKE_CREDIT;
    }
    this.emptyLatched = true;
    this.pushHistory(0);
    this.haltBoluses('reservoir-empty');
    this.raiseAlarm('reservoir-empty');
  }

  /** Everything due at the current instant. Called after every step and before every command. */
  private processDue(): void {
    const now = this.nowMs;
    const o = this.override;
    if (o !== null && o.remainingCredit <= 0) {
      this.credit += o.remainingCredit; // the commanded volume is exactly the requested one
      this.override = null;
      this.historyDirty = true;
      if (o.kind === 'priming') this.catheterPrimed = true;
      this.logEvent('bolus-ended', { kind: o.kind, commandId: o.commandId, requestedNl: o.requestedNl, deliveredNl: o.requestedNl, completed: true });
      this.emit({ type: 'bolus-ended', atMs: now, kind: o.kind, commandId: o.commandId, requestedNl: o.requestedNl, deliveredNl: o.requestedNl, completed: true });
    }
    const pb = this.patientBolus;
    if (pb !== null && pb.remainingCredit <= 0) {
      this.credit += pb.remainingCredit;
      this.endPatientBolus(pb, true);
    }
    if (this.stalled && now >= this.stallDetectAtMs) {
      this.stallDetectAtMs = Number.POSITIVE_INFINITY;
      this.logEvent('motor-stall', { cause: 'hardware', stalledForMs: now - this.stallStartedMs, recoverAtMs: Number.isFinite(this.stallRecoverAtMs) ? this.stallRecoverAtMs : null });
      this.raiseAlarm('motor-stall');
    }
    if (this.stalled && now >= this.stallRecoverAtMs) {
      // A stall shorter than a stroke period was never noticed: nothing to report but the recovery.
      this.stallDetectAtMs = Number.POSITIVE_INFINITY;
      this.stalled = false;
      this.stallRecoverAtMs = Number.POSITIVE_INFINITY;
      this.logEvent('motor-stall-recovery', { stalledMs: now - this.stallStartedMs, awaitingInterrogation: this.awaitingInterrogation });
      this.resolveAlarm('motor-stall');
      this.historyDirty = true;
    }
    // Every use of the remaining energy below only compares it with the ERI reserve or with 0. A
    // lower bound above the reserve decides all of them alike, so the exact figure is computed
    // only near the reserve, past ERI, or once the cell is flat.
    const lowerBound = this.batteryRemainingAtLeastUj();
    let remaining = lowerBound > BATTERY.eriReserveUj ? lowerBound : this.batteryRemainingUj();
    if (remaining <= 0 && !this.eosReached && this.leakage !== NO_LEAKAGE) {
      // A leaking cell ran flat before its 90 days after ERI: end of service now, and silence.
      this.eriAtMs ??= now;
      this.eosAtMs = now;
      remaining = 0;
    }
    if (this.eriAtMs === null) {
      if (remaining <= BATTERY.eriReserveUj) {
        this.eriAtMs = now;
        this.eosAtMs = now + BATTERY.eriToEosMs;
        this.logEvent('eri', { remainingUj: remaining, endOfServiceAtMs: this.eosAtMs });
        this.raiseAlarm('eri');
      }
    }
    if (this.eosReached && !this.depleted && remaining <= 0) {
      // Past end of service the electronics run the battery flat; then nothing can sound.
      this.depleted = true;
      this.logEvent('battery-depleted', {});
      for (const code of [...this.alarms.keys()]) this.resolveAlarm(code);
    }
    if (this.eosAtMs !== null && !this.eosReached && now >= this.eosAtMs) {
      this.eosReached = true;
      this.haltBoluses('end-of-service');
      this.historyDirty = true;
      this.logEvent('end-of-service', { eriAtMs: this.eriAtMs ?? -1 });
      this.raiseAlarm('end-of-service');
    }
    if (this.refillReminderUtcMs !== null && this.pumpUtcMs() >= this.refillReminderUtcMs && !this.alarms.has('refill-reminder')) {
      this.raiseAlarm('refill-reminder');
      this.refillReminderUtcMs = null;
    }
    // The same test as localDayIndex(local) > dayIndex, by multiplication: no division per event.
    const local = this.localMs();
    if (local >= (this.dayIndex + 1) * MS_PER_DAY) this.closeDay(localDayIndex(local));
    if (this.alarms.size > 0) {
      for (const a of this.alarms.values()) {
        if (a.acknowledged || a.nextAnnounceMs > now) continue;
        this.announce(a.code, false);
        const interval = CRITICAL_ALARMS.has(a.code) ? LIMITS.criticalReannounceMs : LIMITS.nonCriticalReannounceMs;
        a.nextAnnounceMs = now + interval;
      }
    }
    // A boolean, not the energy itself: a number this large would be boxed to pass it.
    this.checkInvariants(remaining < 0);
  }

  private closeDay(newDay: number): void {
    if (!this.projection) {
      this.therapyLog.pushFields(this.pumpUtcMs(), this.utcOffsetMs, 'daily-total', DAILY_TOTAL_DATA, isoDateOfDay(this.dayIndex), this.dayNl, this.dayPg, this.dayBolusesDelivered, this.dayBolusesDenied);
    }
    this.dayIndex = newDay;
    this.dayNl = 0;
    this.dayPg = 0;
    this.dayBolusesDelivered = 0;
    this.dayBolusesDenied = 0;
  }

  /** The invariants, checked after every event. Plain code, no closures: this runs millions of times. */
  private checkInvariants(batteryBelowZero: boolean): void {
    if (this.safeStateReason !== null) return;
    if (!(this.reservoirNl >= 0) || this.reservoirNl > this.reservoirCapacityNl) {
      this.enterSafeState(`reservoir volume out of range: ${this.reservoirNl} nL`);
    } else if (!(this.credit > -STROKE_CREDIT && this.credit < STROKE_CREDIT)) {
      this.enterSafeState(`stroke credit out of range: ${this.credit}`);
    } else if (this.cumDeliveredNl !== this.strokes * LIMITS.strokeNl) {
      this.enterSafeState('delivered volume differs from stroke count');
    } else if (!this.eosReached && batteryBelowZero) {
      this.enterSafeState('battery energy below zero before end of service');
    } else if (this.prescription !== null && this.cumDeliveredPg > 0) {
      // Only exact knowledge can prove a violation: a window reaching before the known history is skipped.
      const quantum = LIMITS.strokeNl * (this.concentrationMcgPerMl > this.slugConc ? this.concentrationMcgPerMl : this.slugConc);
      const limit = this.prescription.maxDailyDosePg + quantum;
      // Exact whenever it could exceed the limit; below it a cheaper bound decides.
      const trailing = this.history.trailingNowPgIfOver(this.nowMs, this.cumDeliveredPg, limit);
      if (trailing > limit) {
        this.enterSafeState(`24 h delivery ${fmtDose(trailing)} exceeds the maximum daily dose ${fmtDose(this.prescription.maxDailyDosePg)}`);
      }
    }
  }

  /** A violated invariant stops delivery, raises a critical alarm and logs why. Leaving it takes a new committed program. */
  enterSafeState(reason: string): void {
    if (this.safeStateReason !== null) return;
    this.safeStateReason = reason;
    this.haltBoluses('safe-state');
    this.historyDirty = true;
    this.logEvent('invariant-violation', { reason });
    this.raiseAlarm('safe-state');
  }

  private haltBoluses(why: string): void {
    const o = this.override;
    if (o !== null) {
      const deliveredNl = o.requestedNl - Math.max(0, Math.ceil(o.remainingCredit / MS_PER_DAY));
      this.override = null;
      this.historyDirty = true;
      this.logEvent('bolus-ended', { kind: o.kind, commandId: o.commandId, requestedNl: o.requestedNl, deliveredNl, completed: false, why });
      this.emit({ type: 'bolus-ended', atMs: this.nowMs, kind: o.kind, commandId: o.commandId, requestedNl: o.requestedNl, deliveredNl, completed: false });
    }
    if (this.patientBolus !== null) this.endPatientBolus(this.patientBolus, false, why);
  }

  private endPatientBolus(pb: ActivePatientBolus, completed: boolean, why?: string): void {
    const deliveredNl = completed ? pb.requestedNl : pb.requestedNl - Math.max(0, Math.ceil(pb.remainingCredit / MS_PER_DAY));
    this.patientBolus = null;
    this.historyDirty = true;
    const i = this.recentBolusEnds.indexOf(Number.POSITIVE_INFINITY);
    if (i >= 0) this.recentBolusEnds[i] = this.nowMs;
    this.logTherapyFields('patient-bolus-ended', BOLUS_ENDED_DATA, pb.commandId, pb.requestedNl, deliveredNl, completed, why ?? null);
    this.emit({ type: 'bolus-ended', atMs: this.nowMs, kind: 'patient', commandId: pb.commandId, requestedNl: pb.requestedNl, deliveredNl, completed });
  }

  // ---------------------------------------------------------------- alarms

  private raiseAlarm(code: AlarmCode): void {
    if (this.depleted) return;
    const existing = this.alarms.get(code);
    if (existing !== undefined) return;
    this.alarms.set(code, { code, raisedAtMs: this.nowMs, acknowledged: false, nextAnnounceMs: this.nowMs });
    this.logEvent('alarm-raised', { code, critical: CRITICAL_ALARMS.has(code) });
    this.emit({ type: 'alarm-raised', atMs: this.nowMs, code });
    this.announce(code, false);
    const a = this.alarms.get(code);
    if (a !== undefined) a.nextAnnounceMs = this.nowMs + (CRITICAL_ALARMS.has(code) ? LIMITS.criticalReannounceMs : LIMITS.nonCriticalReannounceMs);
  }

  private resolveAlarm(code: AlarmCode): void {
    if (!this.alarms.delete(code)) return;
    this.logEvent('alarm-resolved', { code });
    this.emit({ type: 'alarm-resolved', atMs: this.nowMs, code });
  }

  private announce(code: AlarmCode, test: boolean): void {
    this.emit({
      type: 'tone',
      atMs: this.nowMs,
      code,
      pattern: CRITICAL_ALARMS.has(code) ? 'critical-two-tone-3s' : 'non-critical-single-1s',
      test,
    });
  }

  // ---------------------------------------------------------------- battery

  batteryRemainingUj(): number {
    if (this.depleted) return 0;
    return this.energyLeftUj(quiescentUj(this.nowMs - this.manufacturedAtMs));
  }

  /** Never more than batteryRemainingUj(), and cheaper: for the per-event ERI and invariant checks. */
  private batteryRemainingAtLeastUj(): number {
    if (this.depleted) return 0;
    return this.energyLeftUj(quiescentUjAtMost(this.nowMs - this.manufacturedAtMs));
  }

  /**
   * Capacity less every draw, given the quiescent one. Shared by the exact figure and its bound so
   * that a new kind of draw is counted by both: a bound that missed one could delay ERI.
   */
  private energyLeftUj(quiescentDrawnUj: number): number {
    return BATTERY.capacityUj - quiescentDrawnUj - this.strokes * BATTERY.strokeUj - this.telemetryUj - leakageDrawnUj(this.leakage, this.nowMs);
  }

  /** Projected ERI time at the current program's mean rate (exact once ERI has happened). */
  projectedEriMs(): number {
    if (this.eriAtMs !== null) return this.eriAtMs;
    const mean = this.table === null || this.prescription === null ? 0 : this.table.weekCredit / (7 * MS_PER_DAY);
    const spare = this.batteryRemainingUj() - BATTERY.eriReserveUj;
    return this.nowMs + Math.floor((spare / dailyDrawUj(mean)) * MS_PER_DAY);
  }

  // ---------------------------------------------------------------- commands

  /**
   * Run one command at its time. A command id seen before returns the first answer again and
   * changes nothing (safe retries when an answer was lost on the link).
   */
  execute(atMs: number, commandId: string, command: PumpCommand): CommandResult {
    const previous = this.outcomeOf(commandId);
    if (previous !== null) return previous;
    if (!Number.isSafeInteger(atMs) || atMs < this.nowMs) {
      return { ok: false, commandId, atMs, reason: 'time-went-backwards', message: `command time ${atMs} is before pump time ${this.nowMs}` };
    }
    this.advanceTo(atMs);
    const result = this.run(commandId, command);
    if (!result.ok && command.type !== 'patient-bolus') {
      this.logEvent('command-rejected', { commandId, type: command.type, reason: result.reason });
    }
    this.remember(commandId, result);
    return result;
  }

  /** The stored outcome of a command id, if the pump still remembers it. */
  outcomeOf(commandId: string): CommandResult | null {
    return this.commandResults.get(commandId) ?? this.olderCommandResults.get(commandId) ?? null;
  }

  private remember(commandId: string, result: CommandResult): void {
    this.commandResults.set(commandId, result);
    if (this.commandResults.size >= LIMITS.commandMemory) {
      this.olderCommandResults = this.commandResults;
      this.commandResults = new Map();
    }
  }

  private ok(commandId: string, detail: Record<string, unknown> = {}): CommandResult {
    return { ok: true, commandId, atMs: this.nowMs, detail };
  }
  private no(commandId: string, reason: ReasonCode, message: string, issues?: ValidationIssue[]): CommandResult {
    return issues === undefined
      ? { ok: false, commandId, atMs: this.nowMs, reason, message }
      : { ok: false, commandId, atMs: this.nowMs, reason, message, issues };
  }

  private run(id: string, c: PumpCommand): CommandResult {
    switch (c.type) {
      case 'stage':
        return this.stage(id, c.changes);
      case 'commit':
        return this.commit(id, c.stagedId, c.acknowledgedSoftLimits);
      case 'abort-staged': {
        if (this.staged === null) return this.no(id, 'nothing-staged', 'there is no staged program to abort');
        this.logEvent('program-aborted', { stagedId: this.staged.stagedId });
        this.staged = null;
        return this.ok(id);
      }
      case 'patient-bolus':
        return this.requestPatientBolus(id);
      case 'stop-therapy': {
        this.haltBoluses('therapy-stopped');
        this.therapyOn = false;
        this.historyDirty = true;
        this.logEvent('therapy-stopped', { commandId: id });
        return this.ok(id);
      }
      case 'resume-therapy': {
        if (this.prescription === null) return this.no(id, 'no-prescription', 'there is no prescription to resume');
        if (this.eosReached) return this.no(id, 'end-of-service', 'the pump has reached end of service and cannot deliver');
        if (this.safeStateReason !== null) return this.no(id, 'safe-state', `the pump is in its safe state (${this.safeStateReason}); commit a reviewed program to leave it`);
        this.therapyOn = true;
        this.historyDirty = true;
        this.logEvent('therapy-resumed', { commandId: id });
        return this.ok(id);
      }
      case 'clear-alarm': {
        const a = this.alarms.get(c.code);
        if (a === undefined) return this.no(id, 'alarm-not-active', `alarm "${c.code}" is not active`);
        a.acknowledged = true;
        this.logEvent('alarm-cleared', { code: c.code });
        if (c.code === 'refill-reminder') this.resolveAlarm(c.code);
        return this.ok(id);
      }
      case 'alarm-test': {
        this.logEvent('alarm-test', {});
        this.emit({ type: 'tone', atMs: this.nowMs, code: 'reservoir-empty', pattern: 'critical-two-tone-3s', test: true });
        this.emit({ type: 'tone', atMs: this.nowMs, code: 'reservoir-low', pattern: 'non-critical-single-1s', test: true });
        return this.ok(id);
      }
      case 'set-clock': {
        if (!Number.isSafeInteger(c.pumpUtcMs) || c.pumpUtcMs < LIMITS.minPumpUtcMs || c.pumpUtcMs > LIMITS.maxPumpUtcMs) {
          return this.no(id, 'invalid-command', `clock must be a whole number of ms from ${new Date(LIMITS.minPumpUtcMs).toISOString()} to ${new Date(LIMITS.maxPumpUtcMs).toISOString()}, got ${c.pumpUtcMs}`);
        }
        const before = this.pumpUtcMs();
        const guarded = this.guardIfRisky((p) => {
          p.clockCorrectionMs = c.pumpUtcMs - p.nowMs;
        });
        this.clockCorrectionMs = c.pumpUtcMs - this.nowMs;
        this.historyDirty = true;
        this.logEvent('clock-set', { fromUtcMs: before, toUtcMs: c.pumpUtcMs, stepMs: c.pumpUtcMs - before, doseGuard: guarded });
        return this.ok(id, { stepMs: c.pumpUtcMs - before, doseGuard: guarded });
      }
      case 'set-utc-offset': {
        try {
          checkOffset(c.utcOffsetMs);
        } catch (e) {
          return this.no(id, 'invalid-command', (e as Error).message);
        }
        const before = this.utcOffsetMs;
        const guarded = this.guardIfRisky((p) => {
          p.utcOffsetMs = c.utcOffsetMs;
        });
        this.utcOffsetMs = c.utcOffsetMs;
        this.historyDirty = true;
        this.logEvent('utc-offset-changed', { fromMs: before, toMs: c.utcOffsetMs, doseGuard: guarded });
        return this.ok(id, { doseGuard: guarded });
      }
      case 'interrogate': {
        const was = this.awaitingInterrogation;
        if (!this.stalled) this.awaitingInterrogation = false;
        if (was !== this.awaitingInterrogation) this.historyDirty = true;
        this.logEvent('interrogation', { resumed: was && !this.awaitingInterrogation });
        return this.ok(id, { resumed: was && !this.awaitingInterrogation });
      }
      case 'telemetry-session': {
        if (!Number.isSafeInteger(c.durationMs) || c.durationMs < 0) return this.no(id, 'invalid-command', `telemetry duration must be a whole number of ms >= 0, got ${c.durationMs}`);
        this.telemetryUj += Math.ceil((c.durationMs * BATTERY.telemetryUjPerSecond) / 1000);
        return this.ok(id);
      }
      case 'magnetic-field': {
        const okDur = Number.isSafeInteger(c.durationMs) && c.durationMs >= 0;
        const okDelay = Number.isSafeInteger(c.recoveryDelayMs) && c.recoveryDelayMs >= 0 && c.recoveryDelayMs <= LIMITS.maxStallRecoveryDelayMs;
        if (!okDur || !okDelay) return this.no(id, 'invalid-command', `field duration must be >= 0 ms and recovery delay 0 to ${LIMITS.maxStallRecoveryDelayMs} ms`);
        // A pump already alarming when the field forces telemetry mode waits for an interrogation before it resumes.
        if ([...this.alarms.values()].some((a) => !a.acknowledged)) this.awaitingInterrogation = true;
        const wasStalled = this.stalled;
        if (!wasStalled) this.stallStartedMs = this.nowMs;
        this.stalled = true;
        // A field never shortens a stall already running (a rotor broken by a hardware fault stays broken).
        this.stallRecoverAtMs = Math.max(wasStalled ? this.stallRecoverAtMs : 0, this.nowMs + c.durationMs + c.recoveryDelayMs);
        this.historyDirty = true;
        this.logEvent('motor-stall', { fieldMs: c.durationMs, recoveryDelayMs: c.recoveryDelayMs, awaitingInterrogation: this.awaitingInterrogation });
        this.raiseAlarm('motor-stall');
        return this.ok(id, { recoverAtMs: this.stallRecoverAtMs });
      }
      default: {
        const never: never = c;
        return this.no(id, 'invalid-command', `unknown command ${JSON.stringify(never)}`);
      }
    }
  }

  // ---------------------------------------------------------------- programming

  /** Every hard and soft issue with applying `changes` to the pump as it is now. */
  validateChanges(changes: ChangeSet): ValidationIssue[] {
    const issues: ValidationIssue[] = [];
    const hard = (code: string, path: string, message: string) => issues.push({ code, severity: 'hard', path, message });
    const soft = (code: string, path: string, message: string) => issues.push({ code, severity: 'soft', path, message });
    const capacity = PUMP_MODELS[this.model].reservoirCapacityNl;

    const d = changes.device;
    if (d !== undefined) {
      if (d.patientId !== undefined && (typeof d.patientId !== 'string' || d.patientId.length === 0 || d.patientId.length > 64))
        hard('patient-id', 'device.patientId', 'patient id must be 1 to 64 characters');
      if (d.implantDateMs !== undefined && !Number.isSafeInteger(d.implantDateMs)) hard('implant-date', 'device.implantDateMs', 'implant date must be a whole number of ms');
      if (d.catheter !== undefined) {
        const cat = d.catheter;
        if (!Number.isSafeInteger(cat.volumeNl) || cat.volumeNl <= 0 || cat.volumeNl > 2 * NL_PER_ML)
          hard('catheter-volume', 'device.catheter.volumeNl', `catheter volume must be 1 nL to 2 mL, got ${cat.volumeNl} nL`);
        if (!Number.isSafeInteger(cat.lengthMm) || cat.lengthMm <= 0 || cat.lengthMm > 2000)
          hard('catheter-length', 'device.catheter.lengthMm', `catheter length must be 1 to 2000 mm, got ${cat.lengthMm}`);
      }
    }

    let drugAfter = this.drugId;
    let concAfter = this.concentrationMcgPerMl;
    let reservoirAfter = this.reservoirNl;
    const r = changes.refill;
    if (r !== undefined) {
      if (!isDrugId(r.drugId)) hard('unknown-drug', 'refill.drugId', `drug "${String(r.drugId)}" is not in the drug library; the pump stays stopped`);
      else if (!DRUG_LIBRARY[r.drugId].concentrationsMcgPerMl.includes(r.concentrationMcgPerMl))
        hard('concentration-not-in-library', 'refill.concentrationMcgPerMl', `${r.concentrationMcgPerMl} mcg/mL is not a library concentration of ${r.drugId}`);
      if (!Number.isSafeInteger(r.withdrawnNl) || r.withdrawnNl < 0 || r.withdrawnNl > capacity)
        hard('refill-withdrawn', 'refill.withdrawnNl', `withdrawn volume must be 0 to ${capacity} nL, got ${r.withdrawnNl}`);
      if (!Number.isSafeInteger(r.filledNl) || r.filledNl <= 0 || r.filledNl > capacity)
        hard('refill-volume', 'refill.filledNl', `filled volume must be 1 to ${capacity} nL (reservoir capacity), got ${r.filledNl}`);
      drugAfter = r.drugId;
      concAfter = r.concentrationMcgPerMl;
      reservoirAfter = r.filledNl;
    }

    const p = changes.prescription;
    const rxAfter = p ?? this.prescription;
    if (p !== undefined) {
      for (const issue of validatePrescription(p, { current: this.prescription })) issues.push({ ...issue, path: `prescription.${issue.path}` });
      if (this.override !== null) hard('bolus-in-progress', 'prescription', `a ${this.override.kind} bolus is running; wait for it to end or stop therapy first`);
    }
    if (rxAfter !== null && (p !== undefined || r !== undefined)) {
      if (drugAfter === null) hard('no-drug-in-reservoir', 'refill', 'the reservoir holds no drug; fill it before programming');
      else if (rxAfter.drugId !== drugAfter || rxAfter.concentrationMcgPerMl !== concAfter)
        hard(
          'prescription-concentration-mismatch',
          p === undefined ? 'refill' : 'prescription.concentrationMcgPerMl',
          `the prescription is for ${rxAfter.drugId} ${rxAfter.concentrationMcgPerMl} mcg/mL but the reservoir will hold ${drugAfter} ${concAfter} mcg/mL`,
        );
    }

    const b = changes.bolus;
    if (b !== undefined) {
      if (this.override !== null || this.patientBolus !== null) hard('bolus-in-progress', 'bolus', 'a bolus is already running');
      if (rxAfter === null) hard('no-prescription', 'bolus', 'a bolus needs a prescription');
      const catheter = d?.catheter ?? this.catheter;
      const primedAfter = d?.catheter !== undefined ? false : this.catheterPrimed;
      if (b.kind === 'clinician') {
        if (!Number.isSafeInteger(b.volumeNl) || b.volumeNl <= 0) hard('bolus-volume', 'bolus.volumeNl', `bolus volume must be a positive whole number of nL, got ${b.volumeNl}`);
        if (!Number.isSafeInteger(b.durationMs) || b.durationMs < LIMITS.minBolusDurationMs || b.durationMs > LIMITS.maxBolusDurationMs)
          hard('bolus-duration', 'bolus.durationMs', `bolus duration must be ${LIMITS.minBolusDurationMs} to ${LIMITS.maxBolusDurationMs} ms, got ${b.durationMs}`);
        else if (Number.isSafeInteger(b.volumeNl) && Math.ceil((b.volumeNl * MS_PER_DAY) / b.durationMs) > LIMITS.hardwareMaxRateNlPerDay)
          hard('bolus-too-fast', 'bolus.durationMs', `${b.volumeNl} nL in ${b.durationMs} ms is faster than the pump's ${LIMITS.hardwareMaxRateNlPerDay} nL/day`);
        if (Number.isSafeInteger(b.volumeNl) && b.volumeNl > reservoirAfter) hard('reservoir-insufficient', 'bolus.volumeNl', `bolus of ${b.volumeNl} nL is more than the ${reservoirAfter} nL in the reservoir`);
        if (drugAfter !== null && isDrugId(drugAfter) && Number.isSafeInteger(b.volumeNl)) {
          const lim = DRUG_LIBRARY[drugAfter].limits;
          const pg = amountPg(b.volumeNl, concAfter);
          if (pg > lim.hardMaxBolusPg) hard('bolus-above-hard-limit', 'bolus.volumeNl', `bolus of ${fmtDose(pg)} is above the ${drugAfter} hard limit of ${fmtDose(lim.hardMaxBolusPg)}`);
          else if (pg > lim.softMaxBolusPg) soft('bolus-above-soft-limit', 'bolus.volumeNl', `bolus of ${fmtDose(pg)} is above the ${drugAfter} soft limit of ${fmtDose(lim.softMaxBolusPg)}`);
        }
      } else if (b.kind === 'priming') {
        if (catheter === null) hard('no-catheter', 'bolus', 'a priming bolus needs the catheter model, length and volume');
        else if (primedAfter) hard('catheter-already-primed', 'bolus', 'the catheter is already primed; a priming bolus now would deliver its volume of drug to the patient');
        else if (catheter.volumeNl > reservoirAfter) hard('reservoir-insufficient', 'bolus', 'the reservoir holds less than the catheter volume');
      } else if (b.kind === 'bridge') {
        const changesConc = r !== undefined && (r.drugId !== this.drugId || r.concentrationMcgPerMl !== this.concentrationMcgPerMl);
        if (!changesConc) hard('bridge-needs-concentration-change', 'bolus', 'a bridge bolus follows a refill that changes the concentration');
        if (this.prescription === null || this.table === null) hard('bridge-needs-old-program', 'bolus', 'a bridge bolus runs the previous program; there is none');
        if (!this.catheterPrimed || d?.catheter !== undefined) hard('bridge-needs-primed-catheter', 'bolus', 'the catheter is not primed; prime it instead');
        if (this.prescription !== null && r !== undefined && this.prescription.drugId !== r.drugId) hard('bridge-drug-change', 'bolus', 'a bridge bolus keeps the old dose of the same drug; a drug change needs the catheter emptied and primed');
      } else {
        hard('bolus-kind', 'bolus.kind', 'bolus kind must be clinician, priming or bridge');
      }
    }

    const a = changes.alarms;
    if (a !== undefined) {
      if (a.lowReservoirNl !== undefined && (!Number.isSafeInteger(a.lowReservoirNl) || a.lowReservoirNl < LIMITS.minLowReservoirNl || a.lowReservoirNl > LIMITS.maxLowReservoirNl))
        hard('low-reservoir-alarm', 'alarms.lowReservoirNl', `low-reservoir alarm must be ${LIMITS.minLowReservoirNl} to ${LIMITS.maxLowReservoirNl} nL, got ${a.lowReservoirNl}`);
      if (a.refillReminderUtcMs !== undefined && a.refillReminderUtcMs !== null && (!Number.isSafeInteger(a.refillReminderUtcMs) || a.refillReminderUtcMs <= this.pumpUtcMs()))
        hard('refill-reminder', 'alarms.refillReminderUtcMs', 'the refill reminder must be a future pump time');
    }
    if (this.eosReached) hard('end-of-service', '', 'the pump has reached end of service');
    return issues;
  }

  private stage(id: string, changes: ChangeSet): CommandResult {
    if (typeof changes !== 'object' || changes === null) return this.no(id, 'invalid-command', 'changes must be an object');
    const issues = this.validateChanges(changes);
    const hardIssues = issues.filter((i) => i.severity === 'hard');
    if (hardIssues.length > 0) {
      return this.no(id, 'validation-failed', hardIssues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
    }
    const stagedId = this.nextStagedId++;
    const softCodes = issues.filter((i) => i.severity === 'soft').map((i) => i.code);
    this.staged = { stagedId, commandId: id, stagedAtMs: this.nowMs, changes: structuredClone(changes), softCodes };
    this.logEvent('program-staged', { stagedId, softLimits: softCodes.join(',') });
    return this.ok(id, { stagedId, softLimits: issues.filter((i) => i.severity === 'soft') });
  }

  private commit(id: string, stagedId: number, acknowledged: string[]): CommandResult {
    const st = this.staged;
    if (st === null) return this.no(id, 'nothing-staged', 'there is no staged program to commit');
    if (st.stagedId !== stagedId) return this.no(id, 'staged-id-mismatch', `staged program is #${st.stagedId}, not #${stagedId}`);
    const issues = this.validateChanges(st.changes);
    const hardIssues = issues.filter((i) => i.severity === 'hard');
    if (hardIssues.length > 0) {
      return this.no(id, 'stale-staged-program', `the pump changed since staging: ${hardIssues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
    }
    const softCodes = issues.filter((i) => i.severity === 'soft').map((i) => i.code);
    const missing = softCodes.filter((c) => !acknowledged.includes(c));
    if (missing.length > 0) {
      return this.no(id, 'soft-limits-not-acknowledged', `these soft limits need an explicit acknowledgement: ${missing.join(', ')}`, issues.filter((i) => missing.includes(i.code)));
    }
    // A change that leaves delivery as it is (same drug and concentration, no program, no bolus)
    // is never refused on the maximum: refusing a plain refill would only empty the pump.
    const r = st.changes.refill;
    const changesDelivery =
      st.changes.prescription !== undefined ||
      st.changes.bolus !== undefined ||
      st.changes.device?.catheter !== undefined ||
      (r !== undefined && (r.drugId !== this.drugId || r.concentrationMcgPerMl !== this.concentrationMcgPerMl)) ||
      this.safeStateReason !== null;
    const peak = changesDelivery ? this.projectPeakDose(st.changes) : { ok: true as const, peakPg: Number.NaN, guard: false };
    if (!peak.ok) return this.no(id, peak.reason, peak.message);

    for (const code of softCodes) this.logEvent('soft-limit-acknowledged', { code, stagedId });
    const detail = this.applyChanges(id, st.changes);
    if (peak.guard) this.startDoseGuard();
    this.staged = null;
    this.logEvent('program-committed', { stagedId, commandId: id });
    return this.ok(id, Number.isNaN(peak.peakPg) ? { ...detail, stagedId } : { ...detail, stagedId, projectedPeak24hPg: peak.peakPg });
  }

  /**
   * Runs a throw-away copy of the pump with the changes applied for 24 h plus the longest bolus,
   * then checks every 24 h window that includes the future: past delivery plus what the copy
   * delivered plus every patient bolus the prescription would still allow in that window.
   */
  private projectPeakDose(changes: ChangeSet): { ok: true; peakPg: number; guard: boolean } | { ok: false; reason: ReasonCode; message: string } {
    const rx = changes.prescription ?? this.prescription;
    if (rx === null) return { ok: true, peakPg: 0, guard: false };
    const peak = this.projectPeak(rx, (copy) => {
      copy.applyChanges('projection', changes);
    });
    if (Number.isNaN(peak.peakPg)) return { ok: false, reason: 'dose-history-incomplete', message: 'the pump cannot reconstruct the last 24 h of delivery; refusing to be safe' };
    if (peak.peakPg > peak.limitPg) {
      return {
        ok: false,
        reason: 'would-exceed-max-daily-dose',
        message: `with what was delivered in the last 24 h, this change could deliver ${fmtDose(peak.peakPg)} in a 24 h window, more than the maximum daily dose of ${fmtDose(rx.maxDailyDosePg)}`,
      };
    }
    return { ok: true, peakPg: peak.peakPg, guard: peak.peakPg > peak.guardAbovePg };
  }

  /** For changes the pump must accept (clock, offset): if the projection breaks the maximum, guard delivery stroke by stroke. */
  private guardIfRisky(apply: (copy: Pump) => void): boolean {
    if (this.prescription === null || this.projection) return false;
    const peak = this.projectPeak(this.prescription, apply);
    if (!(peak.peakPg > peak.guardAbovePg) && !Number.isNaN(peak.peakPg)) return false;
    this.startDoseGuard();
    return true;
  }

  /** Guard delivery for the projection horizon from now; the first allowance is decided now, on the changed pump. */
  private startDoseGuard(): void {
    this.doseGuardUntilMs = Math.max(this.doseGuardUntilMs, this.nowMs + PROJECTION_HORIZON_MS);
    this.guardBudgetStrokes = 0;
    this.guardHoldUntilMs = 0;
  }

  /**
   * Peak 24 h window (tip drug, plus patient boluses still allowed) over the projection horizon,
   * the limit it may reach, and the level above which delivery must be guarded stroke by stroke.
   * The peak is exact at each window end it checks, but between two of them the stroke count in
   * a window can rise by almost two strokes above the line through them (a stroke may enter at
   * the window's end before one leaves at its start, on both sides of the line). So a projection
   * within one stroke of the maximum does not prove the invariant (maximum + one stroke) holds
   * between the checked ends: such a change is accepted, and the guard holds it to the maximum.
   */
  private projectPeak(rx: Prescription, apply: (copy: Pump) => void): { peakPg: number; limitPg: number; guardAbovePg: number } {
    const copy = this.cloneForProjection();
    apply(copy);
    const horizon = this.nowMs + PROJECTION_HORIZON_MS;
    copy.advanceTo(horizon);
    const quantum = amountPg(LIMITS.strokeNl, Math.max(rx.concentrationMcgPerMl, this.concentrationMcgPerMl, this.slugConc));
    const pb = rx.patientBolus;
    const bolusPg = pb === null ? 0 : amountPg(pb.volumeNl, rx.concentrationMcgPerMl);
    const ends = new Set<number>([this.nowMs, horizon]);
    for (const t of copy.history.startsAfter(this.nowMs - MS_PER_DAY)) {
      if (t > this.nowMs) ends.add(t);
      if (t + MS_PER_DAY > this.nowMs && t + MS_PER_DAY <= horizon) ends.add(t + MS_PER_DAY);
    }
    for (const end of this.recentBolusEnds) {
      const e = (end === Number.POSITIVE_INFINITY ? this.nowMs : end) + MS_PER_DAY;
      if (e > this.nowMs && e <= horizon) ends.add(e);
    }
    let peak = 0;
    for (const e of ends) {
      const w = copy.history.trailing24hPg(e);
      if (Number.isNaN(w)) return { peakPg: Number.NaN, limitPg: rx.maxDailyDosePg + quantum, guardAbovePg: rx.maxDailyDosePg - quantum };
      // Boluses already in this window are in w; the count rule lets only the rest happen in it.
      const counted = this.recentBolusEnds.filter((end) => end > e - MS_PER_DAY).length;
      const future = pb === null ? 0 : Math.max(0, pb.maxPer24h - counted) * bolusPg;
      if (w + future > peak) peak = w + future;
    }
    return { peakPg: peak, limitPg: rx.maxDailyDosePg + quantum, guardAbovePg: rx.maxDailyDosePg - quantum };
  }

  private applyChanges(id: string, changes: ChangeSet): Record<string, unknown> {
    const detail: Record<string, unknown> = {};
    if (this.safeStateReason !== null) {
      // A reviewed, committed program is how the pump leaves its safe state.
      this.safeStateReason = null;
      this.resolveAlarm('safe-state');
    }
    const d = changes.device;
    if (d !== undefined) {
      if (d.patientId !== undefined) this.patientId = d.patientId;
      if (d.implantDateMs !== undefined) this.implantDateMs = d.implantDateMs;
      if (d.catheter !== undefined) {
        this.catheter = { ...d.catheter };
        this.catheterPrimed = false;
        // A new catheter holds no drug: the first catheter volume reaches the patient as nothing.
        this.slugNl = d.catheter.volumeNl;
        this.slugConc = 0;
        this.logEvent('catheter-changed', { model: d.catheter.model, lengthMm: d.catheter.lengthMm, volumeNl: d.catheter.volumeNl });
      }
    }
    const oldTable = this.table;
    const r = changes.refill;
    if (r !== undefined) {
      const expectedNl = this.reservoirNl;
      const discrepancyNl = r.withdrawnNl - expectedNl;
      const threshold = PUMP_MODELS[this.model].refillDiscrepancyNl;
      const flagged = Math.abs(discrepancyNl) > threshold;
      const concChanged = this.drugId !== null && (r.drugId !== this.drugId || r.concentrationMcgPerMl !== this.concentrationMcgPerMl);
      if (concChanged && this.catheterPrimed) {
        // The old drug still fills pump tubing and catheter and will reach the patient first.
        const dead = (this.catheter?.volumeNl ?? 0) + LIMITS.pumpInternalVolumeNl;
        this.slugConc = this.slugNl > 0 ? Math.max(this.slugConc, this.concentrationMcgPerMl) : this.concentrationMcgPerMl;
        this.slugNl = dead;
      }
      this.logEvent('refill', {
        expectedNl,
        withdrawnNl: r.withdrawnNl,
        filledNl: r.filledNl,
        drugId: r.drugId,
        concentrationMcgPerMl: r.concentrationMcgPerMl,
        discrepancyNl,
        flagged,
      });
      if (flagged) this.logEvent('refill-discrepancy', { expectedNl, withdrawnNl: r.withdrawnNl, thresholdNl: threshold });
      this.reservoirNl = r.filledNl;
      this.drugId = r.drugId;
      this.concentrationMcgPerMl = r.concentrationMcgPerMl;
      this.lastRefillMs = this.pumpUtcMs();
      this.emptyLatched = false;
      this.lowRaised = this.reservoirNl <= this.lowReservoirNl;
      // A fill that is already at or below the alarm volume must sound now: delivery will never
      // cross the threshold from above, so no later stroke would raise it.
      if (this.lowRaised) this.raiseAlarm('reservoir-low');
      else this.resolveAlarm('reservoir-low');
      this.resolveAlarm('reservoir-empty');
      detail['refill'] = { expectedNl, withdrawnNl: r.withdrawnNl, discrepancyNl, flagged, thresholdNl: threshold };
    }
    const a = changes.alarms;
    if (a !== undefined) {
      if (a.lowReservoirNl !== undefined) {
        this.lowReservoirNl = a.lowReservoirNl;
        this.lowRaised = this.reservoirNl <= this.lowReservoirNl;
        if (this.lowRaised) this.raiseAlarm('reservoir-low');
        else this.resolveAlarm('reservoir-low');
      }
      if (a.refillReminderUtcMs !== undefined) {
        this.refillReminderUtcMs = a.refillReminderUtcMs;
        this.resolveAlarm('refill-reminder');
      }
    }
    const p = changes.prescription;
    if (p !== undefined) {
      this.prescription = structuredClone(p);
      this.prescriptionView = deepFreeze(structuredClone(p));
      this.table = buildWeekTable(p.basal);
      this.therapyOn = true;
    }
    const b = changes.bolus;
    if (b !== undefined) {
      let o: Override;
      if (b.kind === 'clinician') {
        o = { kind: 'clinician', commandId: id, startedMs: this.nowMs, requestedNl: b.volumeNl, remainingCredit: b.volumeNl * MS_PER_DAY, rateNlPerDay: Math.ceil((b.volumeNl * MS_PER_DAY) / b.durationMs), bridgeTable: null };
      } else if (b.kind === 'priming') {
        const v = this.catheter?.volumeNl ?? 0;
        o = { kind: 'priming', commandId: id, startedMs: this.nowMs, requestedNl: v, remainingCredit: v * MS_PER_DAY, rateNlPerDay: LIMITS.hardwareMaxRateNlPerDay, bridgeTable: null };
      } else {
        const v = this.slugNl;
        o = { kind: 'bridge', commandId: id, startedMs: this.nowMs, requestedNl: v, remainingCredit: v * MS_PER_DAY, rateNlPerDay: 0, bridgeTable: oldTable };
      }
      this.override = o;
      this.therapyOn = true;
      this.logEvent('bolus-started', { kind: o.kind, commandId: id, volumeNl: o.requestedNl });
      detail['bolus'] = { kind: o.kind, volumeNl: o.requestedNl };
    }
    this.historyDirty = true;
    return detail;
  }

  private denyBolus(id: string, reason: ReasonCode, message: string, extra: Record<string, number | string | null> = {}): CommandResult {
    this.dayBolusesDenied += 1;
    this.logTherapy('patient-bolus-denied', { commandId: id, reason, ...extra });
    const res = this.no(id, reason, message);
    return Object.keys(extra).length === 0 || res.ok ? res : { ...res, detail: extra };
  }

  /**
   * The fullest 24 h window ending while the requested bolus runs: what stays in the window from
   * the past, plus the bolus and the basal delivered so far. Between the instants checked (the
   * bolus end, and each moment a past segment boundary leaves the window) every term is linear,
   * so the maximum is at one of them.
   */
  private peakWindowWithBolusPg(trailingPg: number, durationMs: number, bolusPg: number, limitPg: number, basalAheadPg: number): number {
    const now = this.nowMs;
    const conc = Math.max(this.concentrationMcgPerMl, this.slugConc);
    const local = this.localMs();
    // Cheap upper bound first (nothing leaves the window): almost every request is decided here.
    // Past it trailingPg is exact, but the windows below read the history themselves.
    const bound = trailingPg + bolusPg + basalAheadPg;
    if (bound <= limitPg) return bound;
    let peak = this.windowWithBolusPg(now + durationMs, local, conc, durationMs, bolusPg);
    for (const start of this.history.startsAfter(now - MS_PER_DAY)) {
      const e = start + MS_PER_DAY;
      if (e >= now + durationMs) break;
      peak = Math.max(peak, this.windowWithBolusPg(e, local, conc, durationMs, bolusPg));
    }
    return peak;
  }

  /** Drug the basal program delivers in the next `spanMs`, every bit of it counted (so at least what any window holds of it). */
  private basalAheadPg(spanMs: number): number {
    if (this.table === null) return 0;
    const basalNl = Math.ceil(this.basalCreditAhead(this.table, this.localMs(), spanMs) / MS_PER_DAY);
    return amountPg(basalNl, Math.max(this.concentrationMcgPerMl, this.slugConc));
  }

  /**
   * creditBetween(table, local, local + spanMs), taken from the step at `local` (stepAt's cache)
   * when the span ends inside it: then it is rate x span. While a week's credit is a safe integer, creditBetween's
   * prefix sums are exact integers too, so both give the same number; past that (a mean above
   * about 14.9 mL/day) it is always computed.
   */
  private basalCreditAhead(table: WeekTable, local: number, spanMs: number): number {
    if (table.weekCredit <= SAFE && spanMs >= 0) {
      // Bring the cached step up to `local` first: a command on a step boundary (the delivery loop
      // stops there with the step before still cached) would otherwise always take the long way.
      this.stepAt(table, local);
      if (local >= this.stepFromLocal && local + spanMs <= this.stepToLocal) return this.stepRate * spanMs;
    }
    return creditBetween(table, local, local + spanMs);
  }

  /**
   * The 24 h window ending at e (while the requested bolus runs, local is now's local time). A
   * method, not a closure inside peakWindowWithBolusPg: a closure there made every bolus request
   * allocate its context, even the many decided by the bound before it.
   */
  private windowWithBolusPg(e: number, local: number, conc: number, durationMs: number, bolusPg: number): number {
    const now = this.nowMs;
    const past = this.cumDeliveredPg - this.history.cumulativePgAt(e - MS_PER_DAY);
    const basalNl = this.table === null ? 0 : Math.ceil(creditBetween(this.table, local, local + (e - now)) / MS_PER_DAY);
    const bolusPart = Math.ceil((bolusPg * (e - now)) / durationMs);
    return past + bolusPart + amountPg(basalNl, conc);
  }

  private requestPatientBolus(id: string): CommandResult {
    const rx = this.prescription;
    const susp = this.suspendReason();
    if (rx === null || rx.patientBolus === null) return this.denyBolus(id, 'patient-bolus-not-enabled', 'patient boluses are not enabled for this prescription');
    if (susp === 'stopped') return this.denyBolus(id, 'therapy-stopped', 'therapy is stopped');
    if (susp !== null) return this.denyBolus(id, 'therapy-suspended', `delivery is suspended (${susp})`);
    if (this.override !== null) return this.denyBolus(id, 'clinician-bolus-active', `a ${this.override.kind} bolus is running`);
    const pb = rx.patientBolus;
    const now = this.nowMs;
    if (this.lastPatientBolusStartMs !== null && now - this.lastPatientBolusStartMs < pb.lockoutMs) {
      const next = this.lastPatientBolusStartMs + pb.lockoutMs;
      return this.denyBolus(id, 'lockout', `the lockout runs until ${formatLocal(next + this.clockCorrectionMs, this.utcOffsetMs)}`, { nextAllowedAtMs: next });
    }
    if (this.patientBolus !== null) {
      // The lockout is never shorter than a bolus, so only a bolus paused by a suspension (a motor
      // stall) is still running here. It keeps its place: a second one would overwrite what it has
      // still to deliver and its 24 h count entry.
      const next = this.patientBolusEndMs(this.patientBolus);
      return this.denyBolus(id, 'bolus-in-progress', `the dose started ${formatLocal(this.patientBolus.startedMs + this.clockCorrectionMs, this.utcOffsetMs)} is still being given`, { nextAllowedAtMs: next });
    }
    const ends = this.recentBolusEnds;
    const cutoff = now - MS_PER_DAY;
    // Ends are kept in time order, so the expired ones lead: shift() drops them in place instead
    // of rewriting the array and setting its length (a slow generic path) on every request.
    while (ends.length > 0 && !((ends[0] as number) > cutoff)) ends.shift();
    let stale = false;
    for (let i = 0; i < ends.length; i++) if (!((ends[i] as number) > cutoff)) stale = true;
    if (stale) {
      // Never expected; the plain filter keeps the result right if the order was ever broken.
      let kept = 0;
      for (const end of ends) if (end > cutoff) ends[kept++] = end;
      ends.length = kept;
    }
    if (this.recentBolusEnds.length >= pb.maxPer24h) {
      const next = Math.min(...this.recentBolusEnds) + MS_PER_DAY;
      return this.denyBolus(id, 'count-24h-reached', `all ${pb.maxPer24h} boluses allowed in 24 h have been used`, { nextAllowedAtMs: next });
    }
    if (this.reservoirNl < pb.volumeNl) return this.denyBolus(id, 'reservoir-insufficient', 'the reservoir holds less than one bolus');
    const bolusPg = amountPg(pb.volumeNl, this.concentrationMcgPerMl);
    // The exact trailing 24 h only when the bolus might not fit: below what leaves room for the
    // bolus and all the basal ahead of it, the history's running bound (never less than the exact
    // figure, and kept without a lookup) is enough, and peakWindowWithBolusPg grants on it.
    const basalAheadPg = this.basalAheadPg(pb.durationMs);
    const trailing = this.history.trailingNowPgIfOver(now, this.cumDeliveredPg, rx.maxDailyDosePg - bolusPg - basalAheadPg);
    if (Number.isNaN(trailing)) return this.denyBolus(id, 'dose-history-incomplete', 'the pump cannot reconstruct the last 24 h of delivery');
    const projected = this.peakWindowWithBolusPg(trailing, pb.durationMs, bolusPg, rx.maxDailyDosePg, basalAheadPg);
    if (projected > rx.maxDailyDosePg) {
      const next = this.nextBolusAllowedMs();
      const when = next === null ? 'not within the next 24 h if the program runs on unchanged' : `from ${formatLocal(next + this.clockCorrectionMs, this.utcOffsetMs)} if the program runs on unchanged`;
      return this.denyBolus(id, 'max-daily-dose', `this bolus would bring the last 24 h to ${fmtDose(projected)}, over the maximum daily dose of ${fmtDose(rx.maxDailyDosePg)}; it would fit ${when}`, { nextAllowedAtMs: next });
    }
    this.patientBolus = { commandId: id, startedMs: now, requestedNl: pb.volumeNl, remainingCredit: pb.volumeNl * MS_PER_DAY, rateNlPerDay: Math.ceil((pb.volumeNl * MS_PER_DAY) / pb.durationMs) };
    this.lastPatientBolusStartMs = now;
    this.recentBolusEnds.push(Number.POSITIVE_INFINITY);
    this.dayBolusesDelivered += 1;
    this.historyDirty = true;
    this.logTherapyFields('patient-bolus-started', BOLUS_STARTED_DATA, id, pb.volumeNl, bolusPg, pb.durationMs);
    return this.ok(id, { volumeNl: pb.volumeNl, amountPg: bolusPg, startsAtMs: now, endsByMs: now + pb.durationMs, nextAllowedAtMs: now + pb.lockoutMs });
  }

  /** When a running patient bolus ends if delivery is not suspended again (the same instant nextEventMs steps to). */
  private patientBolusEndMs(pb: ActivePatientBolus): number {
    return this.nowMs + Math.max(1, Math.ceil(pb.remainingCredit / pb.rateNlPerDay));
  }

  /**
   * After a max-daily-dose denial: the first whole minute within 24 h at which the same request
   * would be granted if the program runs on unchanged, or null. A throw-away copy is advanced
   * minute by minute and asked, so the answer is exactly what this pump would then say; the scan
   * (at most 1,440 asks) runs only on this denial, never on the delivery path.
   */
  private nextBolusAllowedMs(): number | null {
    if (this.projection) return null;
    const copy = this.cloneForProjection();
    const last = this.nowMs + MS_PER_DAY;
    for (let t = (Math.floor(this.nowMs / MS_PER_MINUTE) + 1) * MS_PER_MINUTE; t <= last; t += MS_PER_MINUTE) {
      if (copy.execute(t, `next-allowed-probe-${t}`, { type: 'patient-bolus' }).ok) return t;
    }
    return null;
  }

  // ---------------------------------------------------------------- logs and outputs

  private logEvent(type: EventType, data: Record<string, number | string | boolean | null>): void {
    if (this.projection) return;
    this.events.push(this.pumpUtcMs(), this.utcOffsetMs, type, data);
  }
  private logTherapy(type: TherapyType, data: Record<string, number | string | boolean | null>): void {
    if (this.projection) return;
    this.therapyLog.push(this.pumpUtcMs(), this.utcOffsetMs, type, data);
  }
  /** logTherapy of a record with `layout`'s keys, given as values in their order (no data object). */
  private logTherapyFields(type: TherapyType, layout: LogLayout, a: LogValue, b: LogValue, c: LogValue, d: LogValue, e: LogValue = null): void {
    if (this.projection) return;
    this.therapyLog.pushFields(this.pumpUtcMs(), this.utcOffsetMs, type, layout, a, b, c, d, e);
  }
  private emit(o: PumpOutput): void {
    if (this.projection) return;
    if (this.outputs.length >= 10_000) {
      this.outputs.shift();
      this.outputsDropped += 1;
    }
    this.outputs.push(o);
  }
  /** Outputs (tones, alarms, bolus ends) since the last call. */
  drainOutputs(): PumpOutput[] {
    const out = this.outputs;
    this.outputs = [];
    return out;
  }
  /**
   * A fault of the hardware itself (hardware-faults.ts), at its time: not a radio command, so no
   * credential can cause one. A stall stops the rotor like a magnetic field does, logged with its
   * cause; a leakage drains the battery faster from now on.
   */
  injectHardwareFault(atMs: number, fault: HardwareFault): { ok: true } | { ok: false; message: string } {
    const problem = hardwareFaultProblem(fault);
    if (problem !== null) return { ok: false, message: problem };
    if (!Number.isSafeInteger(atMs) || atMs < this.nowMs) return { ok: false, message: `fault time ${atMs} is before pump time ${this.nowMs}` };
    this.advanceTo(atMs);
    if (fault.kind === 'motor-stall') {
      const wasStalled = this.stalled;
      // The firmware learns of a stalled rotor when the next stroke fails to turn it; a pump that
      // is not pumping has no stroke to try and is told at once by its motor check.
      const rate = this.commandedRateNlPerDay();
      if (!wasStalled) {
        this.stallStartedMs = this.nowMs;
        this.stallDetectAtMs = rate > 0 ? this.nowMs + Math.max(1, Math.ceil((STROKE_CREDIT - this.credit) / rate)) : this.nowMs;
      }
      this.stalled = true;
      const until = fault.recoveryDelayMs === null ? Number.POSITIVE_INFINITY : this.nowMs + fault.recoveryDelayMs;
      // A stall never shortens one already running (a broken rotor stays broken).
      this.stallRecoverAtMs = Math.max(wasStalled ? this.stallRecoverAtMs : 0, until);
      this.historyDirty = true;
    } else {
      this.leakage = changeLeakage(this.leakage, this.nowMs, fault.extraUjPerDay);
    }
    this.processDue();
    return { ok: true };
  }

  /** Start-up found memory it cannot trust: safe state and the critical memory alarm. */
  memoryFault(atMs: number, detail: string): void {
    this.advanceTo(atMs);
    this.logEvent('self-test', { result: 'failed', detail });
    this.raiseAlarm('memory-error');
    this.enterSafeState(`memory error: ${detail}`);
  }

  logSelfTest(result: string, settingsSeq: number, corruptLogSlots: number): void {
    this.logEvent('self-test', { result, settingsSeq, corruptLogSlots });
    if (result === 'degraded') this.raiseAlarm('memory-error');
  }

  /** Log a security event on behalf of the radio shell (failed authentication, replay, bad frame). */
  logSecurityEvent(atMs: number, kind: string, detail: string): void {
    this.advanceTo(atMs);
    this.logEvent('security', { kind, detail });
  }

  // ---------------------------------------------------------------- reading

  /** Drug at the tip in the last 24 h (exact), or NaN if the pump's history cannot reach back that far. */
  trailing24hPg(): number {
    return this.history.trailingNowPg(this.nowMs, this.cumDeliveredPg);
  }

  /** The trailing 24 h total, or, if the history cannot say, the most it could be (the prescribed maximum). */
  private trailingUpperBoundPg(): number {
    const t = this.history.trailingNowPg(this.nowMs, this.cumDeliveredPg);
    return Number.isNaN(t) ? (this.prescription?.maxDailyDosePg ?? 0) : t;
  }

  /**
   * Live readings for a shell that follows delivery at every event (a virtual patient, a cohort):
   * status() builds a whole report, too dear to call that often. Same values as status().
   */
  get deliveredTotalNl(): number {
    return this.cumDeliveredNl;
  }
  get reservoirDrugId(): DrugId | null {
    return this.drugId;
  }
  get reservoirConcentrationMcgPerMl(): number {
    return this.concentrationMcgPerMl;
  }

  status(): PumpStatus {
    const rx = this.prescription;
    const now = this.nowMs;
    const used = this.recentBolusEnds.filter((e) => e > now - MS_PER_DAY).length;
    let nextAllowed: number | null = null;
    if (rx?.patientBolus != null) {
      const afterLockout = this.lastPatientBolusStartMs === null ? now : this.lastPatientBolusStartMs + rx.patientBolus.lockoutMs;
      const afterCount = used >= rx.patientBolus.maxPer24h ? Math.min(...this.recentBolusEnds.filter((e) => e > now - MS_PER_DAY)) + MS_PER_DAY : now;
      const afterBolus = this.patientBolus === null ? now : this.patientBolusEndMs(this.patientBolus);
      nextAllowed = Math.max(now, afterLockout, afterCount, afterBolus);
    }
    const eri = this.projectedEriMs();
    const bolus =
      this.override !== null
        ? { kind: this.override.kind, commandId: this.override.commandId, requestedNl: this.override.requestedNl, startedMs: this.override.startedMs }
        : this.patientBolus !== null
          ? { kind: 'patient' as const, commandId: this.patientBolus.commandId, requestedNl: this.patientBolus.requestedNl, startedMs: this.patientBolus.startedMs }
          : null;
    const susp = this.suspendReason();
    return {
      serial: this.serial,
      model: this.model,
      nowMs: now,
      pumpUtcMs: this.pumpUtcMs(),
      utcOffsetMs: this.utcOffsetMs,
      localTime: formatLocal(this.pumpUtcMs(), this.utcOffsetMs),
      therapy: {
        running: susp === null,
        suspendedBy: susp,
        currentRateNlPerDay: this.commandedRateNlPerDay(),
        mode: susp !== null ? 'stopped' : this.override !== null ? `${this.override.kind}-bolus` : rx?.basal.kind ?? 'stopped',
      },
      prescription: this.prescriptionView,
      device: { patientId: this.patientId, implantDateMs: this.implantDateMs, catheter: this.catheter === null ? null : { ...this.catheter }, catheterPrimed: this.catheterPrimed },
      reservoir: {
        volumeNl: this.reservoirNl,
        capacityNl: PUMP_MODELS[this.model].reservoirCapacityNl,
        drugId: this.drugId,
        concentrationMcgPerMl: this.concentrationMcgPerMl,
        lowAlarmNl: this.lowReservoirNl,
        lastRefillMs: this.lastRefillMs,
      },
      delivered: {
        totalNl: this.cumDeliveredNl,
        totalPg: this.cumDeliveredPg,
        strokes: this.strokes,
        undeliveredNl: this.undeliveredNl,
        todayNl: this.dayNl,
        todayPg: this.dayPg,
        trailing24hPg: Number.isNaN(this.trailing24hPg()) ? null : this.trailing24hPg(),
      },
      bolus,
      patientBolus: { enabled: rx?.patientBolus != null, nextAllowedAtMs: nextAllowed, usedIn24h: used, allowedPer24h: rx?.patientBolus?.maxPer24h ?? 0 },
      battery: {
        remainingUj: this.batteryRemainingUj(),
        capacityUj: BATTERY.capacityUj,
        eriAtMs: this.eriAtMs,
        endOfServiceAtMs: this.eosAtMs,
        replaceByMs: eri + BATTERY.eriToEosMs,
      },
      alarms: [...this.alarms.values()].map((a) => ({ code: a.code, critical: CRITICAL_ALARMS.has(a.code), raisedAtMs: a.raisedAtMs, acknowledged: a.acknowledged })),
      refillReminderUtcMs: this.refillReminderUtcMs,
      staged: this.staged === null ? null : { stagedId: this.staged.stagedId, changes: structuredClone(this.staged.changes), softCodes: [...this.staged.softCodes] },
      awaitingInterrogation: this.awaitingInterrogation,
      log: { eventNextSeq: this.events.nextSequence, therapyNextSeq: this.therapyLog.nextSequence },
    };
  }

  /**
   * Dates the clinic plans by, from the program as it is now: the low-reservoir alarm, empty, and
   * the recommended refill (the reservoir reaches `refillAtNl`, 3.0 mL by default, if every allowed
   * patient bolus is used each day; capped by the drug's stability). Null when never reached.
   */
  forecast(refillAtNl = 3 * NL_PER_ML): { lowReservoirAtMs: number | null; emptyAtMs: number | null; nextRefillByMs: number | null; eriAtMs: number; replaceByMs: number } {
    const eri = this.projectedEriMs();
    const base = { eriAtMs: eri, replaceByMs: eri + BATTERY.eriToEosMs };
    const rx = this.prescription;
    if (rx === null || this.table === null || this.suspendReason() !== null) return { lowReservoirAtMs: null, emptyAtMs: null, nextRefillByMs: null, ...base };
    const allowanceNlPerDay = rx.patientBolus === null ? 0 : rx.patientBolus.maxPer24h * rx.patientBolus.volumeNl;
    const when = (targetNl: number, extraNlPerDay: number): number | null => {
      if (targetNl <= 0) return this.nowMs;
      let used = 0;
      let local = this.localMs();
      for (let day = 0; day < 3 * 366; day++) {
        const dayNl = creditBetween(this.table as WeekTable, local, local + MS_PER_DAY) / MS_PER_DAY + extraNlPerDay;
        if (used + dayNl >= targetNl) return this.nowMs + day * MS_PER_DAY + Math.ceil(((targetNl - used) / dayNl) * MS_PER_DAY);
        used += dayNl;
        local += MS_PER_DAY;
      }
      return null;
    };
    const stabilityCap = this.lastRefillMs === null || this.drugId === null ? Number.POSITIVE_INFINITY : this.lastRefillMs - this.clockCorrectionMs + DRUG_LIBRARY[this.drugId].stabilityDays * MS_PER_DAY;
    const refill = when(this.reservoirNl - refillAtNl, allowanceNlPerDay);
    return {
      lowReservoirAtMs: this.lowRaised ? this.nowMs : when(this.reservoirNl - this.lowReservoirNl, 0),
      emptyAtMs: when(this.reservoirNl - LIMITS.strokeNl + 1, 0),
      nextRefillByMs: refill === null ? (Number.isFinite(stabilityCap) ? stabilityCap : null) : Math.min(refill, stabilityCap),
      ...base,
    };
  }

  // ---------------------------------------------------------------- copies

  /** A copy that shares nothing mutable with this pump, keeps no logs and emits nothing. */
  private cloneForProjection(): Pump {
    // Built by the constructor, then overwritten field by field, so the copy has the same shape
    // (hidden class) as every other pump and the engine's inline caches stay monomorphic.
    const c = new Pump(this.serial, this.model, this.manufacturedAtMs, this.utcOffsetMs, true);
    Object.assign(c, this);
    const m = c as unknown as Record<string, unknown>;
    m['projection'] = true;
    m['alarms'] = new Map([...this.alarms].map(([k, v]) => [k, { ...v }]));
    m['override'] = this.override === null ? null : { ...this.override };
    m['patientBolus'] = this.patientBolus === null ? null : { ...this.patientBolus };
    m['recentBolusEnds'] = [...this.recentBolusEnds];
    m['history'] = this.history.clone();
    m['events'] = new RingLog<EventType>(1);
    m['therapyLog'] = new RingLog<TherapyType>(1);
    m['outputs'] = [];
    m['commandResults'] = new Map();
    m['olderCommandResults'] = new Map();
    return c;
  }

  /** Plain, JSON-safe copy of the whole state. */
  snapshot(opts: { withLogs?: boolean; historySinceMs?: number } = {}): PumpSnapshot {
    const withLogs = opts.withLogs ?? true;
    const { events, therapyLog, history, alarms, outputs, override, commandResults, olderCommandResults, table, prescriptionView, ...rest } = this as unknown as Record<string, unknown> & {
      events: RingLog<EventType>;
      therapyLog: RingLog<TherapyType>;
      history: DoseHistory;
      alarms: Map<AlarmCode, ActiveAlarm>;
      outputs: PumpOutput[];
      override: Override | null;
      commandResults: Map<string, CommandResult>;
      olderCommandResults: Map<string, CommandResult>;
      table: WeekTable | null;
      prescriptionView: Prescription | null;
    };
    void outputs;
    void table;
    void prescriptionView;
    const o = override === null ? null : { ...override, bridgeTable: null, bridgeBasal: override.bridgeTable === null ? null : true };
    return structuredClone({
      version: 1 as const,
      fields: jsonSafe(rest),
      alarms: [...alarms.values()],
      override: o,
      bridgeTable: override?.bridgeTable ? tableToJson(override.bridgeTable) : null,
      // The latest LIMITS.commandMemory, oldest first (what is promised, and a bounded size in the
      // settings bank); restoring replays them through remember().
      commandResults: [...olderCommandResults.entries(), ...commandResults.entries()].slice(-LIMITS.commandMemory),
      history: history.toJSON(opts.historySinceMs),
      events: withLogs ? { records: events.all(), nextSeq: events.nextSequence } : { records: [], nextSeq: events.nextSequence },
      therapy: withLogs ? { records: therapyLog.all(), nextSeq: therapyLog.nextSequence } : { records: [], nextSeq: therapyLog.nextSequence },
    });
  }

  static fromSnapshot(s: PumpSnapshot): Pump {
    if (s.version !== 1) throw new RangeError(`unsupported pump snapshot version ${String(s.version)}`);
    const f = restoreSpecial(s.fields) as Record<string, unknown>;
    // Snapshots written before the two-generation command memory kept its ring of ids here.
    delete f['commandIds'];
    delete f['commandCount'];
    const pump = new Pump(f['serial'] as string, f['model'] as PumpModelId, f['manufacturedAtMs'] as number, f['utcOffsetMs'] as number, true);
    Object.assign(pump, f);
    pump.alarms = new Map(s.alarms.map((a) => [a.code, { ...a }]));
    pump.override = s.override === null ? null : { ...(s.override as unknown as Override), bridgeTable: s.bridgeTable === null ? null : tableFromJson(s.bridgeTable) };
    pump.table = pump.prescription === null ? null : buildWeekTable(pump.prescription.basal);
    pump.prescriptionView = pump.prescription === null ? null : deepFreeze(structuredClone(pump.prescription));
    pump.commandResults = new Map();
    pump.olderCommandResults = new Map();
    for (const [id, result] of s.commandResults) pump.remember(id, result);
    pump.history = DoseHistory.fromJSON(s.history);
    pump.events = RingLog.fromRecords(LIMITS.eventLogCapacity, s.events.records as LogRecord<EventType>[], s.events.nextSeq);
    pump.therapyLog = RingLog.fromRecords(LIMITS.therapyLogCapacity, s.therapy.records as LogRecord<TherapyType>[], s.therapy.nextSeq);
    pump.outputs = [];
    return pump;
  }

  /**
   * Start-up when the settings cannot be trusted but the logs can: a pump with no program and no
   * drug that keeps the recovered logs and their numbering, so the history before the fault is
   * still there to read and no sequence number is issued twice (DOMAIN 4.8: logs survive resets).
   * The local offset is the last one the event log recorded; the caller raises the memory fault.
   */
  static withRecoveredLogs(
    identity: { serial: string; model: PumpModelId },
    atMs: number,
    events: { records: readonly LogRecord<EventType>[]; nextSeq: number },
    therapy: { records: readonly LogRecord<TherapyType>[]; nextSeq: number },
  ): Pump {
    if (!(identity.model in PUMP_MODELS)) throw new RangeError(`unknown pump model "${identity.model}"`);
    const last = [...events.records, ...therapy.records].reduce((m, r) => Math.max(m, r.utcMs), Number.NEGATIVE_INFINITY);
    // Pump time never runs backwards past what the log already holds.
    const startMs = Math.max(atMs, Number.isFinite(last) ? last : atMs);
    const offset = events.records.at(-1)?.utcOffsetMs ?? 0;
    checkOffset(offset);
    const pump = new Pump(identity.serial, identity.model, startMs, offset);
    pump.events = RingLog.fromRecords(LIMITS.eventLogCapacity, events.records, events.nextSeq);
    pump.therapyLog = RingLog.fromRecords(LIMITS.therapyLogCapacity, therapy.records, therapy.nextSeq);
    return pump;
  }

  /** After a power loss: resume from the last saved state at the time power came back. */
  static restoreAfterPowerLoss(s: PumpSnapshot, atMs: number, why: 'power-reset' | 'low-battery-reset'): Pump {
    const pump = Pump.fromSnapshot(s);
    if (atMs < pump.nowMs) throw new RangeError(`restore time ${atMs} is before the saved state (${pump.nowMs})`);
    const lostMs = atMs - pump.nowMs;
    // While unpowered nothing was delivered; the pump rejoins real time where power came back.
    pump.nowMs = atMs;
    pump.historyDirty = true;
    pump.logEvent('power-restored', { why, offMs: lostMs });
    if (why === 'low-battery-reset') pump.raiseAlarm('low-battery-reset');
    pump.processDue();
    return pump;
  }
}

export interface PumpSnapshot {
  version: 1;
  fields: Record<string, unknown>;
  alarms: ActiveAlarm[];
  override: Record<string, unknown> | null;
  bridgeTable: { starts: number[]; rates: number[] } | null;
  commandResults: [string, CommandResult][];
  history: DoseHistoryJson;
  events: { records: LogRecord[]; nextSeq: number };
  therapy: { records: LogRecord[]; nextSeq: number };
}

function tableToJson(t: WeekTable): { starts: number[]; rates: number[] } {
  return { starts: Array.from(t.startsMs), rates: Array.from(t.ratesNlPerDay) };
}
function tableFromJson(j: { starts: number[]; rates: number[] }): WeekTable {
  // Rebuild through a flex-shaped description so prefix sums are computed one way only.
  const t = buildWeekTable({ kind: 'continuous', rateNlPerDay: 0 });
  const starts = Float64Array.from(j.starts);
  const rates = Float64Array.from(j.rates);
  const prefix = new Float64Array(starts.length);
  for (let i = 1; i < starts.length; i++) prefix[i] = (prefix[i - 1] ?? 0) + (rates[i - 1] ?? 0) * ((starts[i] ?? 0) - (starts[i - 1] ?? 0));
  const last = starts.length - 1;
  const weekCredit = (prefix[last] ?? 0) + (rates[last] ?? 0) * (7 * MS_PER_DAY - (starts[last] ?? 0));
  return { ...t, startsMs: starts, ratesNlPerDay: rates, prefixCredit: prefix, weekCredit, constant: starts.length === 1 };
}

/** Infinity does not survive JSON; mark it. */
function jsonSafe(x: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(x)) {
    if (typeof v === 'function') continue;
    if (v === Number.POSITIVE_INFINITY) out[k] = { $inf: 1 };
    else if (Array.isArray(v)) out[k] = v.map((e) => (e === Number.POSITIVE_INFINITY ? { $inf: 1 } : e));
    else out[k] = v;
  }
  return out;
}
function restoreSpecial(x: Record<string, unknown>): Record<string, unknown> {
  const isInf = (v: unknown) => typeof v === 'object' && v !== null && (v as { $inf?: number }).$inf === 1;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(x)) {
    if (isInf(v)) out[k] = Number.POSITIVE_INFINITY;
    else if (Array.isArray(v)) out[k] = v.map((e) => (isInf(e) ? Number.POSITIVE_INFINITY : e));
    else out[k] = v;
  }
  return out;
}

function deepFreeze<T>(x: T): T {
  if (typeof x === 'object' && x !== null) {
    for (const v of Object.values(x)) deepFreeze(v);
    Object.freeze(x);
  }
  return x;
}

function checkOffset(offsetMs: number): void {
  if (!Number.isSafeInteger(offsetMs) || offsetMs < LIMITS.minUtcOffsetMs || offsetMs > LIMITS.maxUtcOffsetMs || offsetMs % (15 * MS_PER_MINUTE) !== 0) {
    throw new RangeError(`UTC offset must be a whole number of quarter hours from -12 h to +14 h, got ${offsetMs} ms`);
  }
}
