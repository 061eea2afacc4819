/** `thecal demo` (and `npm start`): runs the worked example and prints its summary. */
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { simulateCommand } from './simulate.ts';

export const DEMO_SCENARIO = fileURLToPath(new URL('../../../examples/morphine-flex-ptm.json', import.meta.url));

export function registerDemo(program: Command, setExit: (code: number) => void): void {
  program
    .command('demo')
    .description(`run the worked example scenario (examples/morphine-flex-ptm.json) and print its summary`)
    .action(() => {
      setExit(runDemo());
    });
}

export function runDemo(): number {
  return simulateCommand(DEMO_SCENARIO, {});
}
