import { useEffect, useState, type ReactNode } from 'react';
import { useI18n } from '../i18n/index.ts';
import { useApp } from '../state.ts';
import { formatCountdown } from '../format.ts';

/**
 * A live countdown to a pump-clock instant (the next allowed dose). The digits change every second
 * for the eye; a screen reader hears it when it starts, at each whole minute and when it ends, not
 * every second. When it ends the app reads the pump again: the pump, not the countdown, decides.
 */
export function Countdown({ untilPumpMs, testId }: { untilPumpMs: number; testId: string }): ReactNode {
  const { t } = useI18n();
  const { clock, refresh } = useApp();
  const left = () => clock.wallUntil(untilPumpMs, Date.now()) ?? 0;
  const [ms, setMs] = useState(left);
  useEffect(() => {
    setMs(left());
    const timer = setInterval(() => setMs(left()), 250);
    return () => clearInterval(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [untilPumpMs]);
  const done = ms <= 0;
  useEffect(() => {
    if (done) void refresh();
  }, [done, refresh]);
  const minutesLeft = Math.ceil(ms / 60_000);
  return (
    <div className={done ? 'countdown done' : 'countdown'} data-testid={testId} data-remaining-ms={Math.round(ms)}>
      {done ? (
        <p>{t('dose.countdownDone')}</p>
      ) : (
        <p aria-hidden="true">
          {t('dose.countdown', { time: '' })}
          <span className="digits">
            {formatCountdown(ms)}
          </span>
        </p>
      )}
      <p className="sr-only" role="status" aria-live="polite" aria-atomic="true">
        {done ? t('dose.countdownDone') : t('dose.countdown', { time: `${minutesLeft} min` })}
      </p>
    </div>
  );
}
