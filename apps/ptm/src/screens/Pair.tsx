import { useState, type FormEvent, type ReactNode } from 'react';
import { PumpError, type Credential, type WebSocketConstructor } from '@thecal/protocol';
import { useI18n } from '../i18n/index.ts';
import { useApp } from '../state.ts';
import { PumpLink, controlUrlFor } from '../pump-link.ts';

const MAGNET_SECONDS = 60;

export function PairScreen(): ReactNode {
  const { t } = useI18n();
  const app = useApp();
  const [address, setAddress] = useState(app.radioUrl);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [paired, setPaired] = useState<{ credential: Credential; code: string } | null>(null);

  const magnet = async () => {
    try {
      const res = await fetch(`${controlUrlFor(address)}/magnet?seconds=${MAGNET_SECONDS}`, { method: 'POST' });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      setNote(t('pair.magnetOk', { s: MAGNET_SECONDS }));
    } catch (e) {
      setNote(t('pair.magnetFail', { error: e instanceof Error ? e.message : String(e) }));
    }
  };

  const connect = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setNote(t('pair.connecting'));
    const link = new PumpLink(address, null, WebSocket as unknown as WebSocketConstructor);
    try {
      const r = await link.pair('Thecal PTM');
      app.setRadioUrl(address);
      setPaired(r);
      setNote(t('pair.code', { code: r.code }));
    } catch (err) {
      setNote(err instanceof PumpError && err.code === 'pairing-not-allowed' ? t('pair.notAllowed') : t('pair.failed', { error: err instanceof Error ? err.message : String(err) }));
    } finally {
      link.close();
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="pair-title">
      <h2 id="pair-title" tabIndex={-1}>
        {t('pair.title')}
      </h2>
      <p>{t('pair.intro')}</p>
      {paired === null ? (
        <form onSubmit={(e) => void connect(e)}>
          <label className="field">
            <span>{t('pair.address')}</span>
            <input type="url" value={address} onChange={(e) => setAddress(e.target.value)} aria-describedby="addr-help" data-testid="pair-address" spellCheck={false} autoCapitalize="off" />
          </label>
          <p id="addr-help" className="small">
            {t('pair.addressHelp')}
          </p>
          <div className="sim" role="group" aria-labelledby="sim-title">
            <h3 id="sim-title">{t('pair.simTitle')}</h3>
            <p>{t('pair.simHelp')}</p>
            <button type="button" className="button" onClick={() => void magnet()} data-testid="pair-magnet">
              {t('pair.magnet')}
            </button>
          </div>
          <button type="submit" className="button primary big" disabled={busy} data-testid="pair-connect">
            {t('pair.connect')}
          </button>
        </form>
      ) : (
        <button type="button" className="button primary big" data-testid="pair-continue" onClick={() => app.adoptCredential(paired.credential)}>
          {t('pair.continue')}
        </button>
      )}
      <p role="status" aria-live="polite" data-testid="pair-note">
        {note}
      </p>
    </section>
  );
}
