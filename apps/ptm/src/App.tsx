import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { Credential, WebSocketConstructor } from '@thecal/protocol';
import { I18nContext, LANGS, initialLang, translator, useI18n, type I18n, type Lang, type MessageKey } from './i18n/index.ts';
import { AppContext, SCREENS, useApp, type AppState, type PumpReading, type Screen } from './state.ts';
import { PumpClock } from './pump-clock.ts';
import { PumpLink, defaultRadioUrl, storage, type PendingBolus } from './pump-link.ts';
import { Outbox } from './outbox.ts';
import { clinicSender, type ClinicSession } from './clinic-api.ts';
import type { Absence } from './travel.ts';
import { HomeScreen } from './screens/Home.tsx';
import { DoseScreen } from './screens/Dose.tsx';
import { AlarmsScreen } from './screens/Alarms.tsx';
import { SymptomsScreen } from './screens/Symptoms.tsx';
import { TravelScreen } from './screens/Travel.tsx';
import { ReportScreen } from './screens/Report.tsx';
import { SettingsScreen } from './screens/Settings.tsx';
import { PairScreen } from './screens/Pair.tsx';

const store = window.localStorage;
const LANG_KEY = 'thecal-ptm.lang';
const CLINIC_KEY = 'thecal-ptm.clinic';
const ABSENCES_KEY = 'thecal-ptm.absences';
/** While a screen shows pump data, it is read again this often. */
const POLL_MS = 10_000;
const FLUSH_RETRY_MS = 30_000;
const CLOCK_SECOND_READ_MS = 1_500;

const NAV: readonly { screen: Screen; label: MessageKey; icon: string }[] = [
  { screen: 'home', label: 'nav.home', icon: '⌂' },
  { screen: 'dose', label: 'nav.dose', icon: '+' },
  { screen: 'alarms', label: 'nav.alarms', icon: '!' },
  { screen: 'symptoms', label: 'nav.symptoms', icon: '?' },
  { screen: 'travel', label: 'nav.travel', icon: '✈' },
  { screen: 'report', label: 'nav.report', icon: '▤' },
];

function screenFromHash(hash: string): Screen {
  const s = hash.replace(/^#\/?/, '');
  return (SCREENS as readonly string[]).includes(s) ? (s as Screen) : 'home';
}

function readJson<T>(key: string, fallback: T): T {
  try {
    const raw = store.getItem(key);
    return raw === null ? fallback : ((JSON.parse(raw) as T | null) ?? fallback);
  } catch {
    return fallback;
  }
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export function App(): ReactNode {
  const [lang, setLangState] = useState<Lang>(() => initialLang(store.getItem(LANG_KEY), navigator.language));
  const i18n = useMemo<I18n>(
    () => ({
      lang,
      t: translator(lang),
      setLang: (l) => {
        store.setItem(LANG_KEY, l);
        setLangState(l);
      },
    }),
    [lang],
  );
  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = i18n.t('app.title');
  }, [lang, i18n]);

  const [online, setOnline] = useState(() => navigator.onLine);
  const [screen, setScreen] = useState<Screen>(() => screenFromHash(location.hash));
  const [radioUrl, setRadioUrlState] = useState(() => new URLSearchParams(location.search).get('pump') ?? storage.radioUrl(store) ?? defaultRadioUrl(location));
  const [credential, setCredential] = useState<Credential | null>(() => storage.credential(store));
  const [reading, setReading] = useState<PumpReading | null>(null);
  const [readError, setReadError] = useState<string | null>(null);
  const [busyReading, setBusyReading] = useState(false);
  const [pending, setPendingState] = useState<PendingBolus | null>(() => storage.pending(store));
  const [clinic, setClinicState] = useState<ClinicSession | null>(() => readJson<ClinicSession | null>(CLINIC_KEY, null));
  const outbox = useMemo(() => new Outbox(store), []);
  const [outboxCount, setOutboxCount] = useState(() => outbox.items().length);
  const [absences, setAbsences] = useState<(Absence & { sent: boolean })[]>(() => readJson(ABSENCES_KEY, []));
  const clock = useMemo(() => new PumpClock(), []);

  const link = useMemo(() => (credential === null ? null : new PumpLink(radioUrl, credential, WebSocket as unknown as WebSocketConstructor)), [radioUrl, credential]);
  useEffect(() => {
    // Read-only counters (round trips, retries, outcome queries) for the end-to-end tests and the benchmark.
    (window as unknown as { thecalPtmStats?: () => unknown }).thecalPtmStats = () => (link === null ? null : { ...link.stats });
    return () => link?.close();
  }, [link]);

  useEffect(() => {
    const onHash = () => setScreen(screenFromHash(location.hash));
    const on = () => setOnline(true);
    const off = () => setOnline(false);
    window.addEventListener('hashchange', onHash);
    window.addEventListener('online', on);
    window.addEventListener('offline', off);
    return () => {
      window.removeEventListener('hashchange', onHash);
      window.removeEventListener('online', on);
      window.removeEventListener('offline', off);
    };
  }, []);

  const go = useCallback((s: Screen) => {
    location.hash = `#/${s}`;
    setScreen(s);
  }, []);

  // One reading at a time: with the pump out of reach a reading can outlast the poll interval.
  const readingNow = useRef(false);
  const refresh = useCallback(async () => {
    if (link === null || readingNow.current) return;
    readingNow.current = true;
    setBusyReading(true);
    try {
      const status = await link.status();
      const patient = await link.patientStatus();
      const now = Date.now();
      clock.observe(status.nowMs, now);
      setReading({ status, patient, readAtWallMs: now });
      setReadError(null);
    } catch (e) {
      setReadError(message(e));
    } finally {
      readingNow.current = false;
      setBusyReading(false);
    }
  }, [link, clock]);

  useEffect(() => {
    if (link === null) return;
    void refresh();
    // A second reading soon after the first lets the countdown learn the pump clock's pace.
    const second = setTimeout(() => {
      if (!clock.learned) void refresh();
    }, CLOCK_SECOND_READ_MS);
    if (screen !== 'home' && screen !== 'dose' && screen !== 'alarms') return () => clearTimeout(second);
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void refresh();
    }, POLL_MS);
    return () => {
      clearTimeout(second);
      clearInterval(timer);
    };
  }, [link, screen, refresh, clock]);

  const flush = useCallback(async () => {
    if (clinic === null || !navigator.onLine) return;
    await outbox.flush(clinicSender(clinic));
    const left = new Set(outbox.items().map((i) => i.id));
    setOutboxCount(left.size);
    setAbsences((prev) => {
      const next = prev.map((a) => ({ ...a, sent: !left.has(a.clientId) }));
      store.setItem(ABSENCES_KEY, JSON.stringify(next));
      return next;
    });
  }, [clinic, outbox]);
  useEffect(() => {
    if (!online) return;
    void flush();
    // A server that was down, or a sign-in that came later: try again now and then while items wait.
    const timer = setInterval(() => {
      if (outbox.items().length > 0) void flush();
    }, FLUSH_RETRY_MS);
    return () => clearInterval(timer);
  }, [online, flush, outbox]);

  const state: AppState = {
    online,
    screen,
    go,
    radioUrl,
    setRadioUrl: (url) => {
      storage.saveRadioUrl(store, url);
      setRadioUrlState(url);
    },
    credential,
    link,
    adoptCredential: (c) => {
      storage.saveCredential(store, c);
      setReading(null);
      setCredential(c);
    },
    reading,
    readError,
    busyReading,
    refresh,
    clock,
    pending,
    setPending: (p) => {
      storage.savePending(store, p);
      setPendingState(p);
    },
    clinic,
    setClinic: (s) => {
      store.setItem(CLINIC_KEY, JSON.stringify(s));
      setClinicState(s);
    },
    outbox,
    outboxCount,
    queueForClinic: (kind, id, path, body) => {
      outbox.add({ id, kind, path, body, queuedAtMs: Date.now() });
      setOutboxCount(outbox.items().length);
      void flush();
    },
    absences,
    addAbsence: (a) => {
      setAbsences((prev) => {
        const next = [...prev, { ...a, sent: false }];
        store.setItem(ABSENCES_KEY, JSON.stringify(next));
        return next;
      });
    },
  };

  const needsPump = screen === 'home' || screen === 'dose';
  return (
    <I18nContext.Provider value={i18n}>
      <AppContext.Provider value={state}>
        <Shell>{needsPump && credential === null ? <PairScreen /> : <CurrentScreen screen={screen} />}</Shell>
      </AppContext.Provider>
    </I18nContext.Provider>
  );
}

function CurrentScreen({ screen }: { screen: Screen }): ReactNode {
  switch (screen) {
    case 'home':
      return <HomeScreen />;
    case 'dose':
      return <DoseScreen />;
    case 'alarms':
      return <AlarmsScreen />;
    case 'symptoms':
      return <SymptomsScreen />;
    case 'travel':
      return <TravelScreen />;
    case 'report':
      return <ReportScreen />;
    case 'settings':
      return <SettingsScreen />;
  }
}

function Shell({ children }: { children: ReactNode }): ReactNode {
  const { t, lang, setLang } = useI18n();
  const app = useApp();
  const mainRef = useRef<HTMLElement>(null);
  // Moving focus to the new screen's heading tells a screen-reader user the screen changed.
  useEffect(() => {
    mainRef.current?.querySelector('h2')?.focus();
  }, [app.screen]);
  return (
    <>
      <a className="skip" href="#main">
        {t('app.skip')}
      </a>
      <header className="top">
        <h1>{t('app.title')}</h1>
        <span className="top-spacer" />
        <a href="#/settings" className="settings-link" aria-current={app.screen === 'settings' ? 'page' : undefined} data-testid="nav-settings">
          <span aria-hidden="true">⚙</span>
          <span className="sr-only">{t('nav.settings')}</span>
        </a>
        <label className="lang">
          <span className="sr-only">{t('lang.label')}</span>
          <select value={lang} onChange={(e) => setLang(e.target.value as Lang)} aria-label={t('lang.label')}>
            {LANGS.map((l) => (
              <option key={l.id} value={l.id} lang={l.id}>
                {l.name}
              </option>
            ))}
          </select>
        </label>
      </header>
      <div role="status" aria-live="polite" className={app.online ? 'net net-hidden' : 'net net-offline'} data-testid="network">
        {app.online ? '' : t('net.offline')}
      </div>
      {app.outboxCount > 0 && (
        <p className="pending-note" data-testid="outbox">
          {t('net.pending', { n: app.outboxCount })}
          {app.outbox
            .items()
            .filter((i) => i.lastError?.startsWith('refused:') === true)
            .map((i) => (
              <span key={i.id} className="block">
                {t('net.refused', { error: (i.lastError ?? '').replace(/^refused: /, '') })}
              </span>
            ))}
        </p>
      )}
      <main id="main" ref={mainRef} tabIndex={-1}>
        {children}
      </main>
      <nav className="tabs" aria-label={t('nav.label')}>
        <ul>
          {NAV.map((n) => (
            <li key={n.screen}>
              <a href={`#/${n.screen}`} aria-current={app.screen === n.screen ? 'page' : undefined} data-testid={`nav-${n.screen}`}>
                <span aria-hidden="true" className="icon">
                  {n.icon}
                </span>
                <span>{t(n.label)}</span>
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <footer className="disclaimer">{t('app.notDevice')}</footer>
    </>
  );
}
