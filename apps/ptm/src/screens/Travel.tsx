import { useState, type FormEvent, type ReactNode } from 'react';
import { useI18n } from '../i18n/index.ts';
import { pumpOffsetOf, pumpUtcOf, useApp } from '../state.ts';
import { dateInputToMs, formatPumpDate } from '../format.ts';
import { refillDuring, validAbsence, type Absence, type RefillCheck } from '../travel.ts';

const DAY_MS = 86_400_000;

export function TravelScreen(): ReactNode {
  const { t, lang } = useI18n();
  const app = useApp();
  const [kind, setKind] = useState<Absence['kind']>('travel');
  const [from, setFrom] = useState('');
  const [until, setUntil] = useState('');
  const [notes, setNotes] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [check, setCheck] = useState<RefillCheck | null>(null);
  const r = app.reading;
  const nextRefill = r === null || r.patient.nextRefillByMs === null ? null : pumpUtcOf(r, r.patient.nextRefillByMs);
  const fmt = (ms: number) => formatPumpDate(ms, pumpOffsetOf(r), lang);

  const save = (e: FormEvent) => {
    e.preventDefault();
    const fromMs = dateInputToMs(from);
    const lastDay = dateInputToMs(until);
    // The last day away counts in full: the absence ends at the next midnight.
    const untilMs = lastDay === null ? null : lastDay + DAY_MS;
    if (!validAbsence(fromMs, untilMs) || untilMs === null) {
      setError(t('travel.badDates'));
      setCheck(null);
      return;
    }
    setError(null);
    const absence: Absence = { clientId: crypto.randomUUID(), kind, fromMs, untilMs, notes: notes.trim() };
    app.addAbsence(absence);
    app.queueForClinic('absence', absence.clientId, 'app/absences', { clientId: absence.clientId, kind, fromMs, untilMs, notes: absence.notes });
    setCheck(refillDuring(absence, nextRefill));
    setFrom('');
    setUntil('');
    setNotes('');
  };

  return (
    <section aria-labelledby="travel-title">
      <h2 id="travel-title" tabIndex={-1}>
        {t('travel.title')}
      </h2>
      <p>{t('travel.intro')}</p>
      <form onSubmit={save} noValidate>
        <fieldset>
          <legend>{t('travel.kind')}</legend>
          <label className="check">
            <input type="radio" name="kind" checked={kind === 'travel'} onChange={() => setKind('travel')} />
            <span>{t('travel.kindTravel')}</span>
          </label>
          <label className="check">
            <input type="radio" name="kind" checked={kind === 'hospital-stay'} onChange={() => setKind('hospital-stay')} data-testid="travel-hospital" />
            <span>{t('travel.kindHospital')}</span>
          </label>
        </fieldset>
        <label className="field">
          <span>{t('travel.from')}</span>
          <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} required data-testid="travel-from" />
        </label>
        <label className="field">
          <span>{t('travel.until')}</span>
          <input type="date" value={until} onChange={(e) => setUntil(e.target.value)} required data-testid="travel-until" />
        </label>
        <label className="field">
          <span>{t('travel.notes')}</span>
          <input type="text" value={notes} maxLength={500} onChange={(e) => setNotes(e.target.value)} />
        </label>
        <button type="submit" className="button primary big" data-testid="travel-save">
          {t('travel.save')}
        </button>
      </form>
      <div role="status" aria-live="polite" data-testid="travel-result">
        {error !== null && <p className="warn">{error}</p>}
        {check !== null && (
          <>
            <p>{t('travel.saved')}</p>
            {check.kind === 'during' && (
              <p className="result emergency" data-testid="travel-warning">
                {t('travel.warnRefill', { date: fmt(check.refillMs) })}
              </p>
            )}
            {check.kind === 'clear' && <p>{t('travel.okRefill', { date: fmt(check.refillMs) })}</p>}
            {check.kind === 'unknown' && <p>{t('travel.noRefill')}</p>}
          </>
        )}
      </div>
      <h3>{t('travel.list')}</h3>
      {app.absences.length === 0 ? (
        <p>{t('travel.none')}</p>
      ) : (
        <ul className="plain" data-testid="travel-list">
          {app.absences.map((a) => (
            <li key={a.clientId}>
              {a.kind === 'travel' ? t('travel.kindTravel') : t('travel.kindHospital')}: {new Date(a.fromMs).toLocaleDateString(lang)} – {new Date(a.untilMs - DAY_MS).toLocaleDateString(lang)} ({a.sent ? t('travel.status.sent') : t('travel.status.queued')})
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
