import { useState, type ReactNode } from 'react';
import { ALARM_CODES, ALARM_KINDS, type AlarmCode } from '@thecal/pump-core';
import { refusalOf } from '@thecal/protocol';
import { useI18n, type MessageKey } from '../i18n/index.ts';
import { pumpOffsetOf, pumpUtcOf, useApp } from '../state.ts';
import { formatPumpDate, formatPumpTime } from '../format.ts';
import { playTone, type TonePattern } from '../tones.ts';

const isAlarmCode = (c: string): c is AlarmCode => (ALARM_CODES as readonly string[]).includes(c);

export function AlarmExplanation({ code, headingLevel = 3 }: { code: AlarmCode; headingLevel?: 3 | 4 }): ReactNode {
  const { t } = useI18n();
  const H = headingLevel === 3 ? 'h3' : 'h4';
  const kind = ALARM_KINDS[code];
  const k = (part: 'what' | 'urgency' | 'todo') => `alarm.${code}.${part}` as MessageKey;
  return (
    <div className={`alarm ${kind}`} data-testid={`alarm-${code}`}>
      <H>{t(k('what'))}</H>
      <dl>
        <dt>{t('alarms.sound')}</dt>
        <dd>{t(kind === 'critical' ? 'alarms.critical' : 'alarms.nonCritical')}</dd>
        <dt>{t('alarms.urgency')}</dt>
        <dd>{t(k('urgency'))}</dd>
        <dt>{t('alarms.todo')}</dt>
        <dd>{t(k('todo'))}</dd>
        <dt>{t('alarms.call')}</dt>
        <dd>
          {t('alarm.whoClinic')} {kind === 'critical' ? t('alarm.whoEmergency') : ''}
        </dd>
      </dl>
    </div>
  );
}

export function AlarmsScreen(): ReactNode {
  const { t, lang } = useI18n();
  const app = useApp();
  const [playing, setPlaying] = useState<TonePattern | null>(null);
  const [note, setNote] = useState<string>('');
  const active = app.reading?.status.alarms ?? [];
  const offset = pumpOffsetOf(app.reading);
  const raisedText = (pumpMs: number) => {
    const utc = pumpUtcOf(app.reading, pumpMs);
    return `${formatPumpDate(utc, offset, lang)} ${formatPumpTime(utc, offset, lang)}`;
  };

  const play = async (p: TonePattern) => {
    setPlaying(p);
    const ok = await playTone(p).catch(() => false);
    if (!ok) setNote(t('alarms.noAudio'));
    setPlaying(null);
  };

  const silence = async (code: string) => {
    if (app.link === null) return;
    try {
      const res = await app.link.clearAlarm(code);
      setNote(res.status === 'ok' ? t('alarms.silenced') : t('dose.refused', { message: refusalOf(res).message }));
    } catch (e) {
      setNote(t('common.error', { error: e instanceof Error ? e.message : String(e) }));
    }
    await app.refresh();
  };

  return (
    <section aria-labelledby="alarms-title">
      <h2 id="alarms-title" tabIndex={-1}>
        {t('alarms.title')}
      </h2>
      <h3>{t('alarms.active')}</h3>
      {app.credential === null ? (
        <p>
          <a href="#/home">{t('pair.title')}</a>
        </p>
      ) : active.length === 0 ? (
        <p data-testid="alarms-none">{app.reading === null ? t('home.reading') : t('alarms.none')}</p>
      ) : (
        <ul className="alarm-list" data-testid="alarms-active">
          {active.map((a) => (
            <li key={a.code}>
              {isAlarmCode(a.code) ? <AlarmExplanation code={a.code} headingLevel={4} /> : <p>{t('alarm.other', { code: a.code })}</p>}
              {typeof a.raisedAtMs === 'number' && (
                <p className="small">{t('alarms.raised', { time: raisedText(a.raisedAtMs) })}</p>
              )}
              {!a.critical &&
                (a.acknowledged === true ? (
                  <p className="small">{t('alarms.acknowledged')}</p>
                ) : (
                  <button type="button" className="button" data-testid={`silence-${a.code}`} onClick={() => void silence(a.code)}>
                    {t('alarms.silence')}
                  </button>
                ))}
            </li>
          ))}
        </ul>
      )}
      <p role="status" aria-live="polite" data-testid="alarms-note">
        {note}
      </p>

      <h3>{t('alarms.learnTitle')}</h3>
      <p>{t('alarms.learnHelp')}</p>
      <div className="actions">
        <button type="button" className="button big" data-testid="play-critical" disabled={playing !== null} onClick={() => void play('critical')}>
          {t('alarms.playCritical')}
        </button>
        <button type="button" className="button big" data-testid="play-non-critical" disabled={playing !== null} onClick={() => void play('non-critical')}>
          {t('alarms.playNonCritical')}
        </button>
      </div>

      <details>
        <summary>{t('alarms.all')}</summary>
        {ALARM_CODES.map((c) => (
          <AlarmExplanation key={c} code={c} headingLevel={4} />
        ))}
      </details>
    </section>
  );
}
