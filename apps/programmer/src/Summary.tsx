/** The visit opens here: patient, drug, program (24-hour pictures), doses, reservoir, dates, alarms, recent events. */
import { useEffect, useState } from 'react';
import type { DrugId } from '@thecal/pump-core';
import { patientCard, type PatientCard } from './clinic-api.ts';
import { formatConcentration, formatDrugDose, formatRateMlPerDay, formatVolumeMl, interrogationFindings, replaceByMs, weekDailyVolumesNl } from '@thecal/therapy-calc';
import { ScheduleChart } from './ScheduleChart.tsx';
import type { Interrogated, Journal } from './pump-link.ts';
import { WEEKDAYS, dateText, dayText } from './settings-view.ts';

export function Summary(props: { data: Interrogated; interrupted: Journal | null; signedInAs: string | null }) {
  const { status: s, forecast: f } = props.data;
  const rx = s.prescription;
  const drug: DrugId | null = s.reservoir.drugId;
  const off = s.utcOffsetMs;
  // What this interrogation shows as a problem: the same decision the fault table's programmer column uses.
  // A simulated pump at 60x runs ahead of every real clock: its clock is not a finding then.
  const simulatedRate = props.data.device.simulatedClockRate;
  const findings = interrogationFindings({ status: s, events: props.data.recentEvents, programmerUtcMs: simulatedRate === undefined ? props.data.readAtUtcMs : null });
  const [card, setCard] = useState<PatientCard | null>(null);
  const patientId = s.device.patientId;
  useEffect(() => {
    if (patientId !== null) void patientCard(patientId).then(setCard);
  }, [patientId, props.signedInAs]);
  return (
    <section aria-labelledby="summary-title" className="summary">
      <h2 id="summary-title" tabIndex={-1}>
        Pump {s.serial} ({s.model})
      </h2>
      {props.interrupted !== null && (
        <div role="alert" className="warning" data-testid="interrupted">
          <strong>The last session with this pump was interrupted</strong> ({props.interrupted.workflow}, {props.interrupted.phase === 'committing' ? 'while committing' : props.interrupted.phase === 'staged' ? 'before commit' : 'while sending a command'}).{' '}
          {s.staged !== null ? `The pump still holds staged change #${s.staged.stagedId}, not running.` : 'Nothing is staged on the pump now.'} What follows is the pump's real state, read just now
          {props.interrupted.phase === 'committing' ? ': check whether the change took effect before doing it again.' : '.'}
        </div>
      )}
      <dl className="facts">
        <div>
          <dt>Patient</dt>
          <dd data-testid="patient">
            {card !== null ? `${card.familyName}, ${card.givenName} (MRN ${card.mrn}, born ${card.birthDate}, ${card.indication})` : patientId === null ? 'not recorded on the pump' : `id ${patientId} (sign in to the clinic to see the record)`}
          </dd>
        </div>
        <div>
          <dt>Therapy</dt>
          <dd data-testid="therapy">
            {s.therapy.running ? `running (${s.therapy.mode}), now ${formatRateMlPerDay(s.therapy.currentRateNlPerDay)}` : `STOPPED${s.therapy.suspendedBy === null ? '' : ` (${s.therapy.suspendedBy})`}`}
          </dd>
        </div>
        <div>
          <dt>Drug and concentration</dt>
          <dd data-testid="drug">{drug === null ? 'none' : `${drug} ${formatConcentration(s.reservoir.concentrationMcgPerMl, drug)}`}</dd>
        </div>
        <div>
          <dt>Daily dose</dt>
          <dd data-testid="daily-dose">
            {rx === null
              ? 'no prescription'
              : (() => {
                  const v = weekDailyVolumesNl(rx.basal);
                  const lo = Math.min(...v);
                  const hi = Math.max(...v);
                  const dose = (x: number) => formatDrugDose(x * rx.concentrationMcgPerMl, rx.drugId, true);
                  return lo === hi ? `${dose(hi)} (${formatRateMlPerDay(hi)})` : `${dose(lo)} to ${dose(hi)} by weekday`;
                })()}
            {rx !== null && ` · maximum ${formatDrugDose(rx.maxDailyDosePg, rx.drugId, true)}`}
          </dd>
        </div>
        <div>
          <dt>Patient bolus</dt>
          <dd data-testid="patient-bolus">
            {rx?.patientBolus == null
              ? 'off'
              : `${formatDrugDose(rx.patientBolus.volumeNl * rx.concentrationMcgPerMl, rx.drugId)} over ${rx.patientBolus.durationMs / 60_000} min, lockout ${rx.patientBolus.lockoutMs / 60_000} min; ${s.patientBolus.usedIn24h} of ${rx.patientBolus.maxPer24h} used in the last 24 h`}
          </dd>
        </div>
        <div>
          <dt>Reservoir (expected volume now)</dt>
          <dd data-testid="reservoir">
            {formatVolumeMl(s.reservoir.volumeNl)} of {formatVolumeMl(s.reservoir.capacityNl)}; low alarm at {formatVolumeMl(s.reservoir.lowAlarmNl)}
          </dd>
        </div>
        <div>
          <dt>Low-reservoir alarm date</dt>
          <dd>{dayText(f.lowReservoirAtMs, off)}</dd>
        </div>
        <div>
          <dt>Next refill by</dt>
          <dd>{dayText(f.nextRefillByMs, off)}</dd>
        </div>
        <div>
          <dt>Battery</dt>
          <dd>
            {Math.round((s.battery.remainingUj / s.battery.capacityUj) * 100)} % · ERI {s.battery.eriAtMs === null ? `projected ${dayText(f.eriAtMs, off)}` : `reached ${dayText(s.battery.eriAtMs, off)}`} · replace by{' '}
            <span data-testid="replace-by">{dayText(s.battery.replaceByMs, off)}</span>
            {replaceByMs(f.eriAtMs) !== f.replaceByMs && ' (pump and calculation disagree: check)'}
          </dd>
        </div>
        <div>
          <dt>Pump time</dt>
          <dd>{dateText(s.pumpUtcMs, off)} local</dd>
        </div>
      </dl>
      <h3>Problems found at this interrogation</h3>
      {findings.length === 0 ? (
        <p data-testid="findings">None: no alarm, no fault in the recent log, no refill discrepancy{simulatedRate === undefined ? ', the pump clock agrees' : ''}.</p>
      ) : (
        <ul data-testid="findings">
          {findings.map((f, i) => (
            <li key={`${i}:${f.kind}:${f.code}`} className={f.critical ? 'critical' : undefined}>
              {f.message}
              {f.count > 1 ? ` (${f.count} records)` : ''}
              {f.atPumpUtcMs !== null && f.kind !== 'alarm' ? `, last ${dateText(f.atPumpUtcMs, off)}` : ''}
            </li>
          ))}
        </ul>
      )}
      {simulatedRate !== undefined && <p className="note">Simulated pump running at {simulatedRate}x real time: its clock is not compared with this programmer's.</p>}
      <h3>Active alarms</h3>
      {s.alarms.length === 0 ? (
        <p>None.</p>
      ) : (
        <ul data-testid="alarms">
          {s.alarms.map((a) => (
            <li key={a.code} className={a.critical ? 'critical' : undefined}>
              {a.critical ? 'Critical' : 'Non-critical'}: {a.code} since {dateText(a.raisedAtMs, off)}
              {a.acknowledged ? ' (acknowledged)' : ''}
            </li>
          ))}
        </ul>
      )}
      {rx !== null && (
        <>
          <h3>Program</h3>
          {rx.basal.kind === 'continuous' ? (
            <ScheduleChart title={`Every day: continuous ${formatRateMlPerDay(rx.basal.rateNlPerDay)}`} steps={[{ startMinute: 0, rateNlPerDay: rx.basal.rateNlPerDay }]} maxRateNlPerDay={rx.basal.rateNlPerDay} />
          ) : (
            <div className="charts">
              {rx.basal.dayPrograms.map((p, i) => {
                const flex = rx.basal.kind === 'flex' ? rx.basal : null;
                const days = flex === null ? '' : WEEKDAYS.filter((_, d) => flex.week[d] === i).join(', ');
                return <ScheduleChart key={i} title={`${p.name} (${days || 'no weekday'})`} steps={p.steps} maxRateNlPerDay={Math.max(...p.steps.map((x) => x.rateNlPerDay))} />;
              })}
            </div>
          )}
        </>
      )}
      <h3>Recent events</h3>
      <table className="events">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Local time</th>
            <th scope="col">Event</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {[...props.data.recentEvents].reverse().slice(0, 15).map((e) => (
            <tr key={e.seq}>
              <td>{e.seq}</td>
              <td>{dateText(e.utcMs, e.utcOffsetMs)}</td>
              <td>{e.type}</td>
              <td>
                {Object.entries(e.data)
                  .slice(0, 4)
                  .map(([k, v]) => `${k}=${String(v)}`)
                  .join(' ')}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
