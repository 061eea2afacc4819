/**
 * A validated scenario, every time absolute and every quantity in core units, events sorted by
 * time (stably: events at the same instant keep their order in the file). Built from the parsed
 * file by `resolveScenario`, which also checks what needs the whole file at once: times against
 * the start and end, day-program names, series that must produce requests.
 */
import type { AlarmCode, ChangeSet, DeviceChange, AlarmSettingsChange, Prescription, PumpModelId, RefillChange } from '@thecal/pump-core';
import { LIMITS, MS_PER_DAY, MS_PER_MINUTE } from '@thecal/pump-core';
import { OffsetTimeline } from './local-clock.ts';
import type { ParsedAlarmSettings, ParsedDevice, ParsedEvent, ParsedPrescription, ParsedRefill, ParsedScenario } from './scenario-schema.ts';
import { WEEKDAY_NAMES } from './scenario-schema.ts';
import type { TimeRef } from './time-syntax.ts';

export type RefillTemplate = Omit<RefillChange, 'withdrawnNl'> & { withdrawnNl: number | 'expected' };
/** A change set whose refill may still say "withdraw what the pump expects". */
export type ChangeSetTemplate = Omit<ChangeSet, 'refill'> & { refill?: RefillTemplate };

export type EventBody =
  | { type: 'program' | 'refill' | 'clinician-bolus' | 'priming-bolus'; changes: ChangeSetTemplate; acknowledgeSoftLimits: string[] }
  | { type: 'patient-bolus' }
  | { type: 'patient-bolus-series'; requestTimesMs: number[]; untilMs: number }
  | { type: 'mri'; fieldDurationMs: number; recoveryDelayMs: number | [number, number] }
  | { type: 'interrogate' | 'stop-therapy' | 'resume-therapy' | 'alarm-test' }
  | { type: 'clear-alarm'; code: AlarmCode | 'all' }
  | { type: 'set-clock'; pumpUtcMs: number; stepMs?: never }
  | { type: 'set-clock'; stepMs: number; pumpUtcMs?: never }
  | { type: 'set-utc-offset'; utcOffsetMs: number }
  | { type: 'telemetry-session'; durationMs: number }
  | { type: 'power-reset'; offDurationMs: number; why: 'power-reset' | 'low-battery-reset' };

export type EventType = EventBody['type'];
export type ScenarioEvent = EventBody & {
  /** Position of the event in the file. */
  index: number;
  /** 1, 2, … for the occurrences of a repeated event; null for an event that happens once. */
  occurrence: number | null;
  atMs: number;
  note: string | null;
};

/** The base of the command ids of an event occurrence: "evt-3", or "evt-3.r2" for the second occurrence of a repeated event. */
export function commandIdBase(e: Pick<ScenarioEvent, 'index' | 'occurrence'>): string {
  return e.occurrence === null ? `evt-${e.index}` : `evt-${e.index}.r${e.occurrence}`;
}

export interface Scenario {
  name: string;
  description: string | null;
  model: PumpModelId;
  serial: string;
  startMs: number;
  untilMs: number;
  utcOffsetMs: number;
  seed: number;
  sampleEveryMs: number;
  /** Events written in the file (before repeats are expanded). */
  fileEventCount: number;
  /** Sorted by time, stably. */
  events: ScenarioEvent[];
  /** The patient's wall clock, for local times. */
  clock: OffsetTimeline;
}

export interface ScenarioIssue {
  /** JSON path of the offending field, e.g. "events[3].prescription.basal.rateNlPerDay". */
  path: string;
  message: string;
}

/** Most requests a single series may generate (a request every 15 min for 10 years is ~350 000). */
const MAX_SERIES_REQUESTS = 400_000;
/** Most occurrences of one repeated event. */
const MAX_REPEATS = 100_000;

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(scenario)' : out;
}

export function resolveScenario(parsed: ParsedScenario): { ok: true; scenario: Scenario } | { ok: false; issues: ScenarioIssue[] } {
  const issues: ScenarioIssue[] = [];
  // One problem per field: the occurrences of a repeated event would otherwise repeat it.
  const issue = (path: PropertyKey[], message: string) => {
    const where = formatPath(path);
    if (!issues.some((i) => i.path === where)) issues.push({ path: where, message });
  };

  if (parsed.start.kind !== 'absolute') {
    issue(['start'], `the start must be a date-time such as "2026-03-02T08:00:00Z", got the duration "${parsed.start.text}"`);
    return { ok: false, issues };
  }
  const startMs = parsed.start.ms;
  const at = (ref: TimeRef) => (ref.kind === 'absolute' ? ref.ms : startMs + ref.ms);
  const untilMs = at(parsed.until);
  if (untilMs <= startMs) {
    issue(['until'], `the end (${iso(untilMs)}) must come after the start (${iso(startMs)})`);
    return { ok: false, issues };
  }
  const inRun = (path: PropertyKey[], ms: number, what = 'the event') => {
    if (ms < startMs) issue(path, `${what} (${iso(ms)}) is before the scenario start (${iso(startMs)})`);
    else if (ms > untilMs) issue(path, `${what} (${iso(ms)}) is after the scenario end (${iso(untilMs)})`);
  };

  const timed: { e: ParsedEvent; index: number; occurrence: number | null; atMs: number }[] = [];
  parsed.events.forEach((e, index) => {
    const firstMs = at(e.at);
    inRun(['events', index, 'at'], firstMs);
    if (!('repeat' in e) || e.repeat === undefined) {
      timed.push({ e, index, occurrence: null, atMs: firstMs });
      return;
    }
    const lastMs = at(e.repeat.until);
    inRun(['events', index, 'repeat', 'until'], lastMs, 'the last repetition');
    if (lastMs < firstMs) issue(['events', index, 'repeat', 'until'], `the repetition ends (${iso(lastMs)}) before the event first happens (${iso(firstMs)})`);
    else if ((lastMs - firstMs) / e.repeat.every >= MAX_REPEATS) issue(['events', index, 'repeat'], `the event would repeat more than ${MAX_REPEATS} times`);
    else for (let t = firstMs, k = 1; t <= lastMs; t += e.repeat.every, k++) timed.push({ e, index, occurrence: k, atMs: t });
  });
  // Stable: Array.prototype.sort is stable, so same-time events keep file order.
  timed.sort((a, b) => a.atMs - b.atMs);

  const offsetChanges = timed.flatMap((t) => (t.e.type === 'set-utc-offset' ? [{ atMs: t.atMs, utcOffsetMs: t.e.utcOffsetMs }] : []));
  const clock = new OffsetTimeline(parsed.utcOffsetMs ?? 0, offsetChanges);

  const events: ScenarioEvent[] = [];
  for (const { e, index, occurrence, atMs } of timed) {
    const path = ['events', index];
    const body = resolveEvent(e, path, atMs, { at, inRun, issue, clock, untilMs });
    if (body !== null) events.push({ ...body, index, occurrence, atMs, note: e.note ?? null });
  }
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    scenario: {
      name: parsed.name,
      description: parsed.description ?? null,
      model: parsed.pump.model,
      serial: parsed.pump.serial,
      startMs,
      untilMs,
      utcOffsetMs: parsed.utcOffsetMs ?? 0,
      seed: parsed.seed ?? 1,
      sampleEveryMs: parsed.sampleEveryMs ?? MS_PER_DAY,
      fileEventCount: parsed.events.length,
      events,
      clock,
    },
  };
}

interface ResolveContext {
  at: (ref: TimeRef) => number;
  inRun: (path: PropertyKey[], ms: number, what?: string) => void;
  issue: (path: PropertyKey[], message: string) => void;
  clock: OffsetTimeline;
  untilMs: number;
}

function resolveEvent(e: ParsedEvent, path: PropertyKey[], atMs: number, ctx: ResolveContext): EventBody | null {
  switch (e.type) {
    case 'program': {
      const changes: ChangeSetTemplate = {};
      if (e.device !== undefined) changes.device = resolveDevice(e.device, ctx);
      if (e.refill !== undefined) changes.refill = resolveRefill(e.refill);
      if (e.prescription !== undefined) changes.prescription = resolvePrescription(e.prescription, [...path, 'prescription'], ctx);
      if (e.bolus !== undefined) changes.bolus = e.bolus;
      if (e.alarms !== undefined) changes.alarms = resolveAlarms(e.alarms, ctx);
      if (Object.keys(changes).length === 0) ctx.issue(path, 'a program event needs at least one of device, refill, prescription, bolus, alarms');
      return { type: 'program', changes, acknowledgeSoftLimits: e.acknowledgeSoftLimits ?? [] };
    }
    case 'refill': {
      const changes: ChangeSetTemplate = {
        refill: resolveRefill({ withdrawnNl: e.withdrawnNl, filledNl: e.filledNl, drugId: e.drugId, concentrationMcgPerMl: e.concentrationMcgPerMl }),
      };
      if (e.prescription !== undefined) changes.prescription = resolvePrescription(e.prescription, [...path, 'prescription'], ctx);
      if (e.bridgeBolus === true) changes.bolus = { kind: 'bridge' };
      if (e.alarms !== undefined) changes.alarms = resolveAlarms(e.alarms, ctx);
      return { type: 'refill', changes, acknowledgeSoftLimits: e.acknowledgeSoftLimits ?? [] };
    }
    case 'clinician-bolus':
      return { type: 'clinician-bolus', changes: { bolus: { kind: 'clinician', volumeNl: e.volumeNl, durationMs: e.durationMs } }, acknowledgeSoftLimits: e.acknowledgeSoftLimits ?? [] };
    case 'priming-bolus':
      return { type: 'priming-bolus', changes: e.catheter === undefined ? { bolus: { kind: 'priming' } } : { device: { catheter: e.catheter }, bolus: { kind: 'priming' } }, acknowledgeSoftLimits: [] };
    case 'patient-bolus-series':
      return resolveSeries(e, path, atMs, ctx);
    case 'mri': {
      const delay = e.recoveryDelayMs;
      if (Array.isArray(delay) && delay[0] > delay[1]) ctx.issue([...path, 'recoveryDelayMs'], `the shortest delay (${delay[0]} ms) is longer than the longest (${delay[1]} ms)`);
      return { type: 'mri', fieldDurationMs: e.fieldDurationMs, recoveryDelayMs: Array.isArray(delay) ? [delay[0], delay[1]] : delay };
    }
    case 'clear-alarm':
      return { type: 'clear-alarm', code: e.code };
    case 'set-clock': {
      if ((e.pumpUtcMs === undefined) === (e.stepMs === undefined)) {
        ctx.issue(path, 'a set-clock event needs exactly one of pumpUtcMs (the new clock time) or stepMs (how far to move the clock)');
        return null;
      }
      return e.pumpUtcMs !== undefined ? { type: 'set-clock', pumpUtcMs: ctx.at(e.pumpUtcMs) } : { type: 'set-clock', stepMs: e.stepMs ?? 0 };
    }
    case 'set-utc-offset':
      return { type: 'set-utc-offset', utcOffsetMs: e.utcOffsetMs };
    case 'telemetry-session':
      return { type: 'telemetry-session', durationMs: e.durationMs };
    case 'power-reset': {
      const offDurationMs = e.offDurationMs ?? 0;
      ctx.inRun([...path, 'offDurationMs'], atMs + offDurationMs, 'power returning');
      return { type: 'power-reset', offDurationMs, why: e.why ?? 'power-reset' };
    }
    case 'patient-bolus':
    case 'interrogate':
    case 'stop-therapy':
    case 'resume-therapy':
    case 'alarm-test':
      return { type: e.type };
    default: {
      const never: never = e;
      throw new Error(`unhandled event ${JSON.stringify(never)}`);
    }
  }
}

function resolveDevice(d: ParsedDevice, ctx: ResolveContext): DeviceChange {
  const out: DeviceChange = {};
  if (d.patientId !== undefined) out.patientId = d.patientId;
  if (d.implantDateMs !== undefined) out.implantDateMs = ctx.at(d.implantDateMs);
  if (d.catheter !== undefined) out.catheter = { ...d.catheter };
  return out;
}

function resolveRefill(r: ParsedRefill): RefillTemplate {
  return { withdrawnNl: r.withdrawnNl, filledNl: r.filledNl, drugId: r.drugId, concentrationMcgPerMl: r.concentrationMcgPerMl };
}

function resolveAlarms(a: ParsedAlarmSettings, ctx: ResolveContext): AlarmSettingsChange {
  const out: AlarmSettingsChange = {};
  if (a.lowReservoirNl !== undefined) out.lowReservoirNl = a.lowReservoirNl;
  if (a.refillReminderUtcMs !== undefined) out.refillReminderUtcMs = a.refillReminderUtcMs === null ? null : ctx.at(a.refillReminderUtcMs);
  return out;
}

function resolvePrescription(p: ParsedPrescription, path: PropertyKey[], ctx: ResolveContext): Prescription {
  let basal: Prescription['basal'];
  if (p.basal.kind === 'continuous') {
    basal = { kind: 'continuous', rateNlPerDay: p.basal.rateNlPerDay };
  } else {
    const dayPrograms = p.basal.dayPrograms.map((d) => ({ name: d.name, steps: d.steps.map((s) => ({ startMinute: s.startMinute, rateNlPerDay: s.rateNlPerDay })) }));
    const names = dayPrograms.map((d) => d.name);
    const week = p.basal.week.map((w, day) => {
      if (typeof w === 'number') return w;
      const i = names.indexOf(w);
      if (i < 0) ctx.issue([...path, 'basal', 'week', day], `no day program is named "${w}" (day programs: ${names.map((n) => `"${n}"`).join(', ')})`);
      return i;
    });
    basal = { kind: 'flex', dayPrograms, week };
  }
  return {
    drugId: p.drugId,
    concentrationMcgPerMl: p.concentrationMcgPerMl,
    basal,
    maxRateNlPerDay: p.maxRateNlPerDay ?? LIMITS.defaultMaxRateNlPerDay,
    maxDailyDosePg: p.maxDailyDosePg,
    patientBolus: p.patientBolus == null ? null : { ...p.patientBolus },
  };
}

function resolveSeries(e: Extract<ParsedEvent, { type: 'patient-bolus-series' }>, path: PropertyKey[], atMs: number, ctx: ResolveContext): EventBody | null {
  const untilMs = ctx.at(e.until);
  ctx.inRun([...path, 'until'], untilMs, 'the end of the series');
  if (untilMs < atMs) {
    ctx.issue([...path, 'until'], `the series ends (${iso(untilMs)}) before it starts (${iso(atMs)})`);
    return null;
  }
  if ((e.localTimes === undefined) === (e.every === undefined)) {
    ctx.issue(path, 'a patient-bolus-series needs exactly one of localTimes (requests at these local times each day) or every (a request at this interval)');
    return null;
  }
  if (e.between !== undefined && e.every === undefined) {
    ctx.issue([...path, 'between'], '"between" goes with "every"');
    return null;
  }
  if (e.between !== undefined && e.between[0] > e.between[1]) {
    ctx.issue([...path, 'between'], 'the first time of day must not be after the last');
    return null;
  }
  const days = e.weekdays === undefined ? null : new Set(e.weekdays.map((d) => WEEKDAY_NAMES.indexOf(d)));
  const times = new Set<number>();
  const tooMany = () => {
    ctx.issue(path, `the series makes more than ${MAX_SERIES_REQUESTS} requests; split it`);
    return null;
  };
  const keep = (utcMs: number) => utcMs >= atMs && utcMs <= untilMs && (days === null || days.has(ctx.clock.weekday(utcMs)));

  if (e.every !== undefined && e.between === undefined) {
    if ((untilMs - atMs) / e.every >= MAX_SERIES_REQUESTS) return tooMany();
    for (let t = atMs; t <= untilMs; t += e.every) if (keep(t)) times.add(t);
  } else {
    const offsetsInDayMs =
      e.localTimes !== undefined
        ? e.localTimes.map((minute) => minute * MS_PER_MINUTE)
        : (() => {
            const out: number[] = [];
            const [first, last] = e.between ?? [0, 0];
            for (let t = first * MS_PER_MINUTE; t <= last * MS_PER_MINUTE; t += e.every ?? MS_PER_DAY) out.push(t);
            return out;
          })();
    const firstDay = ctx.clock.localDay(atMs);
    const lastDay = ctx.clock.localDay(untilMs);
    if ((lastDay - firstDay + 1) * offsetsInDayMs.length > MAX_SERIES_REQUESTS) return tooMany();
    for (let day = firstDay; day <= lastDay; day++) {
      for (const offsetMs of offsetsInDayMs) {
        const utc = ctx.clock.utcOfLocal(day * MS_PER_DAY + offsetMs);
        if (keep(utc)) times.add(utc);
      }
    }
  }
  if (times.size === 0) {
    ctx.issue(path, 'the series makes no request between its start and its end');
    return null;
  }
  return { type: 'patient-bolus-series', requestTimesMs: [...times].sort((a, b) => a - b), untilMs };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
