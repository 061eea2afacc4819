/**
 * At the end of a visit: the interrogation (status and the log records since the last upload of
 * this pump) and the session report PDF go into the upload queue. The PDF module is loaded only
 * here, so it is not part of the first load.
 */
import { LIMITS } from '@thecal/pump-core';
import type { Interrogated, PumpLink } from './pump-link.ts';
import { describe, stateOf, dateText } from './settings-view.ts';
import { enqueue } from './upload-queue.ts';

const UPLOADED_KEY = 'thecal.programmer.uploadedSeq';

function lastUploaded(serial: string): { eventSeq: number; therapySeq: number } {
  try {
    const all = JSON.parse(localStorage.getItem(UPLOADED_KEY) ?? '{}') as Record<string, { eventSeq: number; therapySeq: number }>;
    return all[serial] ?? { eventSeq: 1, therapySeq: 1 };
  } catch {
    return { eventSeq: 1, therapySeq: 1 };
  }
}
function setLastUploaded(serial: string, v: { eventSeq: number; therapySeq: number }): void {
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(localStorage.getItem(UPLOADED_KEY) ?? '{}') as Record<string, unknown>;
  } catch {
    all = {};
  }
  all[serial] = v;
  localStorage.setItem(UPLOADED_KEY, JSON.stringify(all));
}

export async function queueSession(link: PumpLink, now: Interrogated, done: string[], atStart: Interrogated): Promise<void> {
  const serial = now.status.serial;
  const from = lastUploaded(serial);
  const eventLog = (await link.readLog('events', from.eventSeq)).filter((r) => r.seq < now.status.log.eventNextSeq).slice(-LIMITS.eventLogCapacity);
  const therapyLog = (await link.readLog('therapy', from.therapySeq)).filter((r) => r.seq < now.status.log.therapyNextSeq).slice(-LIMITS.therapyLogCapacity);
  const body = { status: now.status, snapshot: null, eventLog, therapyLog };
  const { sessionReportPdf, toBase64 } = await import('./report-pdf.ts');
  const before = describe(stateOf(atStart.status));
  const after = describe(stateOf(now.status));
  const pdf = sessionReportPdf(`Programming session: pump ${serial}`, [
    { heading: 'Session', lines: [`Pump time ${dateText(now.status.pumpUtcMs, now.status.utcOffsetMs)} local`, `Patient ${now.status.device.patientId ?? 'not recorded on the pump'}`, ...(done.length === 0 ? ['No changes made.'] : done)] },
    { heading: 'Settings at the start and at the end', lines: Object.keys({ ...before, ...after }).map((k) => `${before[k] === after[k] ? '  ' : '* '}${k}: ${before[k] ?? '-'}  ->  ${after[k] ?? '-'}`) },
    { heading: 'Forecast (the pump)', lines: [`Low reservoir ${dateText(now.forecast.lowReservoirAtMs)}`, `Next refill by ${dateText(now.forecast.nextRefillByMs)}`, `Replace by ${dateText(now.forecast.replaceByMs)}`] },
    { heading: 'Active alarms', lines: now.status.alarms.length === 0 ? ['none'] : now.status.alarms.map((a) => `${a.code} (${a.critical ? 'critical' : 'non-critical'})`) },
  ]);
  await enqueue({ serial, createdAtMs: Date.now(), body, reportPdfBase64: toBase64(pdf) });
  setLastUploaded(serial, { eventSeq: now.status.log.eventNextSeq, therapySeq: now.status.log.therapyNextSeq });
}
