/** `thecal faults [--out docs/fault-table.md] [--json FILE]`: build the fault-detection table. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import { FAULT_KINDS, parseFault } from '@thecal/virtual-pump';
import { buildFaultTable, type FaultTable } from './campaign.ts';
import { faultTableMarkdown } from './render.ts';
import { patientFactory, PATIENT_MODEL_NAME } from './patient.ts';

export interface FaultsOptions {
  out?: string;
  json?: string;
}

export function registerFaults(program: Command, setExit: (code: number) => void): void {
  const faults = program
    .command('faults')
    .description('the fault-detection table (default), or inject a fault into a running virtual pump (faults inject)')
    .option('--out <file>', 'write the Markdown table here (and the JSON beside it, same name with .json)')
    .option('--json <file>', 'write the JSON table to this file')
    .action(async (opts: FaultsOptions) => {
      setExit(await faultsCommand(opts));
    });
  faults
    .command('inject')
    .description(`inject a fault into a running virtual pump now, e.g. '{"kind":"occlusion"}'; kinds: ${FAULT_KINDS.join(', ')}`)
    .argument('<fault>', 'the fault, JSON (docs/faults.md)')
    .requiredOption('--pump <url>', 'the virtual pump control address, e.g. http://127.0.0.1:7001')
    .action(async (text: string, opts: { pump: string }) => {
      setExit(await injectCommand(opts.pump, text));
    });
  faults
    .command('truth')
    .description("print a running virtual pump's ground truth (what the instructor sees)")
    .requiredOption('--pump <url>', 'the virtual pump control address')
    .action(async (opts: { pump: string }) => {
      try {
        const r = await fetch(`${opts.pump.replace(/\/$/, '')}/truth`);
        process.stdout.write(JSON.stringify(await r.json(), null, 2) + '\n');
        setExit(r.ok ? 0 : 1);
      } catch (e) {
        process.stderr.write(`thecal faults truth: cannot reach ${opts.pump}: ${(e as Error).message}\n`);
        setExit(1);
      }
    });
}

/** Validate locally (the same schema as the pump's), then POST /fault. */
export async function injectCommand(pumpUrl: string, text: string, io: { out: (s: string) => void; err: (s: string) => void } = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }): Promise<number> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    io.err(`thecal faults inject: the fault is not JSON: ${(e as Error).message}\n`);
    return 2;
  }
  const parsed = parseFault(json);
  if (!parsed.ok) {
    io.err(`thecal faults inject: invalid fault:\n  ${parsed.errors.join('\n  ')}\n`);
    return 2;
  }
  try {
    const r = await fetch(`${pumpUrl.replace(/\/$/, '')}/fault`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(parsed.fault) });
    const body = (await r.json()) as { error?: string; issues?: string[]; armed?: boolean };
    if (!r.ok) {
      io.err(`thecal faults inject: the pump refused: ${body.error ?? r.status}${body.issues ? `\n  ${body.issues.join('\n  ')}` : ''}\n`);
      return 1;
    }
    io.out(`${parsed.fault.kind} ${body.armed === true ? 'armed for the next refill' : 'injected'}\n`);
    return 0;
  } catch (e) {
    io.err(`thecal faults inject: cannot reach ${pumpUrl}: ${(e as Error).message}\n`);
    return 1;
  }
}

export async function faultsCommand(opts: FaultsOptions, print: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  // A bar on a terminal; in a log (CI), a line every eight rows.
  const bar = process.stderr.isTTY ? new SingleBar({ format: 'faults [{bar}] {value}/{total} fault x rate runs | {row}', stream: process.stderr }, Presets.shades_classic) : null;
  let table: FaultTable;
  try {
    table = await buildFaultTable({
      patientFactory,
      patientModel: PATIENT_MODEL_NAME,
      onRow: (row, done, total) => {
        const what = `${row.caseId} at ${row.rateNlPerDay} nL/day`;
        if (bar !== null) {
          if (done === 1) bar.start(total, 0, { row: what });
          bar.update(done, { row: what });
        } else if (done % 8 === 0 || done === total) print(`  faults: ${done}/${total} (${what})\n`);
      },
    });
  } finally {
    bar?.stop();
  }
  const md = faultTableMarkdown(table);
  const jsonPath = opts.json ?? (opts.out !== undefined ? opts.out.replace(/\.md$/, '') + '.json' : undefined);
  if (opts.out !== undefined) {
    mkdirSync(dirname(opts.out), { recursive: true });
    writeFileSync(opts.out, md);
    print(`wrote ${opts.out}\n`);
  } else {
    process.stdout.write(md);
  }
  if (jsonPath !== undefined) {
    mkdirSync(dirname(jsonPath), { recursive: true });
    writeFileSync(jsonPath, JSON.stringify(table, null, 2) + '\n');
    print(`wrote ${jsonPath}\n`);
  }
  return 0;
}
