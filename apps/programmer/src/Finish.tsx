/**
 * The Finish screen: old and new settings side by side, every difference marked, the computed
 * figures, and an explicit confirmation. Nothing reaches the pump before the confirmation. Then
 * the pump stages the change (refusing with its own reasons, or naming the soft limits it wants
 * acknowledged), commits it, and is read again so the screen shows what the pump really runs.
 */
import { useEffect, useRef, useState } from 'react';
import type { ChangeSet } from '@thecal/pump-core';
import { settingsDiff } from '@thecal/therapy-calc';
import type { Interrogated, PumpIssue, PumpLink, PumpRefusal } from './pump-link.ts';
import { describe, predictState, stateOf } from './settings-view.ts';

export type Action =
  | { kind: 'staged'; changes: ChangeSet }
  | { kind: 'command'; type: 'stop-therapy' | 'resume-therapy' | 'alarm-test' | 'clear-alarm'; body?: Record<string, string> }
  | { kind: 'interrogate' }
  | { kind: 'none' };

export interface Proposal {
  workflow: string;
  action: Action;
  computed: { label: string; value: string }[];
  warnings: string[];
  /** Predicted settings after the action (defaults to the change set applied to the current ones). */
  after?: Record<string, string>;
}

type Phase =
  | { p: 'review' }
  | { p: 'sending' }
  | { p: 'refused'; refusal: PumpRefusal }
  | { p: 'soft'; stagedId: number; soft: PumpIssue[] }
  | { p: 'done'; after: Interrogated; verified: boolean }
  | { p: 'lost'; message: string };

export function Finish(props: { link: PumpLink; data: Interrogated; proposal: Proposal; onDone: (after: Interrogated | null, outcome: string) => void; onBack: () => void }) {
  const { link, data, proposal } = props;
  const serial = data.status.serial;
  const [phase, setPhase] = useState<Phase>({ p: 'review' });
  const [confirmed, setConfirmed] = useState(false);
  const [acks, setAcks] = useState<Set<string>>(new Set());
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [phase.p]);

  const before = describe(stateOf(data.status));
  const after = proposal.action.kind === 'staged' ? describe(predictState(stateOf(data.status), proposal.action.changes)) : { ...before, ...(proposal.after ?? {}) };
  const rows = settingsDiff(before, after);

  const reread = async (expect: (a: Interrogated) => boolean) => {
    const again = await link.interrogate();
    setPhase({ p: 'done', after: again, verified: expect(again) });
  };

  const lost = (e: unknown) => setPhase({ p: 'lost', message: e instanceof Error ? e.message : String(e) });

  const send = async () => {
    setPhase({ p: 'sending' });
    try {
      const a = proposal.action;
      if (a.kind === 'staged') {
        const st = await link.stage(serial, proposal.workflow, a.changes);
        if (!st.ok) return setPhase({ p: 'refused', refusal: st.refusal });
        if (st.softLimits.length > 0) return setPhase({ p: 'soft', stagedId: st.stagedId, soft: st.softLimits });
        await commit(st.stagedId, []);
      } else if (a.kind === 'command') {
        const r = await link.command(serial, proposal.workflow, a.type, a.body ?? {});
        if (!r.ok) return setPhase({ p: 'refused', refusal: r.refusal });
        await reread((x) => (a.type === 'stop-therapy' ? !x.status.therapy.running : a.type === 'resume-therapy' ? x.status.therapy.running : true));
      } else {
        await reread(() => true);
      }
    } catch (e) {
      lost(e);
    }
  };

  const commit = async (stagedId: number, acknowledged: string[]) => {
    setPhase({ p: 'sending' });
    try {
      const c = await link.commit(serial, proposal.workflow, stagedId, acknowledged);
      if (!c.ok) return setPhase({ p: 'refused', refusal: c.refusal });
      const a = proposal.action;
      await reread((x) => (a.kind === 'staged' ? runsWhatWasSent(x, a.changes) : true));
    } catch (e) {
      lost(e);
    }
  };

  const abort = async () => {
    try {
      await link.abort(serial);
    } catch {
      /* nothing was committed; the staged change expires with the session */
    }
    props.onBack();
  };

  return (
    <section aria-labelledby="finish-title" className="finish">
      <h2 id="finish-title" tabIndex={-1} ref={heading}>
        Finish: {proposal.workflow}
      </h2>
      {phase.p === 'done' ? (
        <Done after={phase.after} verified={phase.verified} before={before} onDone={() => props.onDone(phase.after, 'committed')} />
      ) : (
        <>
          <DiffTable rows={rows} label="Old and new settings" beforeHeading="Now on the pump" afterHeading="After this session" />
          {proposal.computed.length > 0 && (
            <dl className="computed" aria-label="Computed figures">
              {proposal.computed.map((c) => (
                <div key={c.label}>
                  <dt>{c.label}</dt>
                  <dd>{c.value}</dd>
                </div>
              ))}
            </dl>
          )}
          {proposal.warnings.map((w) => (
            <p key={w} className="warning" role="note">
              {w}
            </p>
          ))}
          {phase.p === 'review' && (
            <div className="confirm">
              <label>
                <input type="checkbox" checked={confirmed} onChange={(e) => setConfirmed(e.target.checked)} /> I have checked every change above
              </label>
              <button type="button" disabled={!confirmed} onClick={() => void send()}>
                Confirm and send to the pump
              </button>
              <button type="button" className="secondary" onClick={props.onBack}>
                Back (nothing sent)
              </button>
            </div>
          )}
          {phase.p === 'sending' && <p role="status">Talking to the pump...</p>}
          {phase.p === 'refused' && (
            <div role="alert" className="refusal">
              <h3>The pump refused: {phase.refusal.reason}</h3>
              <p>{phase.refusal.message}</p>
              {phase.refusal.issues.length > 0 && (
                <ul>
                  {phase.refusal.issues.map((i) => (
                    <li key={`${i.code}${i.path}`}>
                      <code>{i.code}</code> ({i.severity}) at <code>{i.path || '(whole change)'}</code>: {i.message}
                    </li>
                  ))}
                </ul>
              )}
              <p>Nothing was changed on the pump.</p>
              <button type="button" onClick={props.onBack}>
                Back to edit
              </button>
            </div>
          )}
          {phase.p === 'soft' && (
            <div role="alert" className="soft">
              <h3>The pump asks you to acknowledge these soft limits</h3>
              <ul>
                {phase.soft.map((s) => (
                  <li key={s.code}>
                    <label>
                      <input
                        type="checkbox"
                        checked={acks.has(s.code)}
                        onChange={(e) => {
                          const n = new Set(acks);
                          if (e.target.checked) n.add(s.code);
                          else n.delete(s.code);
                          setAcks(n);
                        }}
                      />{' '}
                      <code>{s.code}</code> at <code>{s.path}</code>: {s.message}
                    </label>
                  </li>
                ))}
              </ul>
              <button type="button" disabled={!phase.soft.every((s) => acks.has(s.code))} onClick={() => void commit(phase.stagedId, [...acks])}>
                Acknowledge and commit
              </button>
              <button type="button" className="secondary" onClick={() => void abort()}>
                Abort (the staged change is discarded)
              </button>
            </div>
          )}
          {phase.p === 'lost' && (
            <div role="alert" className="refusal">
              <h3>The link to the pump was lost</h3>
              <p>{phase.message}</p>
              <p>The pump keeps its last committed program. Reconnect: the programmer will read the pump and show its real state.</p>
              <button type="button" onClick={() => props.onDone(null, 'link-lost')}>
                Reconnect
              </button>
            </div>
          )}
        </>
      )}
    </section>
  );
}

/** Whether the pump, read again, holds what the change set asked for (the parts it names). */
function runsWhatWasSent(x: Interrogated, c: ChangeSet): boolean {
  const s = x.status;
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (c.prescription !== undefined && !same(s.prescription, c.prescription)) return false;
  if (c.refill !== undefined && (s.reservoir.drugId !== c.refill.drugId || s.reservoir.concentrationMcgPerMl !== c.refill.concentrationMcgPerMl)) return false;
  if (c.alarms?.lowReservoirNl !== undefined && s.reservoir.lowAlarmNl !== c.alarms.lowReservoirNl) return false;
  if (c.alarms?.refillReminderUtcMs !== undefined && s.refillReminderUtcMs !== c.alarms.refillReminderUtcMs) return false;
  if (c.device?.catheter !== undefined && !same(s.device.catheter, c.device.catheter)) return false;
  return true;
}

function Done(props: { after: Interrogated; verified: boolean; before: Record<string, string>; onDone: () => void }) {
  const now = describe(stateOf(props.after.status));
  return (
    <div>
      <p role="status" className={props.verified ? 'ok' : 'warning'}>
        {props.verified ? 'Done. The pump was read again and now runs the settings below.' : 'The pump was read again: its settings differ from what was sent. Check them below.'}
      </p>
      <DiffTable rows={settingsDiff(props.before, now)} label="Settings before and as read back from the pump" beforeHeading="Before" afterHeading="Read back from the pump" />
      <button type="button" onClick={props.onDone}>
        Back to the summary
      </button>
    </div>
  );
}

/** Old and new settings side by side, every changed row marked in words as well as by style. */
function DiffTable(props: { rows: ReturnType<typeof settingsDiff>; label: string; beforeHeading: string; afterHeading: string }) {
  return (
    <table className="diff" aria-label={props.label}>
      <thead>
        <tr>
          <th scope="col">Setting</th>
          <th scope="col">{props.beforeHeading}</th>
          <th scope="col">{props.afterHeading}</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((r) => (
          <tr key={r.path} className={r.changed ? 'changed' : undefined}>
            <th scope="row">
              {r.changed && <span className="mark">changed: </span>}
              {r.path}
            </th>
            <td>{String(r.before ?? '-')}</td>
            <td>{String(r.after ?? '-')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
