import { useEffect, useRef, useState, type ReactNode } from 'react';
import { PumpError, type Response } from '@thecal/protocol';
import { amountPg, type DrugId } from '@thecal/pump-core';
import { useI18n, type MessageKey } from '../i18n/index.ts';
import { pumpOffsetOf, pumpUtcOf, useApp } from '../state.ts';
import { readBolusAnswer, isExplained, type BolusAnswer } from '../bolus-answer.ts';
import { formatAmount, formatPumpTime, formatVolume } from '../format.ts';
import { Countdown } from './Countdown.tsx';

type Stage =
  | { kind: 'idle' }
  | { kind: 'confirm' }
  | { kind: 'sending' }
  | { kind: 'answer'; answer: BolusAnswer }
  | { kind: 'lost'; commandId: string; error: string }
  | { kind: 'resolving'; commandId: string }
  | { kind: 'never-received' };

type Delivery = { state: 'delivering' } | { state: 'delivered'; deliveredNl: number } | { state: 'partial'; deliveredNl: number; requestedNl: number } | { state: 'not-delivered' };

/** How often the app asks the pump how a running dose is going. */
const DELIVERY_POLL_MS = 2_000;

export function DoseScreen(): ReactNode {
  const { t, lang } = useI18n();
  const app = useApp();
  const { link, reading } = app;
  const [stage, setStage] = useState<Stage>(() => (app.pending !== null ? { kind: 'lost', commandId: app.pending.commandId, error: '' } : { kind: 'idle' }));
  const [delivery, setDelivery] = useState<Delivery | null>(null);
  const answerRef = useRef<HTMLDivElement>(null);

  const rx = reading?.status.prescription ?? null;
  const pb = rx?.patientBolus ?? null;
  const drug = (rx?.drugId ?? null) as DrugId | null;
  const offset = pumpOffsetOf(reading);
  const time = (pumpMs: number) => formatPumpTime(pumpUtcOf(reading, pumpMs), offset, lang);

  const settle = (res: Response) => {
    const answer = readBolusAnswer(res);
    app.setPending(null);
    if (answer.kind !== 'error') app.clock.observe(answer.atMs, Date.now());
    setStage({ kind: 'answer', answer });
    setDelivery(answer.kind === 'accepted' ? { state: 'delivering' } : null);
    void app.refresh();
  };

  // A request whose answer was lost (this visit or an earlier one) is settled by asking the pump, never by guessing.
  const resolve = async (commandId: string) => {
    if (link === null) return;
    setStage({ kind: 'resolving', commandId });
    try {
      const o = await link.outcome(commandId);
      if (!o.known || o.result === undefined) {
        app.setPending(null);
        setStage({ kind: 'never-received' });
        return;
      }
      settle({ type: 'patient-bolus', commandId, status: o.result.ok ? 'ok' : 'refused', body: o.result as Response['body'] });
    } catch (e) {
      setStage({ kind: 'lost', commandId, error: e instanceof Error ? e.message : String(e) });
    }
  };

  useEffect(() => {
    if (stage.kind === 'lost' && stage.error === '' && link !== null) void resolve(stage.commandId);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [link]);

  // Follow an accepted dose until the pump says how much it delivered.
  const accepted = stage.kind === 'answer' && stage.answer.kind === 'accepted' ? stage.answer : null;
  useEffect(() => {
    if (accepted === null || link === null || delivery?.state !== 'delivering') return;
    const timer = setInterval(() => {
      void link
        .outcome(accepted.commandId)
        .then((o) => {
          if (o.outcome === 'delivered') setDelivery({ state: 'delivered', deliveredNl: o.deliveredNl ?? accepted.volumeNl });
          else if (o.outcome === 'partially-delivered') setDelivery({ state: 'partial', deliveredNl: o.deliveredNl ?? 0, requestedNl: o.requestedNl ?? accepted.volumeNl });
          else if (o.outcome === 'not-delivered') setDelivery({ state: 'not-delivered' });
        })
        .catch(() => undefined);
    }, DELIVERY_POLL_MS);
    return () => clearInterval(timer);
  }, [accepted, link, delivery]);

  useEffect(() => {
    if (stage.kind === 'answer' || stage.kind === 'never-received') answerRef.current?.focus();
    // After the answer is in the page (effects run once it is committed): the benchmark's "shown".
    if (stage.kind === 'answer') performance.mark('ptm-bolus-answer-shown');
  }, [stage]);

  const ask = async () => {
    if (link === null) return;
    // The id is stored before anything is sent, so a closed app or a lost answer can still be resolved.
    const commandId = link.newCommandId();
    app.setPending({ commandId, requestedAtWallMs: Date.now() });
    setStage({ kind: 'sending' });
    performance.mark('ptm-bolus-tap');
    try {
      const res = await link.requestBolus(commandId);
      settle(res);
    } catch (e) {
      const msg = e instanceof PumpError ? e.message : e instanceof Error ? e.message : String(e);
      setStage({ kind: 'lost', commandId, error: msg });
    }
  };

  const enabled = reading?.patient.patientBolus.enabled ?? true;
  const used = reading?.patient.patientBolus;
  return (
    <section aria-labelledby="dose-title">
      <h2 id="dose-title" tabIndex={-1}>
        {t('dose.title')}
      </h2>
      {!enabled && <p className="warn">{t('dose.notEnabled')}</p>}
      {used !== undefined && enabled && <p data-testid="dose-used">{t('dose.used', { used: used.usedIn24h, allowed: used.allowedPer24h })}</p>}

      {(stage.kind === 'idle' || (stage.kind === 'answer' && stage.answer.kind !== 'error') || stage.kind === 'never-received') && (
        <button type="button" className="button primary big" data-testid="dose-start" onClick={() => setStage({ kind: 'confirm' })} disabled={link === null}>
          {t('dose.start')}
        </button>
      )}

      {stage.kind === 'confirm' && (
        <div className="confirm" role="group" aria-labelledby="confirm-title">
          <h3 id="confirm-title">{t('dose.confirmTitle')}</h3>
          {pb !== null && rx !== null ? (
            <p data-testid="dose-confirm-text">
              {t('dose.confirmWhat', {
                amount: formatAmount(amountPg(pb.volumeNl, rx.concentrationMcgPerMl), drug),
                volume: formatVolume(pb.volumeNl),
                drug: rx.drugId,
                minutes: Math.round(pb.durationMs / 60_000),
              })}
            </p>
          ) : (
            <p>{reading === null ? t('home.reading') : t('dose.notEnabled')}</p>
          )}
          <div className="actions">
            {/* Nothing is asked before the patient has seen what would be given. */}
            <button type="button" className="button primary big" data-testid="dose-ask" onClick={() => void ask()} disabled={reading === null}>
              {t('dose.ask')}
            </button>
            <button type="button" className="button" onClick={() => setStage({ kind: 'idle' })}>
              {t('dose.cancel')}
            </button>
          </div>
        </div>
      )}

      {/* One live region, always present, holds every answer: screen readers announce what the pump said. */}
      <div className="answer" role="status" aria-live="assertive" data-testid="dose-live">
        {stage.kind === 'sending' && <p>{t('dose.sending')}</p>}
        {stage.kind === 'resolving' && <p>{t('dose.resolving')}</p>}

      {stage.kind === 'answer' && (
        <div ref={answerRef} tabIndex={-1} className={`result ${stage.answer.kind}`} data-testid="dose-answer" data-kind={stage.answer.kind} data-reason={stage.answer.kind === 'denied' ? stage.answer.reason : undefined}>
          <h3>{t('dose.answer')}</h3>
          <AnswerText answer={stage.answer} delivery={delivery} drug={drug} time={time} />
          {stage.answer.kind !== 'error' && stage.answer.nextAllowedAtMs !== null && (
            <>
              <p>{t('dose.nextAt', { time: time(stage.answer.nextAllowedAtMs) })}</p>
              <Countdown untilPumpMs={stage.answer.nextAllowedAtMs} testId="dose-countdown" />
            </>
          )}
        </div>
      )}

      {stage.kind === 'lost' && (
        <div className="result lost" data-testid="dose-lost">
          <p>{t('dose.lost')}</p>
          {stage.error !== '' && <p className="small">{stage.error}</p>}
          <button type="button" className="button primary big" data-testid="dose-resolve" onClick={() => void resolve(stage.commandId)}>
            {t('dose.resolve')}
          </button>
        </div>
      )}

        {stage.kind === 'never-received' && (
          <div ref={answerRef} tabIndex={-1} className="result" data-testid="dose-never">
            <p>{t('dose.neverReceived')}</p>
          </div>
        )}
      </div>
    </section>
  );
}

function AnswerText({ answer, delivery, drug, time }: { answer: BolusAnswer; delivery: Delivery | null; drug: DrugId | null; time: (ms: number) => string }): ReactNode {
  const { t } = useI18n();
  if (answer.kind === 'error') return <p>{t('dose.refused', { message: answer.message })}</p>;
  if (answer.kind === 'denied') {
    const key: MessageKey = isExplained(answer.reason) ? `reason.${answer.reason}` : 'reason.other';
    return (
      <>
        <p>
          <strong>{t('dose.denied')}</strong>
        </p>
        <p data-testid="dose-reason">{t(key, { code: answer.reason })}</p>
      </>
    );
  }
  const concentration = answer.volumeNl === 0 ? 0 : answer.amountPg / answer.volumeNl;
  return (
    <>
      <p data-testid="dose-accepted">{t('dose.delivering', { amount: formatAmount(answer.amountPg, drug), time: time(answer.startsAtMs), end: time(answer.endsByMs) })}</p>
      {delivery?.state === 'delivered' && <p data-testid="dose-delivered">{t('dose.delivered', { amount: formatAmount(delivery.deliveredNl * concentration, drug), volume: formatVolume(delivery.deliveredNl) })}</p>}
      {delivery?.state === 'partial' && <p className="warn">{t('dose.partial', { volume: formatVolume(delivery.deliveredNl), requested: formatVolume(delivery.requestedNl) })}</p>}
      {delivery?.state === 'not-delivered' && <p className="warn">{t('dose.notDelivered')}</p>}
    </>
  );
}
