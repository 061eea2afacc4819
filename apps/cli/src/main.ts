/** Entry point of the `thecal` command. Each subcommand lives in its own module. */
import { Command, CommanderError } from 'commander';
import { registerDemo } from './demo.ts';
import { registerClinic } from './clinic-command.ts';
import { registerSimulate } from './simulate.ts';
import { registerPump } from './pump-command.ts';
import { registerStart } from './start.ts';
import { registerFaults } from './faults/faults-command.ts';
import { registerTrain } from './train/train-command.ts';
import { registerCohort } from './cohort-command.ts';

export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  program
    .name('thecal')
    .description('Thecal: an open simulator and reference implementation of an implanted intrathecal drug pump. Not a medical device.')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError();
  let exitCode = 0;
  const setExit = (code: number) => {
    exitCode = code;
  };
  registerSimulate(program, setExit);
  registerDemo(program, setExit);
  registerClinic(program, setExit);
  registerPump(program, setExit);
  registerStart(program, setExit);
  registerFaults(program, setExit);
  registerTrain(program, setExit);
  registerCohort(program, setExit);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    throw e;
  }
  return exitCode;
}
