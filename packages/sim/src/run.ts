/**
 * The driver: runs a validated scenario through the pump core. Time moves only forward, from one
 * step (an event, a series request, power coming back) or sample to the next, with
 * `pump.advanceTo`; the core jumps between its own events, so the cost of a run is proportional
 * to what happens in it, not to its length. Everything the pump reports is collected after every
 * interaction, before its bounded buffers could overwrite anything.
 */
import { MS_PER_DAY, Pump, formatLocal, type AlarmCode, type ChangeSet, type CommandResult, type DrugId, type PumpCommand, type PumpSnapshot } from '@thecal/pump-core';
import { AlarmBook } from './alarm-book.ts';
import { BolusBook } from './bolus-book.ts';
import { buildReport } from './build-report.ts';
import { DayBook, UNPOWERED_REASON } from './day-book.ts';
import { SeededRandom } from './prng.ts';
import type { CommandRowT, Report, SampleT } from './report-schema.ts';
import { commandIdBase, type ChangeSetTemplate, type Scenario, type ScenarioEvent } from './scenario.ts';
import { isoOf } from './time-syntax.ts';

export interface RunOptions {
  /** Called as simulated time passes (at most about once per simulated day, and at the end). */
  onProgress?: (simulatedMs: number, totalMs: number) => void;
}

/** Longest single advance: keeps the pump's output buffer and therapy log far from overflowing between reads. */
const MAX_ADVANCE_MS = MS_PER_DAY;

interface Step {
  atMs: number;
  /** Position of the event in time order; series requests and power restores share their event's. */
  order: number;
  sub: number;
  kind: 'event' | 'request' | 'restore';
  event: ScenarioEvent;
}

export function runScenario(scenario: Scenario, options: RunOptions = {}): Report {
  return new Simulation(scenario, options).run();
}

/** Steps in time order; at one instant, power comes back first, then events in their order. */
function stepsOf(scenario: Scenario): Step[] {
  const steps: Step[] = [];
  scenario.events.forEach((event, order) => {
    if (event.type === 'patient-bolus-series') {
      event.requestTimesMs.forEach((atMs, i) => steps.push({ atMs, order, sub: i + 1, kind: 'request', event }));
      return;
    }
    steps.push({ atMs: event.atMs, order, sub: 0, kind: 'event', event });
    if (event.type === 'power-reset' && event.offDurationMs > 0) steps.push({ atMs: event.atMs + event.offDurationMs, order, sub: 1, kind: 'restore', event });
  });
  const rank = (s: Step) => (s.kind === 'restore' ? 0 : 1);
  return steps.sort((a, b) => a.atMs - b.atMs || rank(a) - rank(b) || a.order - b.order || a.sub - b.sub);
}

class Simulation {
  private pump: Pump;
  private powered = true;
  private snapshotAtPowerLoss: PumpSnapshot | null = null;
  /** Power resets that actually happened (a reset while unpowered is refused and has no restore). */
  private readonly pendingRestores = new Set<ScenarioEvent>();
  private nowMs: number;
  private drugId: DrugId | null = null;
  private therapySeq = 1;
  private eventSeq = 1;
  /** Pump clock minus true time, changed only by set-clock: maps log times back to true time. */
  private clockCorrectionMs = 0;
  private lastProgressMs: number;
  private readonly random: SeededRandom;
  private readonly days: DayBook;
  private readonly alarms = new AlarmBook();
  private readonly boluses = new BolusBook();
  private readonly commands: CommandRowT[] = [];
  private readonly samples: SampleT[] = [];
  private readonly counters = { pumpCommands: 0, advances: 0, powerResets: 0 };

  constructor(
    private readonly scenario: Scenario,
    private readonly options: RunOptions,
  ) {
    this.pump = Pump.manufacture({ serial: scenario.serial, model: scenario.model, atMs: scenario.startMs, utcOffsetMs: scenario.utcOffsetMs });
    this.nowMs = scenario.startMs;
    this.lastProgressMs = scenario.startMs;
    this.random = new SeededRandom(scenario.seed);
    const startLocalMs = scenario.startMs + scenario.utcOffsetMs;
    this.days = new DayBook(((startLocalMs % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY !== 0);
  }

  run(): Report {
    const { startMs, untilMs, sampleEveryMs } = this.scenario;
    this.collect();
    this.sample('start', null);
    let nextSampleMs = startMs + sampleEveryMs;
    const takeSamplesBefore = (t: number) => {
      while (nextSampleMs < t && nextSampleMs < untilMs) {
        this.advance(nextSampleMs);
        this.sample('interval', null);
        nextSampleMs += sampleEveryMs;
      }
    };
    for (const step of stepsOf(this.scenario)) {
      takeSamplesBefore(step.atMs);
      this.advance(step.atMs);
      this.runStep(step);
      if (step.kind === 'event') this.sample('event', step.event.index);
    }
    takeSamplesBefore(untilMs);
    this.advance(untilMs);
    this.sample('end', null);
    this.options.onProgress?.(untilMs - startMs, untilMs - startMs);

    const status = this.pump.status();
    this.alarms.reconcile(new Set(status.alarms.map((a) => a.code)), untilMs, 'no-longer-listed');
    this.days.finish(
      { localDate: status.localTime.slice(0, 10), deliveredNl: status.delivered.todayNl, deliveredPg: status.delivered.todayPg },
      this.drugId,
      status.localTime.slice(11, 23) === '00:00:00.000',
    );
    return buildReport({
      scenario: this.scenario,
      pump: this.pump,
      status,
      powered: this.powered,
      drugId: this.drugId,
      days: this.days.rows,
      boluses: this.boluses.rows,
      commands: this.commands,
      alarms: this.alarms.rows,
      samples: this.samples,
      counters: this.counters,
    });
  }

  // ------------------------------------------------------------------ time

  private advance(toMs: number): void {
    while (this.nowMs < toMs) {
      const next = Math.min(toMs, this.nowMs + MAX_ADVANCE_MS);
      if (this.powered) {
        this.pump.advanceTo(next);
        this.counters.advances += 1;
        this.collect();
      }
      this.nowMs = next;
      if (this.options.onProgress !== undefined && this.nowMs - this.lastProgressMs >= MS_PER_DAY) {
        this.lastProgressMs = this.nowMs;
        this.options.onProgress(this.nowMs - this.scenario.startMs, this.scenario.untilMs - this.scenario.startMs);
      }
    }
  }

  /** Read everything the pump has reported since the last look. */
  private collect(): void {
    for (const o of this.pump.drainOutputs()) {
      this.alarms.onOutput(o);
      this.boluses.onOutput(o);
    }
    const records = this.pump.therapyLog.readFrom(this.therapySeq);
    const first = records[0];
    if (first !== undefined && first.seq !== this.therapySeq) {
      throw new Error(`therapy log records ${this.therapySeq}..${first.seq - 1} were overwritten before the simulator read them`);
    }
    for (const r of records) {
      this.days.onTherapyRecord(r, this.drugId);
      this.therapySeq = r.seq + 1;
    }
    for (const r of this.pump.events.readFrom(this.eventSeq)) {
      this.alarms.onEventRecord(r, r.utcMs - this.clockCorrectionMs);
      this.eventSeq = r.seq + 1;
    }
  }

  private sample(cause: SampleT['cause'], eventIndex: number | null): void {
    const s = this.pump.status();
    this.samples.push({
      at: isoOf(this.nowMs),
      atMs: this.nowMs,
      cause,
      eventIndex,
      powered: this.powered,
      reservoirNl: s.reservoir.volumeNl,
      reservoirMl: s.reservoir.volumeNl / 1_000_000,
      batteryRemainingUj: s.battery.remainingUj,
      batteryPercent: Math.round((s.battery.remainingUj / s.battery.capacityUj) * 10_000) / 100,
      deliveredNl: s.delivered.totalNl,
      rateNlPerDay: this.powered ? s.therapy.currentRateNlPerDay : 0,
      running: this.powered && s.therapy.running,
      suspendedBy: this.powered ? s.therapy.suspendedBy : UNPOWERED_REASON,
      activeAlarms: s.alarms.map((a) => a.code),
    });
  }

  // ------------------------------------------------------------------ steps

  private runStep(step: Step): void {
    const e = step.event;
    const id = commandIdBase(e);
    if (step.kind === 'restore') return this.restorePower(step);
    if (step.kind === 'request') return this.patientBolus(step, `${id}.${step.sub}`);
    if (e.type === 'patient-bolus') return this.patientBolus(step, id);
    if (!this.powered) return this.refuseUnpowered(step, id, { type: e.type });
    switch (e.type) {
      case 'program':
      case 'refill':
      case 'clinician-bolus':
      case 'priming-bolus':
        return this.session(step, id, e.changes, e.acknowledgeSoftLimits);
      case 'patient-bolus-series': // expanded into request steps
        return;
      case 'mri': {
        const [min, max] = Array.isArray(e.recoveryDelayMs) ? e.recoveryDelayMs : [e.recoveryDelayMs, e.recoveryDelayMs];
        const recoveryDelayMs = min === max ? min : this.random.intInclusive(min, max);
        const simulated = Array.isArray(e.recoveryDelayMs) ? { recoveryDelayMs, drawnFromMs: [min, max] } : undefined;
        this.exec(step, id, { type: 'magnetic-field', durationMs: e.fieldDurationMs, recoveryDelayMs }, simulated);
        return;
      }
      case 'interrogate':
      case 'stop-therapy':
      case 'resume-therapy':
      case 'alarm-test':
        this.exec(step, id, { type: e.type });
        return;
      case 'clear-alarm':
        return this.clearAlarms(step, id, e.code);
      case 'set-clock': {
        const pumpUtcMs = e.pumpUtcMs !== undefined ? e.pumpUtcMs : this.pump.status().pumpUtcMs + e.stepMs;
        const result = this.exec(step, id, { type: 'set-clock', pumpUtcMs }, e.stepMs === undefined ? undefined : { stepMs: e.stepMs });
        if (result.ok) this.clockCorrectionMs = pumpUtcMs - step.atMs;
        return;
      }
      case 'set-utc-offset':
        this.exec(step, id, { type: 'set-utc-offset', utcOffsetMs: e.utcOffsetMs });
        return;
      case 'telemetry-session':
        this.exec(step, id, { type: 'telemetry-session', durationMs: e.durationMs });
        return;
      case 'power-reset':
        return this.losePower(step, id);
      default: {
        const never: never = e;
        throw new Error(`unhandled event ${JSON.stringify(never)}`);
      }
    }
  }

  /** A programming session: stage, then commit; a refused commit is aborted so nothing stays staged. */
  private session(step: Step, id: string, template: ChangeSetTemplate, acknowledged: string[]): void {
    const { changes, simulated } = this.materialize(template);
    const staged = this.exec(step, `${id}.stage`, { type: 'stage', changes }, simulated);
    if (!staged.ok) return;
    const stagedId = Number(staged.detail['stagedId']);
    const committed = this.exec(step, `${id}.commit`, { type: 'commit', stagedId, acknowledgedSoftLimits: acknowledged });
    if (!committed.ok) {
      this.exec(step, `${id}.abort`, { type: 'abort-staged' });
      return;
    }
    if (changes.refill !== undefined) this.drugId = changes.refill.drugId;
    const bolus = committed.detail['bolus'] as { kind: 'clinician' | 'priming' | 'bridge'; volumeNl: number } | undefined;
    if (bolus !== undefined) this.boluses.started(`${id}.commit`, bolus.kind, step.event.index, step.atMs, bolus.volumeNl);
    this.collect(); // a bolus that ended at once (0 nL bridge) reports now that its row exists
    this.alarms.reconcile(this.activeAlarmCodes(), step.atMs, 'program-committed');
  }

  /** Fill in what only the pump knows at the time: the residual volume a refill withdraws. */
  private materialize(template: ChangeSetTemplate): { changes: ChangeSet; simulated?: Record<string, unknown> } {
    const { refill, ...rest } = template;
    if (refill === undefined) return { changes: rest };
    if (refill.withdrawnNl !== 'expected') return { changes: { ...rest, refill: { ...refill, withdrawnNl: refill.withdrawnNl } } };
    const withdrawnNl = this.pump.status().reservoir.volumeNl;
    return { changes: { ...rest, refill: { ...refill, withdrawnNl } }, simulated: { withdrawnNl, withdrawn: 'expected' } };
  }

  private patientBolus(step: Step, id: string): void {
    if (!this.powered) {
      this.days.onUnpoweredRequest();
      return this.refuseUnpowered(step, id, { type: 'patient-bolus' });
    }
    const result = this.exec(step, id, { type: 'patient-bolus' });
    if (result.ok) {
      this.boluses.started(id, 'patient', step.event.index, step.atMs, Number(result.detail['volumeNl']));
      this.collect();
    }
  }

  private clearAlarms(step: Step, id: string, code: AlarmCode | 'all'): void {
    const codes = code !== 'all' ? [code] : this.pump.status().alarms.filter((a) => !a.acknowledged).map((a) => a.code);
    if (codes.length === 0) {
      this.record(step, id, 'simulator', { type: 'clear-alarm', code: 'all' }, { ok: true, detail: { cleared: [] } });
      return;
    }
    for (const c of codes) {
      const result = this.exec(step, code === 'all' ? `${id}.${c}` : id, { type: 'clear-alarm', code: c });
      if (result.ok) this.alarms.onCleared(c, step.atMs);
    }
    this.alarms.reconcile(this.activeAlarmCodes(), step.atMs, 'cleared');
  }

  private losePower(step: Step, id: string): void {
    const e = step.event;
    if (e.type !== 'power-reset') return;
    // The pump as it was the instant power went: everything up to now delivered and logged.
    this.snapshotAtPowerLoss = this.pump.snapshot();
    this.powered = false;
    this.counters.powerResets += 1;
    this.pendingRestores.add(e);
    this.record(step, id, 'simulator', { type: 'power-off', why: e.why, offDurationMs: e.offDurationMs }, { ok: true, detail: { snapshotAtMs: step.atMs } });
    if (e.offDurationMs === 0) this.restorePower(step);
  }

  private restorePower(step: Step): void {
    const e = step.event;
    if (e.type !== 'power-reset' || !this.pendingRestores.delete(e) || this.snapshotAtPowerLoss === null) return;
    this.pump = Pump.restoreAfterPowerLoss(this.snapshotAtPowerLoss, step.atMs, e.why);
    this.snapshotAtPowerLoss = null;
    this.powered = true;
    this.collect();
    this.record(step, `${commandIdBase(e)}.restore`, 'simulator', { type: 'power-restore', why: e.why }, { ok: true, detail: { offMs: e.offDurationMs } });
  }

  private refuseUnpowered(step: Step, id: string, command: { type: string; [key: string]: unknown }): void {
    this.record(step, id, 'simulator', command, { ok: false, reason: UNPOWERED_REASON, message: 'the pump has no power; nothing reached it' });
  }

  private activeAlarmCodes(): Set<AlarmCode> {
    return new Set(this.pump.status().alarms.map((a) => a.code));
  }

  // ------------------------------------------------------------------ commands

  private exec(step: Step, commandId: string, command: PumpCommand, simulated?: Record<string, unknown>): CommandResult {
    const result = this.pump.execute(step.atMs, commandId, command);
    this.counters.pumpCommands += 1;
    this.collect();
    const outcome: Outcome = result.ok
      ? { ok: true, detail: result.detail }
      : {
          ok: false,
          reason: result.reason,
          message: result.message,
          ...(result.issues === undefined ? {} : { issues: result.issues }),
          ...(result.detail === undefined ? {} : { detail: result.detail }),
        };
    this.record(step, commandId, 'pump', command, simulated === undefined ? outcome : { ...outcome, simulated });
    return result;
  }

  private record(step: Step, commandId: string, by: CommandRowT['by'], command: { type: string; [key: string]: unknown }, outcome: Outcome): void {
    const e = step.event;
    this.commands.push({
      commandId,
      eventIndex: e.index,
      eventType: e.type,
      note: e.note,
      by,
      command,
      at: isoOf(step.atMs),
      atMs: step.atMs,
      localTime: formatLocal(step.atMs, this.scenario.clock.offsetAt(step.atMs)),
      ...outcome,
    });
  }
}

type Outcome = Pick<CommandRowT, 'ok'> & Partial<Pick<CommandRowT, 'reason' | 'message' | 'issues' | 'detail' | 'simulated'>>;
