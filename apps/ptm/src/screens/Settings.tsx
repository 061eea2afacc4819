import { useState, type FormEvent, type ReactNode } from 'react';
import { useI18n } from '../i18n/index.ts';
import { useApp } from '../state.ts';
import { signIn } from '../clinic-api.ts';
import { PairScreen } from './Pair.tsx';

export function SettingsScreen(): ReactNode {
  const { t } = useI18n();
  const app = useApp();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [note, setNote] = useState('');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const r = await signIn(username, password);
      if ('notPatient' in r) {
        setNote(t('settings.notPatient', { user: username }));
        return;
      }
      app.setClinic(r);
      setPassword('');
      setNote(t('settings.signedIn', { user: r.username }));
    } catch (err) {
      setNote(t('settings.signInFailed', { error: err instanceof Error ? err.message : String(err) }));
    }
  };

  return (
    <section aria-labelledby="settings-title">
      <h2 id="settings-title" tabIndex={-1}>
        {t('settings.title')}
      </h2>
      <h3>{t('settings.clinic')}</h3>
      {app.clinic !== null ? (
        <>
          <p data-testid="clinic-signed-in">{t('settings.signedIn', { user: app.clinic.username })}</p>
          <button type="button" className="button" onClick={() => app.setClinic(null)}>
            {t('settings.signOut')}
          </button>
        </>
      ) : (
        <form onSubmit={(e) => void submit(e)}>
          <p>{t('settings.clinicHelp')}</p>
          <label className="field">
            <span>{t('settings.username')}</span>
            <input type="text" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} data-testid="clinic-username" autoCapitalize="off" />
          </label>
          <label className="field">
            <span>{t('settings.password')}</span>
            <input type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} data-testid="clinic-password" />
          </label>
          <button type="submit" className="button primary big" data-testid="clinic-sign-in">
            {t('settings.signIn')}
          </button>
        </form>
      )}
      <p role="status" aria-live="polite" data-testid="settings-note">
        {note}
      </p>
      <h3>{t('settings.pump')}</h3>
      {app.credential !== null ? (
        <>
          <p data-testid="paired-with">{t('pair.paired', { serial: app.credential.pumpSerial })}</p>
          <p className="small">{app.radioUrl}</p>
          <button type="button" className="button" onClick={() => app.adoptCredential(null)}>
            {t('pair.forget')}
          </button>
        </>
      ) : (
        <PairScreen />
      )}
      <p className="small">{t('settings.install')}</p>
    </section>
  );
}
