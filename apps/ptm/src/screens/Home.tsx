import type { ReactNode } from 'react';
import type { DrugId } from '@thecal/pump-core';
import { useI18n, type MessageKey } from '../i18n/index.ts';

const MODES = ['continuous', 'flex', 'stopped', 'clinician-bolus', 'priming-bolus', 'bridge-bolus'] as const;
import { pumpOffsetOf, pumpUtcOf, useApp } from '../state.ts';
import { formatAmount, formatPumpDate, formatPumpTime, formatVolume } from '../format.ts';
import { Countdown } from './Countdown.tsx';
import { refillDuring } from '../travel.ts';

export function HomeScreen(): ReactNode {
  const { t, lang } = useI18n();
  const app = useApp();
  const r = app.reading;
  const offset = pumpOffsetOf(r);
  const date = (ms: number | null | undefined) => (ms === null || ms === undefined ? t('home.none') : formatPumpDate(ms, offset, lang));
  const drug = (r?.status.reservoir.drugId ?? null) as DrugId | null;
  const working = r?.status.therapy.running === true;
  const alarms = r?.status.alarms ?? [];
  const pb = r?.patient.patientBolus;
  const refillMs = r === null || r.patient.nextRefillByMs === null ? null : pumpUtcOf(r, r.patient.nextRefillByMs);
  // A refill that falls due while the patient will be away is worth saying on the first screen too.
  const awayAtRefill = refillMs === null ? undefined : app.absences.find((a) => a.untilMs > Date.now() && refillDuring(a, refillMs).kind === 'during');
  const lockedUntil = pb !== undefined && pb.enabled && pb.nextAllowedAtMs !== null && r !== null && pb.nextAllowedAtMs > r.status.nowMs ? pb.nextAllowedAtMs : null;
  return (
    <section aria-labelledby="home-title">
      <h2 id="home-title" tabIndex={-1}>
        {t('home.title')}
      </h2>
      {app.pending !== null && (
        <p className="warn" role="alert">
          <a href="#/dose">{t('home.pending')}</a>
        </p>
      )}
      {r === null ? (
        <p role="status">{app.readError === null ? t('home.reading') : t('home.noLink', { error: app.readError })}</p>
      ) : (
        <>
          <div className={working ? 'state ok' : 'state bad'} data-testid="pump-state" role="status">
            <strong>{working ? t('home.working') : t('home.notWorking')}</strong>
            {!working && <span>{t('home.notWorkingHelp')}</span>}
            <span>{t('home.mode', { mode: (MODES as readonly string[]).includes(r.status.therapy.mode) ? t(`mode.${r.status.therapy.mode}` as MessageKey) : r.status.therapy.mode })}</span>
          </div>
          <dl className="facts">
            <div>
              <dt>{t('home.today')}</dt>
              <dd data-testid="today-dose">{r.status.delivered === undefined ? t('home.unknown') : formatAmount(r.status.delivered.todayPg, drug)}</dd>
            </div>
            <div>
              <dt>{t('home.nextRefill')}</dt>
              <dd data-testid="next-refill">{date(r.patient.nextRefillByMs === null ? null : pumpUtcOf(r, r.patient.nextRefillByMs))}</dd>
            </div>
            <div>
              <dt>{t('home.replaceBy')}</dt>
              <dd data-testid="replace-by">{date(pumpUtcOf(r, r.patient.battery.replaceByMs))}</dd>
            </div>
            <div>
              <dt>{t('home.reservoir')}</dt>
              <dd>{formatVolume(r.patient.reservoir.volumeNl)}</dd>
            </div>
          </dl>
          {awayAtRefill !== undefined && refillMs !== null && (
            <p className="warn" data-testid="home-refill-away">
              <a href="#/travel">{t('travel.warnRefill', { date: date(refillMs) })}</a>
            </p>
          )}
          <p>
            <a href="#/alarms" className={alarms.length > 0 ? 'alarm-link has' : 'alarm-link'} data-testid="home-alarms">
              {alarms.length === 0 ? t('home.alarmsNone') : t('home.alarmsSome', { n: alarms.length })}
            </a>
          </p>
          {lockedUntil !== null && <Countdown untilPumpMs={lockedUntil} testId="home-countdown" />}
          <p className="small">{t('home.read', { time: formatPumpTime(pumpUtcOf(r, r.status.nowMs), offset, lang) })}</p>
        </>
      )}
      {app.readError !== null && r !== null && <p className="warn">{t('home.noLink', { error: app.readError })}</p>}
      <div className="actions">
        <a className="button primary big" href="#/dose" data-testid="home-request-dose">
          {t('home.requestDose')}
        </a>
        <button type="button" className="button" onClick={() => void app.refresh()} disabled={app.busyReading}>
          {app.busyReading ? t('home.reading') : t('home.refresh')}
        </button>
      </div>
    </section>
  );
}
