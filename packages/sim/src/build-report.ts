/** Assembles the "thecal-report/1" document from what a run collected. */
import { MS_PER_DAY, formatLocal, type DrugId, type LogRecord, type Pump, type PumpStatus } from '@thecal/pump-core';
import { displayUnitOf, nlToMl, pgIn } from './amounts.ts';
import { sortedKeys } from './day-book.ts';
import { REPORT_FORMAT, type AlarmRowT, type BolusRowT, type CommandRowT, type DayRowT, type ForecastRow, type LogRowT, type Report, type SampleT, type StatusT } from './report-schema.ts';
import type { Scenario } from './scenario.ts';
import { formatUtcOffset, isoOf } from './time-syntax.ts';

export interface RunRecord {
  scenario: Scenario;
  pump: Pump;
  status: PumpStatus;
  powered: boolean;
  drugId: DrugId | null;
  days: DayRowT[];
  boluses: BolusRowT[];
  commands: CommandRowT[];
  alarms: AlarmRowT[];
  samples: SampleT[];
  counters: { pumpCommands: number; advances: number; powerResets: number };
}

export function buildReport(run: RunRecord): Report {
  const { scenario: s, status, pump } = run;
  const unit = displayUnitOf(run.drugId);
  const spanMs = s.untilMs - s.startMs;
  return {
    format: REPORT_FORMAT,
    scenario: {
      name: s.name,
      description: s.description,
      pump: { model: s.model, serial: s.serial },
      start: isoOf(s.startMs),
      startMs: s.startMs,
      until: isoOf(s.untilMs),
      untilMs: s.untilMs,
      utcOffset: formatUtcOffset(s.utcOffsetMs),
      utcOffsetMs: s.utcOffsetMs,
      seed: s.seed,
      sampleEveryMs: s.sampleEveryMs,
      events: s.fileEventCount,
      patientBolusRequests: s.events.reduce((n, e) => n + (e.type === 'patient-bolus' ? 1 : e.type === 'patient-bolus-series' ? e.requestTimesMs.length : 0), 0),
    },
    totals: {
      deliveredNl: status.delivered.totalNl,
      deliveredMl: nlToMl(status.delivered.totalNl),
      deliveredPg: status.delivered.totalPg,
      drugId: run.drugId,
      amount: pgIn(unit, status.delivered.totalPg),
      amountUnit: unit,
      undeliveredNl: status.delivered.undeliveredNl,
      strokes: status.delivered.strokes,
      patientBoluses: sumPatientBoluses(run.days),
      bolusesByKind: bolusesByKind(run.boluses),
      commands: commandTotals(run.commands),
      alarmsRaised: run.alarms.length,
    },
    days: run.days,
    boluses: run.boluses,
    commands: run.commands,
    alarms: run.alarms,
    samples: run.samples,
    final: { powered: run.powered, status: statusForReport(status), forecast: forecastForReport(pump.forecast()) },
    logs: { events: pump.events.all().map(logRow), therapy: pump.therapyLog.all().map(logRow) },
    stats: {
      simulatedMs: spanMs,
      simulatedDays: spanMs / MS_PER_DAY,
      segmentsStepped: pump.segmentsStepped,
      pumpCommands: run.counters.pumpCommands,
      advances: run.counters.advances,
      samples: run.samples.length,
      powerResets: run.counters.powerResets,
    },
  };
}

function sumPatientBoluses(days: readonly DayRowT[]): Report['totals']['patientBoluses'] {
  const byReason: Record<string, number> = {};
  let requested = 0;
  let delivered = 0;
  let denied = 0;
  for (const d of days) {
    requested += d.patientBoluses.requested;
    delivered += d.patientBoluses.delivered;
    denied += d.patientBoluses.denied;
    for (const [reason, n] of Object.entries(d.patientBoluses.deniedByReason)) byReason[reason] = (byReason[reason] ?? 0) + n;
  }
  return { requested, delivered, denied, deniedByReason: sortedKeys(byReason) };
}

function bolusesByKind(rows: readonly BolusRowT[]): Report['totals']['bolusesByKind'] {
  const out: Report['totals']['bolusesByKind'] = {};
  for (const kind of ['priming', 'bridge', 'clinician', 'patient'] as const) {
    const of = rows.filter((r) => r.kind === kind);
    if (of.length === 0) continue;
    out[kind] = { count: of.length, requestedNl: of.reduce((n, r) => n + r.requestedNl, 0), deliveredNl: of.reduce((n, r) => n + (r.deliveredNl ?? 0), 0) };
  }
  return out;
}

function commandTotals(rows: readonly CommandRowT[]): Report['totals']['commands'] {
  const byReason: Record<string, number> = {};
  let ok = 0;
  for (const r of rows) {
    if (r.ok) ok += 1;
    else byReason[r.reason ?? 'unknown'] = (byReason[r.reason ?? 'unknown'] ?? 0) + 1;
  }
  return { total: rows.length, ok, refused: rows.length - ok, refusedByReason: sortedKeys(byReason) };
}

/** The core's status, JSON-safe: the only non-finite number it can hold is an unknown 24 h dose. */
export function statusForReport(s: PumpStatus): StatusT {
  const trailing = s.delivered.trailing24hPg;
  return {
    ...s,
    delivered: { ...s.delivered, trailing24hPg: Number.isFinite(trailing) ? trailing : null },
    // A change set is plain JSON data; the report schema keeps it open rather than restating the core's type.
    staged: s.staged === null ? null : { ...s.staged, changes: { ...s.staged.changes } as Record<string, unknown> },
  };
}

export function forecastForReport(f: ReturnType<Pump['forecast']>): ForecastRow {
  const orNull = (ms: number | null) => (ms === null ? null : isoOf(ms));
  return {
    lowReservoirAtMs: f.lowReservoirAtMs,
    lowReservoirAt: orNull(f.lowReservoirAtMs),
    emptyAtMs: f.emptyAtMs,
    emptyAt: orNull(f.emptyAtMs),
    nextRefillByMs: f.nextRefillByMs,
    nextRefillBy: orNull(f.nextRefillByMs),
    eriAtMs: f.eriAtMs,
    eriAt: isoOf(f.eriAtMs),
    replaceByMs: f.replaceByMs,
    replaceBy: isoOf(f.replaceByMs),
  };
}

function logRow(r: LogRecord): LogRowT {
  return { seq: r.seq, utcMs: r.utcMs, utc: isoOf(r.utcMs), utcOffsetMs: r.utcOffsetMs, localTime: formatLocal(r.utcMs, r.utcOffsetMs), type: r.type, data: { ...r.data } };
}
