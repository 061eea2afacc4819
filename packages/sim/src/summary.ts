/**
 * The readable summary of a report, for people: totals, a table per day (short runs) or per
 * month (long runs), alarms, refusals with their reasons, the final state and the forecast.
 * Volumes and amounts are printed exactly from their integer values; times are UTC.
 */
import { displayUnitOf } from './amounts.ts';
import { formatFixed } from './decimal.ts';
import type { DayRowT, Report } from './report-schema.ts';

/** Runs with more days than this get a monthly table instead of a daily one. */
const MAX_DAILY_ROWS = 62;
/** Refusals other than patient-bolus denials listed one by one (the rest are counted). */
const MAX_LISTED_REFUSALS = 25;

export function formatSummary(report: Report): string {
  const out: string[] = [];
  const s = report.scenario;
  const t = report.totals;
  const days = report.stats.simulatedDays;
  out.push(`Thecal simulation: ${s.name}`);
  out.push(`  pump ${s.pump.model} ${s.pump.serial}, ${utc(s.start)} to ${utc(s.until)} (${trim(days)} days), UTC offset ${s.utcOffset} at start, seed ${s.seed}`);
  out.push('');
  out.push('Totals');
  out.push(`  delivered        ${ml(t.deliveredNl)} = ${amount(t.deliveredPg, t.amountUnit)}${t.drugId === null ? '' : ` ${t.drugId}`}, mean ${ml(Math.round(t.deliveredNl / days))}/day`);
  if (t.undeliveredNl > 0) out.push(`  undelivered      ${ml(t.undeliveredNl)} (strokes due while the reservoir was empty)`);
  out.push(`  patient boluses  ${counts(t.patientBoluses)}`);
  const kinds = Object.entries(t.bolusesByKind).map(([kind, b]) => `${kind} ${b.count} (${ml(b.deliveredNl)} of ${ml(b.requestedNl)})`);
  out.push(`  boluses          ${kinds.length === 0 ? 'none' : kinds.join(', ')}`);
  out.push(`  commands         ${t.commands.total}: ${t.commands.ok} ok, ${t.commands.refused} refused${reasons(t.commands.refusedByReason)}`);
  out.push('');
  out.push(...(report.days.length <= MAX_DAILY_ROWS ? dailyTable(report.days) : monthlyTable(report.days)));
  out.push('');
  out.push(...alarms(report));
  out.push('');
  out.push(...refusals(report));
  out.push('');
  out.push(...finalState(report));
  out.push('');
  out.push(`Run: ${trim(days)} simulated days, ${report.stats.segmentsStepped} segments stepped, ${report.stats.pumpCommands} pump commands, ${report.stats.samples} samples`);
  return `${out.join('\n')}\n`;
}

function dailyTable(rows: readonly DayRowT[]): string[] {
  const out = ['Per local day', `  ${pad('date', 12)}${lpad('mL', 11)}${lpad('dose', 16)}  patient boluses`];
  for (const d of rows) {
    out.push(`  ${pad(d.localDate, 12)}${lpad(formatFixed(BigInt(d.deliveredNl), 6), 11)}${lpad(amount(d.deliveredPg, d.amountUnit), 16)}  ${counts(d.patientBoluses)}${d.partial ? '  (part of the day)' : ''}`);
  }
  return out;
}

function monthlyTable(rows: readonly DayRowT[]): string[] {
  const out = ['Per month (local days)', `  ${pad('month', 9)}${lpad('days', 5)}${lpad('mL', 13)}${lpad('mL/day', 10)}${lpad('dose', 18)}  patient boluses`];
  const months = new Map<string, DayRowT[]>();
  for (const d of rows) {
    const key = d.localDate.slice(0, 7);
    months.set(key, [...(months.get(key) ?? []), d]);
  }
  for (const [month, ds] of months) {
    const nl = ds.reduce((n, d) => n + d.deliveredNl, 0);
    const pg = ds.reduce((n, d) => n + d.deliveredPg, 0);
    const unit = ds[ds.length - 1]?.amountUnit ?? 'mcg';
    const pb = { requested: 0, delivered: 0, denied: 0, deniedByReason: {} as Record<string, number> };
    for (const d of ds) {
      pb.requested += d.patientBoluses.requested;
      pb.delivered += d.patientBoluses.delivered;
      pb.denied += d.patientBoluses.denied;
      for (const [r, n] of Object.entries(d.patientBoluses.deniedByReason)) pb.deniedByReason[r] = (pb.deniedByReason[r] ?? 0) + n;
    }
    const perDay = formatFixed(BigInt(Math.round(nl / ds.length)), 6);
    out.push(`  ${pad(month, 9)}${lpad(String(ds.length), 5)}${lpad(formatFixed(BigInt(nl), 6), 13)}${lpad(perDay, 10)}${lpad(amount(pg, unit), 18)}  ${counts(pb)}`);
  }
  return out;
}

function alarms(report: Report): string[] {
  if (report.alarms.length === 0) return ['Alarms: none'];
  const out = [`Alarms (${report.alarms.length})`];
  for (const a of report.alarms) {
    const parts = [`raised ${utc(a.raisedAt)}`];
    if (a.clearedAt !== null) parts.push(`cleared ${utc(a.clearedAt)}`);
    parts.push(a.resolvedAt === null ? 'still active' : `ended ${utc(a.resolvedAt)} (${a.resolvedHow ?? ''})`);
    parts.push(`${a.tones} tone${a.tones === 1 ? '' : 's'}`);
    out.push(`  ${pad(a.code, 18)}${pad(a.critical ? 'critical' : 'non-critical', 14)}${parts.join(', ')}`);
  }
  return out;
}

function refusals(report: Report): string[] {
  const refused = report.commands.filter((c) => !c.ok && c.command.type !== 'patient-bolus');
  const denials = report.totals.patientBoluses;
  const out: string[] = [];
  out.push(denials.denied === 0 ? 'Patient-bolus denials: none' : `Patient-bolus denials: ${denials.denied}${reasons(denials.deniedByReason)}`);
  if (refused.length === 0) return [...out, 'Other refusals: none'];
  out.push(`Other refusals (${refused.length})`);
  for (const c of refused.slice(0, MAX_LISTED_REFUSALS)) {
    out.push(`  ${utc(c.at)}  ${pad(c.commandId, 14)}${c.command.type}: ${c.reason ?? ''}${c.message === undefined ? '' : ` (${c.message})`}`);
  }
  if (refused.length > MAX_LISTED_REFUSALS) out.push(`  … and ${refused.length - MAX_LISTED_REFUSALS} more (see the JSON report)`);
  return out;
}

function finalState(report: Report): string[] {
  const st = report.final.status;
  const f = report.final.forecast;
  const rx = st.prescription;
  const therapy = st.therapy.running ? `running (${st.therapy.mode}), ${ml(st.therapy.currentRateNlPerDay)}/day now` : `stopped (${st.therapy.suspendedBy ?? 'no program'})`;
  const batteryPercent = ((st.battery.remainingUj / st.battery.capacityUj) * 100).toFixed(1);
  const out = [`Final state at ${utc(new Date(st.nowMs).toISOString())} (pump local ${st.localTime})`];
  out.push(`  therapy          ${therapy}`);
  out.push(`  reservoir        ${ml(st.reservoir.volumeNl)} of ${ml(st.reservoir.capacityNl)}${st.reservoir.drugId === null ? '' : `, ${st.reservoir.drugId} ${st.reservoir.concentrationMcgPerMl} mcg/mL`}`);
  if (rx !== null) out.push(`  max daily dose   ${amount(rx.maxDailyDosePg, displayUnitOf(rx.drugId))}; patient bolus ${rx.patientBolus === null ? 'off' : `${ml(rx.patientBolus.volumeNl)}, ${rx.patientBolus.maxPer24h} per 24 h`}`);
  out.push(`  battery          ${batteryPercent} %${st.battery.eriAtMs === null ? '' : `, ERI since ${utc(new Date(st.battery.eriAtMs).toISOString())}`}`);
  out.push(`  active alarms    ${st.alarms.length === 0 ? 'none' : st.alarms.map((a) => `${a.code}${a.acknowledged ? ' (cleared)' : ''}`).join(', ')}`);
  out.push('Forecast');
  out.push(`  low reservoir    ${f.lowReservoirAt === null ? 'not forecast' : utc(f.lowReservoirAt)}`);
  out.push(`  empty            ${f.emptyAt === null ? 'not forecast' : utc(f.emptyAt)}`);
  out.push(`  next refill by   ${f.nextRefillBy === null ? 'not forecast' : utc(f.nextRefillBy)}`);
  out.push(`  ERI              ${utc(f.eriAt)}`);
  out.push(`  replace by       ${utc(f.replaceBy)}`);
  return out;
}

function counts(c: { requested: number; delivered: number; denied: number; deniedByReason: Record<string, number> }): string {
  return `${c.requested} requested, ${c.delivered} delivered, ${c.denied} denied${reasons(c.deniedByReason)}`;
}

function reasons(byReason: Record<string, number>): string {
  const entries = Object.entries(byReason);
  return entries.length === 0 ? '' : ` (${entries.map(([r, n]) => `${r} ${n}`).join(', ')})`;
}

function ml(nl: number): string {
  return `${formatFixed(BigInt(nl), 6)} mL`;
}

function amount(pg: number, unit: 'mg' | 'mcg'): string {
  return `${formatFixed(BigInt(pg), unit === 'mg' ? 9 : 6)} ${unit}`;
}

function utc(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z`;
}

function trim(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}

function pad(s: string, n: number): string {
  return s.padEnd(n);
}
function lpad(s: string, n: number): string {
  return s.padStart(n);
}
