/**
 * What a programmer sends after a session, built from a pump core: the interrogation status, the
 * state (snapshot without logs, 48 h of dose history) and the log pages from the sequence it last
 * uploaded. The seed, the benchmarks and the tests use it; the real programmer sends the same shape.
 */
import { MS_PER_DAY, type Pump } from '@thecal/pump-core';

export interface UploadBody {
  status: unknown;
  snapshot: unknown;
  eventLog: unknown[];
  therapyLog: unknown[];
}

export function uploadFromPump(pump: Pump, from: { eventSeq: number; therapySeq: number } = { eventSeq: 1, therapySeq: 1 }, withSnapshot = true): UploadBody {
  const status = pump.status();
  // JSON round trip: exactly what travels over HTTP (typed arrays and the like become plain data).
  return JSON.parse(
    JSON.stringify({
      status,
      snapshot: withSnapshot ? pump.snapshot({ withLogs: false, historySinceMs: status.nowMs - 2 * MS_PER_DAY }) : null,
      eventLog: pump.events.readFrom(from.eventSeq),
      therapyLog: pump.therapyLog.readFrom(from.therapySeq),
    }),
  ) as UploadBody;
}
