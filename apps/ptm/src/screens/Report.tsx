import { useState, type ReactNode } from 'react';
import { useI18n, type MessageKey } from '../i18n/index.ts';
import { useApp } from '../state.ts';
import { buildUsageReport, type Counts, type UsageReport } from '../usage.ts';
import { formatPumpDate, formatVolume } from '../format.ts';
import { isExplained } from '../bolus-answer.ts';

export function ReportScreen(): ReactNode {
  const { t, lang } = useI18n();
  const app = useApp();
  const [days, setDays] = useState(7);
  const [report, setReport] = useState<UsageReport | null>(null);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState('');

  const make = async () => {
    if (app.link === null) return;
    setBusy(true);
    setNote('');
    try {
      const status = await app.link.status();
      const log = await app.link.therapyLog(1);
      const s = status as { pumpUtcMs?: number; utcOffsetMs?: number; nowMs: number; serial: string };
      setReport(
        buildUsageReport({
          clientId: crypto.randomUUID(),
          pumpSerial: s.serial,
          untilMs: s.pumpUtcMs ?? s.nowMs,
          days,
          utcOffsetMs: s.utcOffsetMs ?? 0,
          generatedAtMs: Date.now(),
          therapyLog: log,
        }),
      );
    } catch (e) {
      setNote(t('common.error', { error: e instanceof Error ? e.message : String(e) }));
    } finally {
      setBusy(false);
    }
  };

  const share = () => {
    if (report === null) return;
    app.queueForClinic('usage-report', report.clientId, 'usage-reports', report);
    setNote(t('report.shared'));
  };

  const reasonText = (code: string) => (isExplained(code) ? t(`reason.${code}` as MessageKey) : t('reason.other', { code }));
  return (
    <section aria-labelledby="report-title" className="report">
      <h2 id="report-title" tabIndex={-1}>
        {t('report.title')}
      </h2>
      <p>{t('report.intro')}</p>
      <div className="no-print">
        <fieldset>
          <legend>{t('report.days')}</legend>
          {[7, 30].map((d) => (
            <label key={d} className="check">
              <input type="radio" name="days" checked={days === d} onChange={() => setDays(d)} />
              <span>{t(d === 7 ? 'report.last7' : 'report.last30')}</span>
            </label>
          ))}
        </fieldset>
        {app.credential === null ? (
          <p>
            <a href="#/home">{t('pair.title')}</a>
          </p>
        ) : (
          <button type="button" className="button primary big" data-testid="report-make" onClick={() => void make()} disabled={busy}>
            {busy ? t('report.making') : t('report.make')}
          </button>
        )}
      </div>
      <p role="status" aria-live="polite" data-testid="report-note">
        {note}
      </p>
      {report !== null && (
        <div data-testid="report">
          <p className="small">{t('report.period', { from: formatPumpDate(report.fromMs, report.utcOffsetMs, lang), until: formatPumpDate(report.untilMs, report.utcOffsetMs, lang), serial: report.pumpSerial })}</p>
          <dl className="facts">
            <div>
              <dt>{t('report.requested')}</dt>
              <dd data-testid="report-requested">{report.totals.requested}</dd>
            </div>
            <div>
              <dt>{t('report.delivered')}</dt>
              <dd data-testid="report-delivered">{report.totals.delivered}</dd>
            </div>
            <div>
              <dt>{t('report.denied')}</dt>
              <dd data-testid="report-denied">{report.totals.denied}</dd>
            </div>
          </dl>
          <p>{t('report.total', { volume: formatVolume(report.deliveredNl) })}</p>
          {report.totals.requested === 0 ? (
            <p>{t('report.empty')}</p>
          ) : (
            <>
              <h3>{t('report.byReason')}</h3>
              <ul className="plain" data-testid="report-reasons">
                {Object.entries(report.deniedByReason).map(([code, n]) => (
                  <li key={code}>
                    {n} × {reasonText(code)}
                  </li>
                ))}
              </ul>
              <h3>{t('report.byHour')}</h3>
              <BarChart bars={report.perHour.map((c, h) => ({ label: String(h).padStart(2, '0'), counts: c }))} every={6} label={t('report.chartLabel')} testId="report-chart" />
              <Legend />
              <h3>{t('report.byDay')}</h3>
              <BarChart bars={report.perDay.map((d) => ({ label: d.date.slice(5), counts: d }))} every={report.perDay.length > 10 ? 7 : 2} label={t('report.dayChartLabel')} testId="report-day-chart" />
              <CountsTable first={t('report.day')} rows={report.perDay.filter((d) => d.requested > 0).map((d) => [d.date, d])} />
              <details>
                <summary>{t('report.byHour')}</summary>
                <CountsTable first={t('report.hour')} rows={report.perHour.map((c, h) => [`${String(h).padStart(2, '0')}:00`, c] as [string, Counts]).filter(([, c]) => c.requested > 0)} />
              </details>
            </>
          )}
          <div className="actions no-print">
            <button type="button" className="button primary big" data-testid="report-share" onClick={share}>
              {t('report.share')}
            </button>
            <button type="button" className="button" onClick={() => window.print()}>
              {t('report.print')}
            </button>
          </div>
        </div>
      )}
    </section>
  );
}

function Legend(): ReactNode {
  const { t } = useI18n();
  return (
    <p className="legend" aria-hidden="true">
      <span className="swatch delivered" /> {t('report.delivered')} <span className="swatch denied" /> {t('report.denied')}
    </p>
  );
}

/** Stacked bars (given below, refused above), drawn by hand: no chart library in the bundle. */
function BarChart({ bars, label, testId, every }: { bars: readonly { label: string; counts: Counts }[]; label: string; testId: string; every: number }): ReactNode {
  // A fixed drawing width keeps the labels the same size whatever the number of bars.
  const W = 288;
  const step = W / Math.max(1, bars.length);
  const H = 120;
  const max = Math.max(1, ...bars.map((b) => b.counts.requested));
  const scale = (n: number) => (n / max) * (H - 16);
  return (
    <svg viewBox={`0 0 ${W} ${H + 14}`} className="chart" role="img" aria-label={label} data-testid={testId}>
      {bars.map((b, i) => {
        const dh = scale(b.counts.delivered);
        const nh = scale(b.counts.denied);
        const x = i * step + step * 0.15;
        return (
          <g key={b.label}>
            <rect x={x} y={H - dh} width={step * 0.7} height={dh} className="bar-delivered" />
            <rect x={x} y={H - dh - nh} width={step * 0.7} height={nh} className="bar-denied" />
            {i % every === 0 && (
              <text x={x} y={H + 12} className="axis">
                {b.label}
              </text>
            )}
          </g>
        );
      })}
      <line x1={0} y1={H} x2={W} y2={H} className="axis-line" />
    </svg>
  );
}

function CountsTable({ first, rows }: { first: string; rows: [string, Counts][] }): ReactNode {
  const { t } = useI18n();
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">{first}</th>
          <th scope="col">{t('report.requested')}</th>
          <th scope="col">{t('report.delivered')}</th>
          <th scope="col">{t('report.denied')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([k, c]) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td>{c.requested}</td>
            <td>{c.delivered}</td>
            <td>{c.denied}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
