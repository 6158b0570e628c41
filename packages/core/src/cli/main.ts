import { CommanderError } from 'commander';
import { reportError } from './report-error.ts';
import { EXIT } from './exit-codes.ts';
import { buildProgram } from './program.ts';
import { exitOnceDone } from './exit-guard.ts';
import { containStrayAgentErrors } from './stray-errors.ts';

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Asked-for help and --version exit 0; help shown because a command was missing (bare
      // `baton`, `baton runs`) and every parse error are bad usage.
      const asked = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || (e.code === 'commander.help' && e.exitCode === 0);
      process.exitCode = asked ? 0 : EXIT.usage;
      return;
    }
    process.exitCode = reportError(e);
  }
}

containStrayAgentErrors();
await main(process.argv);
exitOnceDone();
