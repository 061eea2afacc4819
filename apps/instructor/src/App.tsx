/**
 * The instructor page of a training run: the ground truth the trainee cannot see (the true
 * reservoir, the catheter, the patient, the injected faults, the true time), live from the virtual
 * pump's control port, a form to inject a fault, and the debrief: the timeline, what was detected
 * when, and what the trainee did against what was expected.
 */
import { useCallback, useEffect, useState } from 'react';
import { DebriefSchema, FAULT_EXAMPLES, TruthAnswerSchema, checkAnswer, parseFault, type Debrief, type TimelineEntry, type TruthAnswer as Truth } from '@thecal/control-port';
import { mL, mLPerDay, span, when } from './format.ts';

const POLL_MS = 1000;

export function App({ pumpUrl }: { pumpUrl: string | null }) {
  const [tab, setTab] = useState<'live' | 'debrief'>('live');
  const [truth, setTruth] = useState<Truth | null>(null);
  const [debrief, setDebrief] = useState<Debrief | null>(null);
  const [error, setError] = useState<string | null>(null);
  const base = pumpUrl?.replace(/\/$/, '') ?? null;

  const load = useCallback(async () => {
    if (base === null) return;
    try {
      const [t, d] = await Promise.all([fetch(`${base}/truth`).then((r) => r.json() as Promise<unknown>), fetch(`${base}/debrief`).then((r) => r.json() as Promise<unknown>)]);
      // Checked field by field before anything is shown: a wrong answer is named, never half-drawn.
      const truthAnswer = checkAnswer(TruthAnswerSchema, t);
      if (!truthAnswer.ok) throw new Error(`GET /truth answered something that is not ground truth: ${truthAnswer.errors.slice(0, 3).join('; ')}`);
      const debriefAnswer = checkAnswer(DebriefSchema, d);
      if (!debriefAnswer.ok) throw new Error(`GET /debrief answered something that is not a debrief: ${debriefAnswer.errors.slice(0, 3).join('; ')}`);
      setTruth(truthAnswer.value);
      setDebrief(debriefAnswer.value);
      setError(null);
    } catch (e) {
      setError(`cannot read the virtual pump at ${base}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }, [base]);

  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), POLL_MS);
    return () => clearInterval(timer);
  }, [load]);

  if (base === null) {
    return (
      <main>
        <section className="wide">
          <h2>No virtual pump</h2>
          <p>
            Open this page from the address <code>npx thecal train examples/training/&lt;file&gt;.json</code> prints: it ends in{' '}
            <code>?pump=http://127.0.0.1:PORT</code>.
          </p>
        </section>
      </main>
    );
  }
  return (
    <>
      <header>
        <h1>{truth?.training?.title ?? 'Training run'}: instructor view</h1>
        <p>Ground truth the trainee cannot see. A simulator, not a medical device.</p>
      </header>
      <nav aria-label="views">
        <button type="button" aria-pressed={tab === 'live'} onClick={() => setTab('live')}>
          Live
        </button>
        <button type="button" aria-pressed={tab === 'debrief'} onClick={() => setTab('debrief')}>
          Debrief
        </button>
      </nav>
      {error !== null && (
        <p role="alert" className="bad" style={{ padding: '0 1rem' }}>
          {error}
        </p>
      )}
      {truth !== null && tab === 'live' && <Live truth={truth} base={base} onInjected={load} />}
      {truth !== null && debrief !== null && tab === 'debrief' && <DebriefView debrief={debrief} />}
    </>
  );
}

function Live({ truth, base, onInjected }: { truth: Truth; base: string; onInjected: () => Promise<void> }) {
  const t = truth;
  const missing = t.trueReservoirNl - t.believedReservoirNl;
  return (
    <main>
      <section aria-labelledby="h-time">
        <h2 id="h-time">Time</h2>
        <dl>
          <dt>true time</dt>
          <dd data-testid="true-time">{when(t.trueMs)}</dd>
          <dt>since start</dt>
          <dd>{span(t.trueMs - t.startMs)}</dd>
          <dt>pump clock</dt>
          <dd className={Math.abs(t.clockErrorMs) > 60_000 ? 'bad' : ''}>
            {when(t.pumpUtcMs)} ({t.clockErrorMs >= 0 ? '+' : ''}
            {span(t.clockErrorMs)}
            {t.clockDriftPpm !== 0 ? `, drifting ${t.clockDriftPpm} ppm` : ''})
          </dd>
          <dt>speed</dt>
          <dd>x{t.speed}</dd>
        </dl>
      </section>
      <section aria-labelledby="h-pump">
        <h2 id="h-pump">Pump (what it believes)</h2>
        <dl>
          <dt>therapy</dt>
          <dd className={t.pump.running ? 'ok' : 'bad'} data-testid="therapy">
            {t.pump.running ? `running ${mLPerDay(t.pump.rateNlPerDay)}` : `stopped: ${t.pump.suspendedBy ?? '?'}`}
          </dd>
          <dt>drug</dt>
          <dd>{t.pump.drugId === null ? 'none' : `${t.pump.drugId} ${t.pump.concentrationMcgPerMl} mcg/mL`}</dd>
          <dt>alarms</dt>
          <dd className={t.pump.alarms.length > 0 ? 'bad' : ''} data-testid="alarms">
            {t.pump.alarms.length === 0 ? 'none' : t.pump.alarms.join(', ')}
          </dd>
          <dt>reservoir (believed)</dt>
          <dd>{mL(t.believedReservoirNl)}</dd>
        </dl>
      </section>
      <section aria-labelledby="h-truth">
        <h2 id="h-truth">Ground truth</h2>
        <dl>
          <dt>reservoir (true)</dt>
          <dd className={missing !== 0 ? 'bad' : ''} data-testid="true-reservoir">
            {mL(t.trueReservoirNl)}
            {missing !== 0 ? ` (${missing > 0 ? '+' : ''}${mL(missing)} vs the pump)` : ''}
          </dd>
          <dt>catheter</dt>
          <dd className={t.catheter.kind === 'intact' ? 'ok' : 'bad'} data-testid="catheter">
            {t.catheter.kind}
            {t.catheter.kind === 'leak' ? ` (${t.catheter.fractionPercent}% into tissue)` : ''}
          </dd>
          <dt>in the pocket</dt>
          <dd>{mL(t.pocketNl)}</dd>
          <dt>armed for next refill</dt>
          <dd>{t.refillFaultArmed === null ? 'nothing' : t.refillFaultArmed.kind}</dd>
        </dl>
      </section>
      <section aria-labelledby="h-patient">
        <h2 id="h-patient">Patient</h2>
        {t.patient === null ? (
          <p>No virtual patient in this run.</p>
        ) : (
          <dl>
            <dt>state</dt>
            <dd className={t.patient.state === 'well' ? 'ok' : 'bad'} data-testid="patient-state">
              {t.patient.state}
            </dd>
            <dt>signs</dt>
            <dd>{t.patient.signs.length === 0 ? 'none' : t.patient.signs.join(', ')}</dd>
            {Object.entries(t.patient.detail).map(([k, v]) => (
              <DetailRow key={k} name={k} value={v} />
            ))}
          </dl>
        )}
      </section>
      {t.training !== null && (
        <section className="wide" aria-labelledby="h-notes">
          <h2 id="h-notes">Scenario</h2>
          <p>
            <strong>Trainee briefing:</strong> {t.training.briefing}
          </p>
          <p>
            <strong>Instructor notes:</strong> {t.training.instructorNotes}
          </p>
        </section>
      )}
      <InjectFault base={base} onInjected={onInjected} />
      <section className="wide" aria-labelledby="h-timeline">
        <h2 id="h-timeline">Timeline (newest first)</h2>
        <Timeline entries={[...t.timeline].reverse().slice(0, 60)} startMs={t.startMs} />
      </section>
    </main>
  );
}

function DetailRow({ name, value }: { name: string; value: number | string | boolean | null }) {
  return (
    <>
      <dt>{name}</dt>
      <dd>{typeof value === 'number' ? (Number.isInteger(value) ? value : value.toFixed(3)) : String(value)}</dd>
    </>
  );
}

const EXAMPLES: Record<string, string> = Object.fromEntries(Object.entries(FAULT_EXAMPLES).map(([kind, fault]) => [kind, JSON.stringify(fault)]));

function InjectFault({ base, onInjected }: { base: string; onInjected: () => Promise<void> }) {
  const [text, setText] = useState(EXAMPLES['occlusion'] ?? '');
  const [answer, setAnswer] = useState<string | null>(null);
  const inject = async () => {
    // The pump checks the fault with the same schema; checking here first names the problem
    // without a round trip, and nothing malformed is ever sent.
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      setAnswer(`not sent: this is not JSON (${e instanceof Error ? e.message : String(e)})`);
      return;
    }
    const fault = parseFault(json);
    if (!fault.ok) {
      setAnswer(`not sent: ${fault.errors.join('; ')}`);
      return;
    }
    try {
      const r = await fetch(`${base}/fault`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(fault.fault) });
      const body = (await r.json()) as { error?: string; issues?: string[]; armed?: boolean };
      setAnswer(r.ok ? (body.armed === true ? 'armed for the next refill' : 'injected') : `refused: ${body.error ?? r.status}${body.issues ? ` (${body.issues.join('; ')})` : ''}`);
      await onInjected();
    } catch (e) {
      setAnswer(`could not reach the pump: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  return (
    <section className="wide" aria-labelledby="h-inject">
      <h2 id="h-inject">Inject a fault</h2>
      <label>
        example{' '}
        <select aria-label="fault example" onChange={(e) => setText(EXAMPLES[e.target.value] ?? '')}>
          {Object.keys(EXAMPLES).map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
      </label>
      <textarea aria-label="fault JSON" rows={2} value={text} onChange={(e) => setText(e.target.value)} />
      <button type="button" onClick={() => void inject()}>
        Inject now
      </button>{' '}
      {answer !== null && <span role="status">{answer}</span>}
    </section>
  );
}

function Timeline({ entries, startMs }: { entries: TimelineEntry[]; startMs: number }) {
  if (entries.length === 0) return <p>Nothing yet.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>time</th>
          <th>+</th>
          <th>who</th>
          <th>what</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e, i) => (
          <tr key={`${e.atMs}-${i}`} className={`src-${e.source}`}>
            <td>{when(e.atMs)}</td>
            <td>{span(e.atMs - startMs)}</td>
            <td>{e.source === 'action' ? 'trainee' : e.source}</td>
            <td>{e.text}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function DebriefView({ debrief }: { debrief: Debrief }) {
  const after = (from: number, at: number | null) => (at === null ? <span className="bad">not yet</span> : span(at - from));
  return (
    <main>
      <section className="wide" aria-labelledby="h-expected">
        <h2 id="h-expected">What the trainee was expected to do</h2>
        {debrief.expected.length === 0 ? (
          <p>No expectations in this scenario.</p>
        ) : (
          <table data-testid="expected">
            <thead>
              <tr>
                <th>action</th>
                <th>by</th>
                <th>result</th>
                <th>why</th>
              </tr>
            </thead>
            <tbody>
              {debrief.expected.map((x) => (
                <tr key={`${x.action}-${x.byMs}`}>
                  <td>{x.action}</td>
                  <td>+{span(x.byMs)}</td>
                  <td className={x.status === 'met' ? 'ok' : x.status === 'missed' ? 'bad' : 'pending'}>
                    {x.status}
                    {x.atMs !== null ? ` at +${span(x.atMs - debrief.startMs)}` : ''}
                  </td>
                  <td>{x.why}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section className="wide" aria-labelledby="h-detect">
        <h2 id="h-detect">Each fault: detected when</h2>
        {debrief.faults.length === 0 ? (
          <p>No fault injected.</p>
        ) : (
          <table data-testid="fault-detections">
            <thead>
              <tr>
                <th>fault</th>
                <th>at</th>
                <th>first pump alarm</th>
                <th>first patient sign</th>
                <th>first trainee action</th>
              </tr>
            </thead>
            <tbody>
              {debrief.faults.map((f, i) => (
                <tr key={`${f.atMs}-${i}`}>
                  <td>{f.text}</td>
                  <td>+{span(f.atMs - debrief.startMs)}</td>
                  <td>{after(f.atMs, f.firstPumpAlarmMs)}</td>
                  <td>{after(f.atMs, f.firstPatientSignMs)}</td>
                  <td>{after(f.atMs, f.firstActionMs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section className="wide" aria-labelledby="h-all">
        <h2 id="h-all">Everything that happened</h2>
        <Timeline entries={debrief.timeline} startMs={debrief.startMs} />
      </section>
    </main>
  );
}
