/**
 * The clinician programmer: sign in to the clinic (optional: work goes on offline and uploads
 * wait), connect to a pump, pair with the magnet, interrogate, then the workflows and the Finish
 * screen. After every finished session the programmer queues an upload of the interrogation and
 * the session report (PDF).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { currentUser, signIn, signOut, type SignedIn } from './clinic-api.ts';
import { Finish, type Proposal } from './Finish.tsx';
import { PumpLink, clearJournal, readJournal, type Interrogated, type Journal } from './pump-link.ts';
import { Summary } from './Summary.tsx';
import { queueSession } from './session-upload.ts';
import { discardUpload, flushQueue, listQueue, onQueueChange, retryUpload, type QueuedUpload } from './upload-queue.ts';
import { RefusedUploads } from './RefusedUploads.tsx';
import {
  AlarmsWorkflow,
  ClinicianBolusWorkflow,
  MriWorkflow,
  PrescriptionWorkflow,
  PrimingWorkflow,
  RefillWorkflow,
  ReplacementWorkflow,
  TherapyWorkflow,
  WORKFLOWS,
  type WorkflowId,
} from './workflows.tsx';

type Screen = { s: 'connect' } | { s: 'summary' } | { s: 'workflow'; id: WorkflowId } | { s: 'finish'; proposal: Proposal; from: WorkflowId };

function defaultPumpUrl(): string {
  const q = new URLSearchParams(location.search).get('pump');
  return q ?? `ws://${location.hostname || '127.0.0.1'}:7001/radio`;
}

export function App() {
  const [user, setUser] = useState<SignedIn | null>(currentUser);
  const [screen, setScreen] = useState<Screen>({ s: 'connect' });
  const [link, setLink] = useState<PumpLink | null>(null);
  const [data, setData] = useState<Interrogated | null>(null);
  /** The interrogation the visit began with: the report compares the end with it. */
  const [atStart, setAtStart] = useState<Interrogated | null>(null);
  const [interrupted, setInterrupted] = useState<Journal | null>(null);
  const [done, setDone] = useState<string[]>([]);
  const [queue, setQueue] = useState({ waiting: 0, rejected: 0, lastError: null as string | null });
  const [refused, setRefused] = useState<QueuedUpload[]>([]);
  const main = useRef<HTMLElement>(null);

  const refreshQueue = useCallback(() => {
    void listQueue()
      .then((q) => {
        setQueue({ waiting: q.filter((i) => i.state === 'waiting').length, rejected: q.filter((i) => i.state === 'rejected').length, lastError: q.find((i) => i.lastError !== null)?.lastError ?? null });
        setRefused(q.filter((i) => i.state === 'rejected'));
      })
      .catch(() => {});
  }, []);
  useEffect(() => {
    refreshQueue();
    const off = onQueueChange(refreshQueue);
    const retry = () => void flushQueue().catch(() => {});
    const timer = setInterval(retry, 10_000);
    window.addEventListener('online', retry);
    retry();
    return () => {
      off();
      clearInterval(timer);
      window.removeEventListener('online', retry);
    };
  }, [refreshQueue]);

  useEffect(() => {
    main.current?.querySelector<HTMLElement>('section:not([hidden]) h2')?.focus();
  }, [screen.s]);
  const wfId: WorkflowId | null = screen.s === 'workflow' ? screen.id : screen.s === 'finish' ? screen.from : null;

  const connected = async (l: PumpLink, d: Interrogated) => {
    setLink(l);
    // Shown once, in this session: the summary below it is the pump's real state read just now.
    setInterrupted(readJournal(d.status.serial));
    clearJournal(d.status.serial);
    setData(d);
    setAtStart(d);
    setDone([]);
    setScreen({ s: 'summary' });
  };

  const finishSession = async () => {
    if (link === null || data === null) return;
    try {
      const fresh = await link.interrogate();
      await queueSession(link, fresh, done, atStart ?? data);
      await link.end();
    } catch {
      link.close();
    }
    clearJournal(data.status.serial);
    setLink(null);
    setData(null);
    setInterrupted(null);
    setScreen({ s: 'connect' });
    void flushQueue().catch(() => {});
  };

  return (
    <>
      <header className="top">
        <h1>Thecal clinician programmer</h1>
        <p className="disclaimer">A simulator and reference implementation, not a medical device.</p>
        <SignInBox user={user} onChange={setUser} />
        <p role="status" className="queue" data-testid="queue">
          Uploads waiting: {queue.waiting}
          {queue.rejected > 0 && `, refused by the server: ${queue.rejected}`}
          {queue.waiting > 0 && queue.lastError !== null && ` (last try: ${queue.lastError})`}
        </p>
        <RefusedUploads items={refused} onRetry={(id) => void retryUpload(id).catch(() => {})} onDiscard={(id) => void discardUpload(id).catch(() => {})} />
      </header>
      {data !== null && link !== null && (
        <nav aria-label="Workflows" className="workflows">
          <button type="button" aria-current={screen.s === 'summary' ? 'page' : undefined} onClick={() => setScreen({ s: 'summary' })}>
            Summary
          </button>
          {WORKFLOWS.map((w) => (
            <button key={w.id} type="button" aria-current={screen.s === 'workflow' && screen.id === w.id ? 'page' : undefined} onClick={() => setScreen({ s: 'workflow', id: w.id })}>
              {w.title}
            </button>
          ))}
          <button type="button" className="end" onClick={() => void finishSession()}>
            End session and upload
          </button>
        </nav>
      )}
      <main ref={main}>
        {screen.s === 'connect' && <Connect onConnected={(l, d) => void connected(l, d)} />}
        {data !== null && link !== null && screen.s === 'summary' && <Summary data={data} interrupted={interrupted} signedInAs={user?.username ?? null} />}
        {data !== null && link !== null && wfId !== null && (
          // Kept (hidden) while its Finish screen shows, so "Back" returns to the form as it was typed.
          <section key={wfId} aria-labelledby="wf-title" hidden={screen.s !== 'workflow'}>
            <h2 id="wf-title" tabIndex={-1}>
              {WORKFLOWS.find((w) => w.id === wfId)?.title}
            </h2>
            <WorkflowBody id={wfId} data={data} onPropose={(proposal) => setScreen({ s: 'finish', proposal, from: wfId })} />
          </section>
        )}
        {data !== null && link !== null && screen.s === 'finish' && (
          <Finish
            link={link}
            data={data}
            proposal={screen.proposal}
            onBack={() => setScreen({ s: 'workflow', id: screen.from })}
            onDone={(after, outcome) => {
              if (after === null) {
                link.close();
                setLink(null);
                setData(null);
                setScreen({ s: 'connect' });
                return;
              }
              setDone([...done, `${screen.proposal.workflow}: ${outcome}`]);
              setInterrupted(null);
              setData(after);
              setScreen({ s: 'summary' });
            }}
          />
        )}
      </main>
    </>
  );
}

function WorkflowBody(props: { id: WorkflowId; data: Interrogated; onPropose: (p: Proposal) => void }) {
  const p = { data: props.data, onPropose: props.onPropose };
  switch (props.id) {
    case 'refill':
      return <RefillWorkflow {...p} />;
    case 'prescription':
      return <PrescriptionWorkflow {...p} />;
    case 'patient-bolus':
      return <PrescriptionWorkflow {...p} patientBolusOnly />;
    case 'clinician-bolus':
      return <ClinicianBolusWorkflow {...p} />;
    case 'priming':
      return <PrimingWorkflow {...p} />;
    case 'alarms':
      return <AlarmsWorkflow {...p} />;
    case 'mri':
      return <MriWorkflow {...p} />;
    case 'replacement':
      return <ReplacementWorkflow {...p} />;
    case 'therapy':
      return <TherapyWorkflow {...p} />;
  }
}

function SignInBox(props: { user: SignedIn | null; onChange: (u: SignedIn | null) => void }) {
  const [name, setName] = useState('clinician');
  const [pw, setPw] = useState('');
  const [err, setErr] = useState<string | null>(null);
  if (props.user !== null)
    return (
      <p className="signin">
        Signed in to the clinic as {props.user.username}.{' '}
        <button type="button" className="secondary" onClick={() => {
          signOut();
          props.onChange(null);
        }}>
          Sign out
        </button>
      </p>
    );
  return (
    <form className="signin" aria-label="Sign in to the clinic server" onSubmit={(e) => {
      e.preventDefault();
      signIn(name, pw).then((u) => {
        setErr(null);
        props.onChange(u);
        void flushQueue().catch(() => {});
      }, (x: unknown) => setErr(x instanceof Error ? x.message : String(x)));
    }}>
      <label>
        User <input name="username" value={name} onChange={(e) => setName(e.target.value)} autoComplete="username" />
      </label>
      <label>
        Password <input name="password" type="password" value={pw} onChange={(e) => setPw(e.target.value)} autoComplete="current-password" />
      </label>
      <button type="submit">Sign in</button>
      {err !== null && <span role="alert">{err}</span>}
    </form>
  );
}

function Connect(props: { onConnected: (l: PumpLink, d: Interrogated) => void }) {
  const [url, setUrl] = useState(defaultPumpUrl);
  const [msg, setMsg] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [code, setCode] = useState<string | null>(null);
  const connect = async () => {
    setBusy(true);
    setMsg(null);
    const l = new PumpLink(url);
    try {
      if (!l.paired) {
        setMsg('Pairing: the pump accepts pairing only while the magnet is over it.');
        const c = await l.pair('Thecal programmer');
        setCode(c);
      }
      await l.open();
      const d = await l.interrogate();
      props.onConnected(l, d);
    } catch (e) {
      l.close();
      setMsg(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const magnet = async () => {
    try {
      await new PumpLink(url).simulateMagnet();
      setMsg('Magnet placed (simulator): the pump is open for pairing for 60 s. Now connect.');
    } catch (e) {
      setMsg(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <section aria-labelledby="connect-title">
      <h2 id="connect-title" tabIndex={-1}>
        Connect to a pump
      </h2>
      <form onSubmit={(e) => {
        e.preventDefault();
        void connect();
      }}>
        <div className="field">
          <label htmlFor="pump-url">Pump address (communicator)</label>
          <input id="pump-url" name="pump-url" value={url} onChange={(e) => setUrl(e.target.value)} />
        </div>
        <p>
          The first connection pairs the programmer with the pump. On a real pump you hold the programmer's magnet over the implanted pump: that physical signal opens pairing for a minute. Here the virtual pump stands in for it:
        </p>
        <button type="button" className="secondary" onClick={() => void magnet()}>
          Hold the magnet over the pump (simulator)
        </button>{' '}
        <button type="submit" disabled={busy}>
          {busy ? 'Connecting...' : 'Connect and interrogate'}
        </button>
      </form>
      {code !== null && <p role="status">Paired. Check that the pump shows the code {code}.</p>}
      {msg !== null && (
        <p role="alert" className="message">
          {msg}
        </p>
      )}
    </section>
  );
}
