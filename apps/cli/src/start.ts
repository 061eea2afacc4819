/**
 * `thecal start` (what `npm start` runs): the main job. A clinic server on its embedded SQLite
 * database, seeded with a demo clinic the first time, and a virtual pump on an accelerated clock,
 * both on this machine, and the browser apps (clinician programmer, patient app, instructor page)
 * served by the clinic server, built first if their sources changed. It prints where everything is
 * and runs until Ctrl-C. The virtual pump is the demo patient's own pump: the seed ran its history,
 * so the clinic server, the programmer and the patient app all meet the same pump.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PumpMemory, type Pump } from '@thecal/pump-core';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { DEMO_PASSWORD, openDatabase, seedDemoClinic, startServer } from '@thecal/clinic-server';
import { pumpFiles, startVirtualPump } from '@thecal/virtual-pump';
import { wholeNumberOption } from './options.ts';
import { buildWebApps, webAppStates } from './web-build.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

interface StartOptions {
  data: string;
  clinicPort: string;
  pumpPort: string;
  speed: string;
  patients: string;
  serial: string;
  build: boolean;
}

export function registerStart(program: Command, setExit: (code: number) => void): void {
  program
    .command('start')
    .description('start the main job: clinic server (SQLite, demo clinic seeded once) and a virtual pump; runs until Ctrl-C')
    .option('--data <dir>', 'data folder (clinic database and pump memory)', '.thecal')
    .option('--clinic-port <n>', 'clinic server port (0 = any free port)', '8080')
    .option('--pump-port <n>', 'virtual pump port (0 = any free port)', '7001')
    .option('--speed <x>', 'pump seconds per real second', '60')
    .option('--patients <n>', 'patients in the demo clinic seeded on first start', '24')
    .option('--serial <s>', 'serial number of the virtual pump', 'TH-DEMO-0001')
    .option('--no-build', 'serve the web apps as last built, even if their sources changed')
    .action(async (opts: StartOptions) => {
      const say = (line: string) => process.stdout.write(`${line}\n`);
      try {
        const clinicPort = wholeNumberOption('--clinic-port', opts.clinicPort, 0, 65_535);
        const pumpPort = wholeNumberOption('--pump-port', opts.pumpPort, 0, 65_535);
        const speed = wholeNumberOption('--speed', opts.speed, 1, 1_000_000);
        const patients = wholeNumberOption('--patients', opts.patients, 1, 10_000);
        const clinicDir = join(opts.data, 'clinic');
        mkdirSync(clinicDir, { recursive: true });
        const seededMarker = join(clinicDir, 'demo-seeded');
        const pumpsDir = join(opts.data, 'pumps');
        if (!existsSync(seededMarker)) {
          const demoPump = await seed(clinicDir, patients, seededMarker, opts.serial);
          if (demoPump !== null && !existsSync(pumpFiles(pumpsDir, opts.serial).nvmPath)) writePumpMemory(pumpsDir, opts.serial, demoPump);
        }
        const stale = webAppStates(repoRoot).filter((a) => a.reason !== null);
        if (stale.length > 0 && opts.build) {
          say(`building the web apps: ${stale.map((a) => `${a.name} (${a.reason})`).join(', ')}`);
          await buildWebApps(repoRoot, stale.map((a) => a.name));
        }

        const clinic = await startServer({ port: clinicPort, host: '127.0.0.1', dataDir: clinicDir });
        const pump = await startVirtualPump({ serial: opts.serial, dataDir: pumpsDir, port: pumpPort, speed });
        say('Thecal is running (a simulator and reference implementation, not a medical device).');
        say(`  clinic server   ${clinic.url}   API documentation ${clinic.url}/docs`);
        say(`                  demo users admin, clinician, nurse, patient; password "${DEMO_PASSWORD}"`);
        say(`  virtual pump    ${pump.serial} at x${speed}: radio ${pump.radioUrl}, control ${pump.controlUrl}`);
        say(`  pair with it    curl -X POST ${pump.controlUrl}/magnet   then within 60 s:`);
        say(`                  npx thecal pump-pair --url ${pump.radioUrl} --role clinician --out programmer.cred.json`);
        const pumpParam = `?pump=${encodeURIComponent(pump.radioUrl)}`;
        for (const app of webAppStates(repoRoot)) {
          const label = { programmer: 'programmer', ptm: 'patient app', instructor: 'instructor' }[app.name] ?? app.name;
          // The instructor page reads the pump's ground truth from its control port, the apps talk to its radio.
          const param = app.name === 'instructor' ? `?pump=${encodeURIComponent(pump.controlUrl)}` : pumpParam;
          say(`  ${label.padEnd(15)} ${clinic.url}/${app.name}/${param}${app.reason === null ? '' : '   (not rebuilt: --no-build)'}`);
        }
        say('ready. Ctrl-C stops everything.');
        await new Promise<void>((resolve) => {
          const stop = () => {
            void Promise.allSettled([pump.close(), clinic.close()]).then(() => resolve());
          };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        say('stopped.');
        setExit(0);
      } catch (e) {
        process.stderr.write(`thecal start: ${(e as Error).message}\n`);
        setExit(1);
      }
    });
}

/** The demo patient's pump as the virtual pump's non-volatile memory, as if it had always run there. */
function writePumpMemory(dir: string, serial: string, pump: Pump): void {
  mkdirSync(dir, { recursive: true });
  const memory = PumpMemory.blank();
  memory.save(pump);
  writeFileSync(pumpFiles(dir, serial).nvmPath, memory.device.read(0, memory.device.sizeBytes));
}

async function seed(clinicDir: string, patients: number, marker: string, demoPumpSerial: string): Promise<Pump | null> {
  const db = await openDatabase({ dataDir: clinicDir });
  const bar = new SingleBar({ stream: process.stderr, format: 'seeding the demo clinic [{bar}] {value}/{total} patients', hideCursor: true });
  bar.start(patients, 0);
  try {
    const r = await seedDemoClinic(db.db, { patients, nowMs: Date.now(), demoPumpSerial, onProgress: (done) => bar.update(done) });
    writeFileSync(marker, `${new Date().toISOString()}\n`);
    return r.demoPump;
  } finally {
    bar.stop();
    await db.close();
  }
}
