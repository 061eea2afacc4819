/**
 * `thecal pump`: run a virtual pump (apps/virtual-pump) until Ctrl-C; press "m" for the magnet.
 * `thecal pump-pair`: pair with a running pump (its pairing window must be open) and save the credential.
 * `thecal pump-interrogate`: open a session with a saved credential and print the pump's status.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import WebSocket from 'ws';
import { PumpClient, webSocketConnector, type Credential, type WebSocketConstructor } from '@thecal/protocol';
import { DAILY_DOSE_PER_SCREENING_DOSE, VirtualPatientPort, parseImpairment, startVirtualPump } from '@thecal/virtual-pump';
import { DRUG_IDS, type DrugId, type Pump } from '@thecal/pump-core';
import { wholeNumberOption } from './options.ts';

const connectorFor = (url: string) => webSocketConnector(url, WebSocket as unknown as WebSocketConstructor);

export function registerPump(program: Command, setExit: (code: number) => void): void {
  program
    .command('pump')
    .description('run a virtual pump: the pump core on a real or faster clock, memory in a file, radio on a local WebSocket')
    .option('--serial <serial>', 'serial number (its files are <data-dir>/<serial>.nvm and .keys.json)', 'TH-0001')
    .option('--model <model>', 'thecal-20 or thecal-40 (new pumps only)', 'thecal-40')
    .option('--data-dir <dir>', 'where the pump keeps its memory and keys', '.thecal/pumps')
    .option('--port <port>', 'local port for the radio and the control endpoint (0: any free port)', '7001')
    .option('--speed <factor>', 'pump seconds per real second (3600 = one hour per second)', '1')
    .option('--magnet [seconds]', 'start with the magnet over the pump: pairing open for this long', undefined)
    .option('--patient <drug>', 'implant the pump in a virtual patient on this drug (baclofen, morphine, ziconotide, hydromorphone), established on the pump\'s current dose; GET /truth shows it')
    .option('--impair <spec>', 'impair the link, e.g. drop=0.05,corrupt=0.01,duplicate=0.02,reorder=0.02,delay=40,jitter=20,seed=7', '')
    .action(async (opts: { serial: string; model: string; dataDir: string; port: string; speed: string; magnet?: string | boolean; impair: string; patient?: string }) => {
      try {
        if (opts.model !== 'thecal-20' && opts.model !== 'thecal-40') throw new Error(`--model must be thecal-20 or thecal-40, got "${opts.model}"`);
        const speed = Number(opts.speed);
        if (!(speed > 0)) throw new Error(`--speed must be a positive number, got "${opts.speed}"`);
        const port = wholeNumberOption('--port', opts.port, 0, 65_535);
        const magnetSeconds = opts.magnet === undefined ? undefined : opts.magnet === true ? 60 : wholeNumberOption('--magnet', String(opts.magnet), 1, 3_600);
        const running = await startVirtualPump({
          serial: opts.serial,
          model: opts.model,
          dataDir: opts.dataDir,
          port,
          speed,
          impairment: parseImpairment(opts.impair),
          ...(magnetSeconds === undefined ? {} : { magnetSeconds }),
          ...(opts.patient === undefined ? {} : { patient: patientOn(opts.patient) }),
          print: (line) => console.log(line),
        });
        if (process.stdin.isTTY) {
          process.stdin.setRawMode(true);
          process.stdin.resume();
          process.stdin.on('data', (b: Buffer) => {
            const key = b.toString('utf8');
            if (key === 'm' || key === 'M') running.radio.openPairingWindow(Date.now(), 60_000), console.log('magnet at the pump: pairing open for 60 s');
            if (key === '\u0003' || key === 'q') process.kill(process.pid, 'SIGINT');
          });
          console.log('  keys: m = magnet (pairing window), q or Ctrl-C = stop (memory is saved)');
        }
        await new Promise<void>((resolve) => {
          const stop = () => void running.close().then(resolve);
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        if (process.stdin.isTTY) process.stdin.pause();
        console.log(`pump ${running.serial} stopped; memory saved`);
      } catch (e) {
        console.error(`thecal pump: ${e instanceof Error ? e.message : String(e)}`);
        setExit(2);
      }
    });

  program
    .command('pump-pair')
    .description('pair with a running virtual pump (hold the magnet first: press "m" at the pump or POST /magnet)')
    .requiredOption('--url <url>', 'the pump radio, e.g. ws://127.0.0.1:7001/radio')
    .option('--role <role>', 'clinician or patient', 'clinician')
    .option('--name <name>', 'this device\'s name, shown at the pump', 'thecal cli')
    .requiredOption('--out <file>', 'where to save the credential (a secret: keep it private)')
    .action(async (opts: { url: string; role: string; name: string; out: string }) => {
      const client = new PumpClient({ connect: connectorFor(opts.url) });
      try {
        if (opts.role !== 'clinician' && opts.role !== 'patient') throw new Error(`--role must be clinician or patient, got "${opts.role}"`);
        const { credential, code } = await client.pair(opts.role, opts.name);
        writeFileSync(opts.out, JSON.stringify(credential, null, 2) + '\n', { mode: 0o600 });
        console.log(`paired with pump ${credential.pumpSerial} as ${credential.role}; confirmation code ${code} (the pump shows the same); credential saved to ${opts.out}`);
      } catch (e) {
        console.error(`thecal pump-pair: ${e instanceof Error ? e.message : String(e)}`);
        setExit(1);
      } finally {
        client.close();
      }
    });

  program
    .command('pump-interrogate')
    .description('open a session with a saved credential and print the pump\'s device info and status (JSON)')
    .requiredOption('--url <url>', 'the pump radio, e.g. ws://127.0.0.1:7001/radio')
    .requiredOption('--credential <file>', 'a credential saved by pump-pair')
    .action(async (opts: { url: string; credential: string }) => {
      const client = new PumpClient({ connect: connectorFor(opts.url) });
      try {
        const credential = JSON.parse(readFileSync(opts.credential, 'utf8')) as Credential;
        await client.connect(credential);
        const device = await client.deviceInfo();
        const status = await client.status();
        console.log(JSON.stringify({ device, status }, null, 2));
        await client.end();
      } catch (e) {
        console.error(`thecal pump-interrogate: ${e instanceof Error ? e.message : String(e)}`);
        setExit(1);
      } finally {
        client.close();
      }
    });
}

/** A virtual patient on `drug`, established on whatever the pump delivers when it starts. */
export function patientOn(drug: string): (pump: Pump) => VirtualPatientPort {
  if (!(DRUG_IDS as readonly string[]).includes(drug)) throw new Error(`--patient must be one of ${DRUG_IDS.join(', ')}, got "${drug}"`);
  return (pump) => {
    const st = pump.status();
    const dailyPg = st.therapy.currentRateNlPerDay * st.reservoir.concentrationMcgPerMl;
    return new VirtualPatientPort({
      drugId: drug as DrugId,
      seed: 1,
      startMs: pump.nowMs,
      catheterVolumeNl: st.device.catheter?.volumeNl ?? 150_000,
      fillConcentrationMcgPerMl: st.reservoir.concentrationMcgPerMl,
      steadyDailyPg: dailyPg,
      ...(dailyPg > 0 ? { screeningDosePg: Math.round(dailyPg / DAILY_DOSE_PER_SCREENING_DOSE) } : {}),
    });
  };
}
