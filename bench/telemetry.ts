/**
 * Telemetry on the air (see docs/protocol.md): bytes and round trips for session set-up, a full
 * interrogation with 90 days of logs, and a program change (stage + commit), over the real radio
 * code through an in-memory link that counts every byte. The same content is then encoded as JSON
 * and as CBOR (cborg), with the same frame overhead and page size, to compare in the same run.
 *
 * The 90 days: a 13-step flex program of morphine 25 mg/mL, 4 patient boluses a day (command ids
 * as the protocol issues them), a refill on day 45, programmed and driven through the core.
 */
import { encode as cborEncode } from 'cborg';
import { Pump, type LogRecord } from '@thecal/pump-core';
import {
  KeyStore,
  MAX_PLAINTEXT_BYTES,
  PumpClient,
  PumpRadio,
  TAG_BYTES,
  DATA_HEADER_BYTES,
  deterministicRandom,
  loopbackConnector,
  newMeter,
  toValue,
  type Credential,
  type LinkMeter,
} from '@thecal/protocol';
import { rawPair } from '../packages/protocol/src/testkit.ts';
import { check, printTable, result, writeResults, type BenchResult } from './lib/results.ts';
import { MORPHINE_MCG_PER_ML, MS_HOUR, T0, flex13Basal, morphinePrescription, refill } from './lib/scenarios.ts';

const DAYS = 90;
const BOLUS_HOURS = [8, 12, 17, 21];
const MS_DAY = 24 * MS_HOUR;
const TARGET_SETUP_ROUND_TRIPS = 2;
const TARGET_INTERROGATION_BYTES = 16 * 1024;
/** Request and response message headers inside a DATA frame: type, command id (8), status. */
const REQUEST_HEADER = 9;
const RESPONSE_HEADER = 10;
const FRAME_OVERHEAD = DATA_HEADER_BYTES + TAG_BYTES;

const started = performance.now();
const random = deterministicRandom('bench/telemetry');
const newId = () => `r:${Buffer.from(random(8)).toString('hex')}`;

// ------------------------------------------------------------------ 90 days of therapy
const pump = Pump.manufacture({ serial: 'TH-BENCH', model: 'thecal-40', atMs: T0 });
const program = (atMs: number, changes: Parameters<typeof refill>[0] extends never ? never : object) => {
  const st = pump.execute(atMs, newId(), { type: 'stage', changes });
  check(st.ok, `stage refused: ${JSON.stringify(st)}`);
  const soft = ((st.detail['softLimits'] as { code: string }[] | undefined) ?? []).map((s) => s.code);
  const c = pump.execute(atMs, newId(), { type: 'commit', stagedId: st.detail['stagedId'] as number, acknowledgedSoftLimits: soft });
  check(c.ok, `commit refused: ${JSON.stringify(c)}`);
};
program(T0, { ...refill(0, 'morphine', MORPHINE_MCG_PER_ML), prescription: morphinePrescription(flex13Basal(), true) });
let granted = 0;
for (let d = 0; d < DAYS; d++) {
  for (const h of BOLUS_HOURS) if (pump.execute(T0 + d * MS_DAY + h * MS_HOUR, newId(), { type: 'patient-bolus' }).ok) granted += 1;
  if (d === 45) program(T0 + d * MS_DAY + 22 * MS_HOUR, refill(pump.status().reservoir.volumeNl, 'morphine', MORPHINE_MCG_PER_ML));
  pump.drainOutputs();
}
pump.advanceTo(T0 + DAYS * MS_DAY);
check(granted === DAYS * BOLUS_HOURS.length, `every bolus should be granted, got ${granted}`);

const keys = KeyStore.manufacture('TH-BENCH', 'thecal-40', random);
const radio = new PumpRadio({ pump, keys, random });
const at = { pumpMs: pump.nowMs, linkMs: 0 };
radio.openPairingWindow(0);
const credential: Credential = rawPair((f) => radio.receive(f, at), 'clinician', 'bench programmer', random);

const meter: LinkMeter = newMeter();
const client = new PumpClient({ connect: loopbackConnector((f) => radio.receive(f, at).reply, meter), random });
const measure = async (fn: () => Promise<unknown>) => {
  Object.assign(meter, newMeter());
  const rt0 = client.stats.roundTrips;
  const t0 = performance.now();
  const value = await fn();
  return { bytes: meter.bytesToPump + meter.bytesFromPump, frames: meter.framesToPump + meter.framesFromPump, roundTrips: client.stats.roundTrips - rt0, wallMs: performance.now() - t0, value };
};

// ------------------------------------------------------------------ the three operations
const setup = await measure(() => client.connect(credential));
const interrogation = await measure(() => client.interrogate());
const inter = interrogation.value as Awaited<ReturnType<PumpClient['interrogate']>>;
check(inter.events.length === pump.events.nextSequence - 1 || inter.events.length === pump.events.size, 'interrogation read every event record');
check(inter.therapy.length === pump.therapyLog.size, 'interrogation read every therapy record');
const newRx = morphinePrescription({ kind: 'continuous', rateNlPerDay: 520_000 }, true);
const change = await measure(() => client.changeProgram({ prescription: newRx }, 'all'));
const changed = change.value as Awaited<ReturnType<PumpClient['changeProgram']>>;
check(changed.commit?.status === 'ok', `program change committed: ${JSON.stringify(changed.commit?.body)}`);

// ------------------------------------------------------------------ the same content as JSON and CBOR
type Enc = (x: unknown) => number;
const jsonBytes: Enc = (x) => Buffer.byteLength(JSON.stringify(x, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v)));
const cborBytes: Enc = (x) => cborEncode(x).length;
/** One exchange: a request and a response with these bodies. */
const exchange = (enc: Enc, req: unknown, res: unknown) => 2 * FRAME_OVERHEAD + REQUEST_HEADER + enc(req) + RESPONSE_HEADER + enc(res);
/** Log records paged into frames of the same payload size. */
function logPages(enc: Enc, log: 'events' | 'therapy', records: LogRecord[]): { bytes: number; roundTrips: number } {
  let bytes = 0;
  let roundTrips = 0;
  let page: LogRecord[] = [];
  const flush = () => {
    const res = { log, fromSeq: page[0]?.seq ?? 0, oldestSeq: 1, nextSeq: 1, more: true, records: page };
    bytes += exchange(enc, { log, fromSeq: page[0]?.seq ?? 0 }, res);
    roundTrips += 1;
    page = [];
  };
  for (const r of records) {
    page.push(r);
    if (enc({ records: page }) > MAX_PLAINTEXT_BYTES - 96) {
      page.pop();
      flush();
      page.push(r);
    }
  }
  flush();
  return { bytes, roundTrips };
}
const s = pump.status();
function compare(enc: Enc) {
  const inter1 = exchange(enc, {}, { result: { ok: true, atMs: s.nowMs, detail: { resumed: false } }, device: inter.device, status: toValue(inter.status), forecast: inter.forecast });
  const ev = logPages(enc, 'events', inter.events);
  const th = logPages(enc, 'therapy', inter.therapy);
  const changeBytes = exchange(enc, { changes: newRx }, changed.stage.body) + exchange(enc, { stagedId: 1, acknowledgedSoftLimits: [] }, changed.commit?.body ?? {});
  return { interrogationBytes: inter1 + ev.bytes + th.bytes, interrogationRoundTrips: 1 + ev.roundTrips + th.roundTrips, changeBytes, changeRoundTrips: 2 };
}
const asJson = compare(jsonBytes);
const asCbor = compare(cborBytes);

const results: BenchResult[] = [
  result({ name: 'session set-up round trips', value: setup.roundTrips, unit: 'round trips', target: { op: '<=', value: TARGET_SETUP_ROUND_TRIPS }, details: { frames: setup.frames, note: 'HELLO / HELLO_REPLY; the first request confirms the client' } }),
  result({ name: 'session set-up bytes on the air', value: setup.bytes, unit: 'bytes', details: { frames: setup.frames } }),
  result({
    name: 'full interrogation, 90 days of logs: bytes on the air',
    value: interrogation.bytes,
    unit: 'bytes',
    target: { op: '<=', value: TARGET_INTERROGATION_BYTES },
    baseline: { name: 'same content as JSON', value: asJson.interrogationBytes, unit: 'bytes' },
    details: { eventRecords: inter.events.length, therapyRecords: inter.therapy.length, frames: interrogation.frames, asJsonBytes: asJson.interrogationBytes, asCborBytes: asCbor.interrogationBytes, wallMs: interrogation.wallMs },
  }),
  result({ name: 'full interrogation, 90 days of logs: round trips', value: interrogation.roundTrips, unit: 'round trips', details: { asJsonRoundTrips: asJson.interrogationRoundTrips, asCborRoundTrips: asCbor.interrogationRoundTrips } }),
  result({ name: 'full interrogation as CBOR (same content, same framing)', value: asCbor.interrogationBytes, unit: 'bytes', baseline: { name: 'Thecal binary (TVE + packed log pages)', value: interrogation.bytes, unit: 'bytes' }, target: null }),
  result({ name: 'full interrogation as JSON (same content, same framing)', value: asJson.interrogationBytes, unit: 'bytes', baseline: { name: 'Thecal binary (TVE + packed log pages)', value: interrogation.bytes, unit: 'bytes' }, target: null }),
  result({ name: 'program change (stage + commit): bytes on the air', value: change.bytes, unit: 'bytes', baseline: { name: 'same content as JSON', value: asJson.changeBytes, unit: 'bytes' }, details: { asJsonBytes: asJson.changeBytes, asCborBytes: asCbor.changeBytes } }),
  result({ name: 'program change (stage + commit): round trips', value: change.roundTrips, unit: 'round trips' }),
];
printTable('telemetry: bytes on the air and round trips', results);
client.close();
writeResults('telemetry', results, { days: DAYS, bolusHours: BOLUS_HOURS, refillDay: 45, program: '13-step flex, morphine 25 mg/mL', maxFrameBytes: MAX_PLAINTEXT_BYTES + FRAME_OVERHEAD }, performance.now() - started);
