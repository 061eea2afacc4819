/**
 * The virtual pump: the pump core on a real or accelerated clock, its memory in a file, its radio
 * on a local WebSocket (the "communicator"), and a control port standing in for the physical world
 * (the magnet over the pump, a link cut). A thin shell: every decision is the core's or the radio's.
 *
 *   ws://HOST:PORT/radio      binary frames, one per message (docs/protocol.md)
 *   GET  /info                serial, model, endpoints, pump time, pairing window
 *   POST /magnet[?seconds=N]  the physical signal of intent: opens pairing for N s (default 60)
 *   GET  /status              the simulator's view of the pump (inspection, not the radio)
 *   POST /link                {"cut": "now" | "before-next-frame" | "after-next-frame"} (tests, training)
 *   POST /fault               a fault (@thecal/control-port), injected now; a refill fault is armed for the next refill
 *   GET  /truth               the ground truth the trainee cannot see: true time and reservoir, catheter, patient, faults
 *   GET  /debrief             the timeline and each expected trainee action, met or missed (training)
 *
 * Losing the link never changes therapy: nothing here acts on a closed connection except
 * forgetting it; sessions time out in the radio and the pump keeps its last committed program.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Pump, PumpMemory, PumpModelId, PumpOutput } from '@thecal/pump-core';
import { PumpRadio, systemRandom, type KeyStore, type Random } from '@thecal/protocol';
import { ScaledClock } from './clock.ts';
import { ImpairedPath, NO_IMPAIRMENT, type ImpairmentSpec } from './impairment.ts';
import { loadOrManufacture, pumpFiles, saveKeys, saveMemory, type PumpFiles } from './store.ts';
import { FaultWorld, type PatientPort, type WorldTruth } from './faults/world.ts';
import { parseFault, REFILL_FAULTS, type Fault } from '@thecal/control-port';
import { describeFault } from './faults/world.ts';
import { buildDebrief, type ExpectedAction } from './faults/debrief.ts';

export interface VirtualPumpOptions {
  serial: string;
  model?: PumpModelId;
  dataDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Pump seconds per real second (3600 = an hour per second). */
  speed?: number;
  /** Open the pairing window at start for this many seconds (the magnet is already there). */
  magnetSeconds?: number;
  impairment?: ImpairmentSpec;
  random?: Random;
  /** Where human-readable lines go (default: nowhere). */
  print?: (line: string) => void;
  idleTimeoutMs?: number;
  /** How often the shell advances the pump and checks timeouts, ms. */
  tickMs?: number;
  /** How often memory is saved while time runs, ms (and always after a command, before its answer). */
  saveEveryMs?: number;
  /** The virtual patient the pump is implanted in (training); its ground truth is served on GET /truth. A function gets the pump as loaded. */
  patient?: PatientPort | ((pump: Pump) => PatientPort) | null;
  /** Faults to inject by themselves, each this long (pump time) after the start. */
  faultSchedule?: readonly { afterMs: number; fault: Fault }[];
  /** A training run: what GET /truth and GET /debrief tell the instructor. */
  training?: { title: string; briefing: string; instructorNotes: string; expected: readonly ExpectedAction[] };
  /** Pump time of manufacture for a new pump (a training scenario's start); default now. */
  manufactureAtMs?: number;
  /** A freshly manufactured pump is set up by this before anything else runs (a training scenario's starting state). */
  setUp?: (pump: Pump) => void;
}

export interface RunningPump {
  serial: string;
  port: number;
  radioUrl: string;
  controlUrl: string;
  pump: () => Pump;
  radio: PumpRadio;
  world: FaultWorld;
  /** Inject a fault now (or arm a refill fault), as POST /fault does. */
  inject(fault: Fault): { ok: true } | { ok: false; message: string };
  truth(): WorldTruth;
  close(): Promise<void>;
}

type Cut = 'before-next-frame' | 'after-next-frame' | null;

export async function startVirtualPump(o: VirtualPumpOptions): Promise<RunningPump> {
  const print = o.print ?? (() => {});
  const random = o.random ?? systemRandom;
  const files: PumpFiles = pumpFiles(o.dataDir, o.serial);
  const loaded = loadOrManufacture(o.dataDir, o.serial, o.model ?? 'thecal-40', o.manufactureAtMs ?? Date.now(), random);
  if (loaded.created && o.setUp !== undefined) {
    o.setUp(loaded.pump);
    // The tones and bolus ends of setting up happened before anyone was there to hear them.
    loaded.pump.drainOutputs();
    saveMemory(files, loaded.memory, loaded.pump);
  }
  const memory: PumpMemory = loaded.memory;
  const keys: KeyStore = loaded.keys;
  // The clock gives true time; the pump runs on its own oscillator (world.pumpTimeAt), which a fault may make drift.
  const clock = new ScaledClock(loaded.pump.nowMs, o.speed ?? 1);
  const startMs = loaded.pump.nowMs;
  const patient = typeof o.patient === 'function' ? o.patient(loaded.pump) : (o.patient ?? null);
  const world = new FaultWorld(loaded.pump, memory, patient, loaded.pump.nowMs);
  const pending = [...(o.faultSchedule ?? [])].sort((a, b) => a.afterMs - b.afterMs);
  const linkNow = () => Date.now();
  const radio = new PumpRadio({
    pump: world.pump,
    keys,
    random,
    ...(o.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: o.idleTimeoutMs }),
    clockRate: o.speed ?? 1,
    onKeysChanged: () => saveKeys(files, keys),
    onPaired: (p) => print(`paired ${p.role} device "${p.deviceName}" (credential ${p.credentialId}); confirmation code ${p.code}`),
  });
  const at = () => ({ pumpMs: world.pumpTimeAt(clock.pumpMs()), linkMs: linkNow() });
  let lastSavedAt = 0;
  const save = () => {
    saveMemory(files, world.memory, world.pump);
    lastSavedAt = linkNow();
  };
  world.onPumpReplaced = (p) => {
    // A restart: the radio talks to the pump that came back from memory.
    radio.pump = p;
    print(`pump restarted from memory (self-test: ${world.lastSelfTest?.settings ?? '?'})`);
    save();
  };
  const inject = (fault: Fault): { ok: true } | { ok: false; message: string } => {
    world.advanceTo(Math.max(world.trueMs, clock.pumpMs()));
    const r = REFILL_FAULTS.has(fault.kind) ? world.armRefillFault(fault) : world.inject(fault);
    if (r.ok) {
      print(`FAULT ${describeFault(fault)}${REFILL_FAULTS.has(fault.kind) ? ' (armed for the next refill)' : ''}`);
      save();
    }
    return r;
  };

  // ------------------------------------------------------------------ time runs
  const report = (out: PumpOutput) => {
    if (out.type === 'alarm-raised') print(`ALARM ${out.code} raised at ${new Date(out.atMs).toISOString()}`);
    else if (out.type === 'alarm-resolved') print(`alarm ${out.code} resolved`);
    else if (out.type === 'bolus-ended') print(`${out.kind} bolus ${out.commandId} ended: ${out.deliveredNl} of ${out.requestedNl} nL`);
  };
  const tick = () => {
    const now = clock.pumpMs();
    while (pending.length > 0 && (pending[0]?.afterMs ?? 0) + startMs <= now) {
      const next = pending.shift();
      if (next === undefined) break;
      world.advanceTo(Math.max(world.trueMs, startMs + next.afterMs));
      const r = inject(next.fault);
      if (!r.ok) print(`scheduled fault refused: ${r.message}`);
    }
    world.advanceTo(Math.max(world.trueMs, now));
    for (const out of world.pump.drainOutputs()) report(out);
    radio.tick(at());
    if (linkNow() - lastSavedAt >= (o.saveEveryMs ?? 2_000)) save();
  };
  const timer = setInterval(tick, o.tickMs ?? 100);

  // ------------------------------------------------------------------ the communicator
  let cut: Cut = null;
  const sockets = new Set<WebSocket>();
  const http = createServer((req, res) => control(req, res));
  const wss = new WebSocketServer({ server: http, path: '/radio', maxPayload: 64 * 1024 });
  wss.on('connection', (ws) => {
    sockets.add(ws);
    const spec = o.impairment ?? NO_IMPAIRMENT;
    const toClient = new ImpairedPath({ ...spec, seed: spec.seed * 2 + 1 }, (f) => {
      if (ws.readyState === ws.OPEN) ws.send(f);
    });
    const toPump = new ImpairedPath({ ...spec, seed: spec.seed * 2 }, (frame) => {
      if (cut === 'before-next-frame') {
        cut = null;
        dropAll();
        return;
      }
      const r = radio.receive(frame, at());
      // What the pump did is in its memory before anyone hears about it.
      if (r.request !== null) save();
      if (cut === 'after-next-frame') {
        cut = null;
        dropAll();
        return;
      }
      if (r.reply !== null) toClient.push(r.reply);
    });
    ws.on('message', (data, isBinary) => {
      if (!isBinary) return;
      const bytes = Array.isArray(data) ? new Uint8Array(Buffer.concat(data)) : new Uint8Array(data as ArrayBuffer);
      toPump.push(bytes);
    });
    ws.on('close', () => {
      sockets.delete(ws);
      toPump.close();
      toClient.close();
    });
    ws.on('error', () => ws.terminate());
  });
  const dropAll = () => {
    for (const s of sockets) s.terminate();
    sockets.clear();
  };

  // The web apps (served by the clinic server, another origin) stand in for the person holding the
  // magnet, so the control endpoints answer any origin; the radio itself needs no CORS.
  const CORS = {
    'access-control-allow-origin': '*',
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    'access-control-allow-headers': 'content-type',
  };
  const json = (res: ServerResponse, code: number, body: unknown) => {
    res.writeHead(code, { 'content-type': 'application/json', ...CORS });
    res.end(JSON.stringify(body) + '\n');
  };
  const readBody = (req: IncomingMessage): Promise<string> =>
    new Promise((resolve) => {
      let s = '';
      req.on('data', (c: Buffer) => {
        if (s.length < 4096) s += c.toString('utf8');
      });
      req.on('end', () => resolve(s));
    });
  const info = () => ({
    serial: o.serial,
    model: keys.model,
    radio: radioUrl,
    control: controlUrl,
    pumpUtcMs: world.pump.status().pumpUtcMs,
    speed: clock.speed,
    pairingOpen: radio.pairingOpen(linkNow()),
    sessions: radio.activeSessions,
    credentials: keys.list().map((c) => ({ id: c.id, role: c.role, name: c.name, revoked: c.revoked })),
  });
  const control = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (req.method === 'OPTIONS') {
        res.writeHead(204, CORS);
        return res.end();
      }
      if (req.method === 'GET' && url.pathname === '/info') return json(res, 200, info());
      if (req.method === 'GET' && url.pathname === '/status') {
        world.advanceTo(Math.max(world.trueMs, clock.pumpMs()));
        return json(res, 200, { status: world.pump.status(), security: Object.fromEntries(radio.security.counts) });
      }
      if (req.method === 'GET' && url.pathname === '/truth') {
        world.advanceTo(Math.max(world.trueMs, clock.pumpMs()));
        return json(res, 200, { ...world.truth(), serial: o.serial, speed: clock.speed, startMs, refillFaultArmed: world.refillFaultArmed, training: o.training ?? null });
      }
      if (req.method === 'GET' && url.pathname === '/debrief') {
        world.advanceTo(Math.max(world.trueMs, clock.pumpMs()));
        return json(res, 200, buildDebrief(world.timeline, o.training?.expected ?? [], startMs, world.trueMs));
      }
      if (req.method === 'POST' && url.pathname === '/fault') {
        let body: unknown;
        try {
          body = JSON.parse((await readBody(req)) || 'null');
        } catch {
          return json(res, 400, { error: 'the body must be a JSON fault, e.g. {"kind":"occlusion"}' });
        }
        const parsed = parseFault(body);
        if (!parsed.ok) return json(res, 400, { error: 'invalid fault', issues: parsed.errors });
        const r = inject(parsed.fault);
        if (!r.ok) return json(res, 409, { error: r.message });
        return json(res, 200, { injected: parsed.fault, armed: REFILL_FAULTS.has(parsed.fault.kind), truth: world.truth() });
      }
      if (req.method === 'POST' && url.pathname === '/magnet') {
        const seconds = Number(url.searchParams.get('seconds') ?? 60);
        if (!(seconds > 0 && seconds <= 600)) return json(res, 400, { error: 'seconds must be 1 to 600' });
        radio.openPairingWindow(linkNow(), seconds * 1000);
        print(`magnet at the pump: pairing open for ${seconds} s`);
        return json(res, 200, { pairingOpen: true, seconds });
      }
      if (req.method === 'POST' && url.pathname === '/link') {
        const body = JSON.parse((await readBody(req)) || '{}') as { cut?: string };
        if (body.cut === 'now') dropAll();
        else if (body.cut === 'before-next-frame' || body.cut === 'after-next-frame') cut = body.cut;
        else return json(res, 400, { error: 'cut must be "now", "before-next-frame" or "after-next-frame"' });
        return json(res, 200, { cut: body.cut });
      }
      return json(res, 404, { error: `no ${req.method ?? ''} ${url.pathname}; see GET /info` });
    } catch (e) {
      return json(res, 400, { error: e instanceof Error ? e.message : String(e) });
    }
  };

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  const host = o.host ?? '127.0.0.1';
  const radioUrl = `ws://${host}:${port}/radio`;
  const controlUrl = `http://${host}:${port}`;
  if (o.magnetSeconds !== undefined && o.magnetSeconds > 0) radio.openPairingWindow(linkNow(), o.magnetSeconds * 1000);

  print(`Thecal virtual pump ${o.serial} (${keys.model}): a simulator, not a medical device`);
  print(loaded.created ? `  manufactured now, with a new random root key` : `  resumed from ${files.nvmPath} at ${new Date(world.pump.nowMs).toISOString()} (self-test: ${loaded.selfTest?.settings ?? 'ok'})`);
  print(`  radio (communicator): ${radioUrl}`);
  print(`  control:              ${controlUrl}   (GET /info, POST /magnet, GET /status, GET /truth, POST /fault)`);
  print(`  memory:               ${files.nvmPath}   speed: x${clock.speed}`);
  print(`  to pair: hold the magnet over the pump (press "m" here, or: curl -X POST ${controlUrl}/magnet),`);
  print(`           then within 60 s: npx thecal pump-pair --url ${radioUrl} --role clinician --name "My programmer" --out programmer.cred.json`);

  let closed = false;
  return {
    serial: o.serial,
    port,
    radioUrl,
    controlUrl,
    pump: () => world.pump,
    radio,
    world,
    inject,
    truth: () => world.truth(),
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      dropAll();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => http.close(() => r()));
      world.advanceTo(Math.max(world.trueMs, clock.pumpMs()));
      save();
    },
  };
}
