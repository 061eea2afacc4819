import { useState, type ReactNode } from 'react';
import { useI18n, type MessageKey } from '../i18n/index.ts';
import { adviceFor, OVERDOSE_SIGNS, WITHDRAWAL_SIGNS, type Advice, type Sign } from '../symptoms.ts';

const ADVICE: Record<Advice, MessageKey> = { emergency: 'sym.emergency', 'call-clinic': 'sym.callClinic', 'none-ticked': 'sym.noneTicked' };

export function SymptomsScreen(): ReactNode {
  const { t } = useI18n();
  const [ticked, setTicked] = useState<ReadonlySet<Sign>>(new Set());
  const [advice, setAdvice] = useState<Advice | null>(null);
  const toggle = (s: Sign) => {
    const next = new Set(ticked);
    if (next.has(s)) next.delete(s);
    else next.add(s);
    setTicked(next);
    setAdvice(null);
  };
  const group = (legend: MessageKey, signs: readonly Sign[]) => (
    <fieldset>
      <legend>{t(legend)}</legend>
      {signs.map((s) => (
        <label key={s} className="check">
          <input type="checkbox" checked={ticked.has(s)} onChange={() => toggle(s)} data-testid={`sym-${s}`} />
          <span>{t(`sym.${s}` as MessageKey)}</span>
        </label>
      ))}
    </fieldset>
  );
  return (
    <section aria-labelledby="sym-title">
      <h2 id="sym-title" tabIndex={-1}>
        {t('sym.title')}
      </h2>
      <p>{t('sym.intro')}</p>
      {group('sym.groupWithdrawal', WITHDRAWAL_SIGNS)}
      {group('sym.groupOverdose', OVERDOSE_SIGNS)}
      <button type="button" className="button primary big" data-testid="sym-check" onClick={() => setAdvice(adviceFor(ticked))}>
        {t('sym.check')}
      </button>
      <div role="status" aria-live="assertive" data-testid="sym-advice" data-advice={advice ?? ''}>
        {advice !== null && <p className={advice === 'emergency' ? 'result emergency' : 'result'}>{t(ADVICE[advice])}</p>}
      </div>
      <p className="small">{t('sym.never')}</p>
    </section>
  );
}
