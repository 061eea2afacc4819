/**
 * `thecal train examples/training/<file>.json [--data DIR] [--speed N]`: play a training scenario
 * live. Starts a clinic server (SQLite in a temporary folder, or --data), a virtual pump in the
 * scenario's state with its virtual patient and its scheduled faults at accelerated time, and
 * prints the addresses of the apps and of the instructor page (served by the clinic server; it
 * reads the pump's ground truth from the pump's control port).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { startServer, type RunningServer } from '@thecal/clinic-server';
import { startVirtualPump, type RunningPump } from '@thecal/virtual-pump';
import { wholeNumberOption } from '../options.ts';
import { parseTraining, type TrainingScenario } from './scenario.ts';
import { manufactureTime, preparePump } from './prepare.ts';
import { trainingPatient } from './patient.ts';

export interface TrainOptions {
  data?: string;
  clinicPort: string;
  pumpPort: string;
  speed?: string;
}

export interface TrainingRun {
  clinic: RunningServer;
  pump: RunningPump;
  urls: { clinic: string; programmer: string; ptm: string; instructor: string; radio: string; control: string };
  close(): Promise<void>;
}

export function loadTraining(file: string): { ok: true; scenario: TrainingScenario } | { ok: false; message: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { ok: false, message: `cannot read ${file}: ${(e as Error).message}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, message: `${file} is not JSON: ${(e as Error).message}` };
  }
  const r = parseTraining(json);
  return r.ok ? r : { ok: false, message: `${file} is not a valid training scenario:\n  ${r.errors.join('\n  ')}` };
}

export async function startTraining(s: TrainingScenario, o: { dataDir: string; clinicPort: number; pumpPort: number; speed?: number; print?: (line: string) => void }): Promise<TrainingRun> {
  const clinic = await startServer({ port: o.clinicPort, host: '127.0.0.1', dataDir: join(o.dataDir, 'clinic') });
  let pump: RunningPump;
  try {
    pump = await startVirtualPump({
      serial: s.pump.serial,
      model: s.pump.model,
      dataDir: join(o.dataDir, 'pumps'),
      port: o.pumpPort,
      speed: o.speed ?? s.speed,
      manufactureAtMs: manufactureTime(s),
      setUp: (p) => preparePump(p, s),
      patient: trainingPatient(s),
      faultSchedule: s.faults.map((f) => ({ afterMs: f.after, fault: f.fault })),
      training: { title: s.title, briefing: s.briefing, instructorNotes: s.instructorNotes, expected: s.expected.map((e) => ({ action: e.action, byMs: e.by, why: e.why })) },
      ...(o.print === undefined ? {} : { print: o.print }),
    });
  } catch (e) {
    await clinic.close();
    throw e;
  }
  const urls = {
    clinic: clinic.url,
    programmer: `${clinic.url}/programmer/`,
    ptm: `${clinic.url}/ptm/`,
    instructor: `${clinic.url}/instructor/?pump=${encodeURIComponent(pump.controlUrl)}`,
    radio: pump.radioUrl,
    control: pump.controlUrl,
  };
  return {
    clinic,
    pump,
    urls,
    async close() {
      await Promise.allSettled([pump.close(), clinic.close()]);
    },
  };
}

export function registerTrain(program: Command, setExit: (code: number) => void): void {
  program
    .command('train')
    .description('play a training scenario live: clinic server, virtual pump with its virtual patient and scheduled faults, instructor page')
    .argument('<scenario>', 'training scenario, JSON (thecal-training/1), e.g. examples/training/pocket-fill.json')
    .option('--data <dir>', 'data folder (default: a new temporary folder)')
    .option('--clinic-port <n>', 'clinic server port (0 = any free port)', '0')
    .option('--pump-port <n>', 'virtual pump port (0 = any free port)', '0')
    .option('--speed <x>', "pump seconds per real second (default: the scenario's)")
    .action(async (file: string, opts: TrainOptions) => {
      const say = (line: string) => process.stdout.write(`${line}\n`);
      try {
        const loaded = loadTraining(file);
        if (!loaded.ok) {
          process.stderr.write(`thecal train: ${loaded.message}\n`);
          setExit(2);
          return;
        }
        const s = loaded.scenario;
        const dataDir = opts.data ?? mkdtempSync(join(tmpdir(), 'thecal-train-'));
        const run = await startTraining(s, {
          dataDir,
          clinicPort: wholeNumberOption('--clinic-port', opts.clinicPort, 0, 65_535),
          pumpPort: wholeNumberOption('--pump-port', opts.pumpPort, 0, 65_535),
          ...(opts.speed === undefined ? {} : { speed: wholeNumberOption('--speed', opts.speed, 1, 1_000_000) }),
          print: (line) => say(`  [pump] ${line}`),
        });
        say(`Training: ${s.title} (a simulator, not a medical device)`);
        say(`  briefing for the trainee: ${s.briefing}`);
        say(`  instructor page   ${run.urls.instructor}`);
        say(`  programmer        ${run.urls.programmer}`);
        say(`  patient app       ${run.urls.ptm}`);
        say(`  clinic server     ${run.urls.clinic}   (data in ${dataDir})`);
        say(`  virtual pump      ${s.pump.serial} at x${opts.speed ?? s.speed}: radio ${run.urls.radio}, control ${run.urls.control}`);
        say(`  pair              curl -X POST ${run.urls.control}/magnet   (then pair the programmer within 60 s)`);
        say(`  inject a fault    npx thecal faults inject --pump ${run.urls.control} '{"kind":"occlusion"}'`);
        say(`  scheduled faults  ${s.faults.length === 0 ? 'none' : s.faults.map((f) => `${f.fault.kind} at +${Math.round(f.after / 60_000)} min`).join(', ')}`);
        say('ready. Ctrl-C ends the run (the debrief stays on the instructor page until then).');
        await new Promise<void>((resolve) => {
          const stop = () => void run.close().then(() => resolve());
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        say('stopped.');
        setExit(0);
      } catch (e) {
        process.stderr.write(`thecal train: ${(e as Error).message}\n`);
        setExit(1);
      }
    });
}
