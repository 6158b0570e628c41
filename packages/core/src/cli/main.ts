import { Command, CommanderError, Option } from 'commander';
import { agentsCheckCommand, agentsCommand } from './commands/agents.ts';
import { agentsTestCommand } from './commands/agents-test.ts';
import { evalCommand } from './commands/eval.ts';
import { planCommand } from './commands/plan.ts';
import { resumeCommand, runCommand } from './commands/run.ts';
import { decideCommand } from './commands/decide.ts';
import { runsCancelCommand, runsListCommand, runsShowCommand } from './commands/runs.ts';
import { reportError } from './context.ts';
import { collectParam } from './run-inputs.ts';
import { EXIT } from './exit-codes.ts';
import { extraCommands } from './extra-commands.ts';
import { optionalCommands } from './optional-commands.ts';

type Action = (...args: never[]) => Promise<number>;

/** Wraps a command so its returned number becomes the exit code and errors are reported plainly. */
function act<A extends Action>(fn: A): (...args: Parameters<A>) => Promise<void> {
  return async (...args) => {
    let code: number;
    try {
      code = await fn(...args);
    } catch (e) {
      code = reportError(e);
    }
    process.exitCode = code;
  };
}

const manifestOption = (): Option => new Option('-m, --manifest <file>', 'the manifest').default('baton.yaml');
const storeOption = (): Option => new Option('--store <path|url>', 'journal: a SQLite file, "memory" or a postgres:// URL (default: $BATON_DATABASE_URL or .baton/baton.db)');
const plannerOption = (): Option => new Option('--planner <name>', 'planner to use').choices(['builtin', 'llm']);

export function buildProgram(): Command {
  const program = new Command('baton')
    .description('Plans a goal into tasks, delegates them to sub-agents, validates every output and heals failures.')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .showHelpAfterError();

  program
    .command('run')
    .description(
      'plan and run a goal (or run a fixed plan or workflow); prints progress on stderr and exits 0 succeeded, 2 partial, 1 failed, 130 cancelled, 3 waiting for a decision (no terminal to ask in)',
    )
    .argument('[goal]', 'what you want, in plain language (optional with --plan or --workflow)')
    .addOption(manifestOption())
    .addOption(storeOption())
    .addOption(plannerOption())
    .option('--json', 'print the RunResult as JSON on stdout')
    .option('--out <dir>', 'folder for the deliverable files (default: out/<run id>)')
    .option('--param <key=value>', 'a run parameter (repeatable); a value that parses as JSON is that JSON, else a string', collectParam)
    .option('--params <file>', 'run parameters from a JSON or YAML file (- for stdin); --param overrides them')
    .option('--plan <file>', 'run exactly this plan, no planner (the output of baton plan --json, or its plan member; - for stdin)')
    .option('--workflow <name>', "run the manifest's workflow of this name, no planner")
    .option('--yes', 'approve every decision of this run up front (policy.approval, agents with approval: required)')
    .action(act((goal: string | undefined, opts: Parameters<typeof runCommand>[1]) => runCommand(goal, opts)));

  program
    .command('plan')
    .description('show the plan for a goal without running anything')
    .argument('<goal>')
    .addOption(manifestOption())
    .addOption(plannerOption())
    .option('--json', 'print the plan as JSON')
    .action(act((goal: string, opts: Parameters<typeof planCommand>[1]) => planCommand(goal, opts)));

  const runs = program.command('runs').description('runs in the journal');
  runs
    .command('list')
    .addOption(storeOption())
    .option('--json')
    .option('--limit <n>', 'how many, newest first', '20')
    .option('--status <status>', 'only runs with this status (running, awaiting-approval, succeeded, partial, failed, cancelled)')
    .action(act((opts: Parameters<typeof runsListCommand>[0]) => runsListCommand(opts)));
  runs
    .command('show')
    .argument('<id>')
    .addOption(storeOption())
    .option('--json', 'print the RunResult as JSON')
    .action(act((id: string, opts: Parameters<typeof runsShowCommand>[1]) => runsShowCommand(id, opts)));
  runs
    .command('resume')
    .description('continue a run whose process stopped, under the manifest it journaled; tasks that succeeded are not run again')
    .argument('[id]', 'the run (or --all)')
    .option('--all', 'carry on every run whose process is gone (as baton serve does by itself)')
    .addOption(new Option('-m, --manifest <file>', 'the manifest file to compare with (default: the one the run was started with)'))
    .option('--use-current-manifest', 'continue under the manifest file as it is now, not as the run journaled it')
    .addOption(storeOption())
    .option('--json', 'print the RunResult as JSON')
    .option('--out <dir>', 'folder for the deliverable files (default: where the run started writing them)')
    .action(act((id: string | undefined, opts: Parameters<typeof runCommand>[1] & { all?: boolean }) => resumeCommand(id, opts)));
  const decideOptions = (c: Command): Command =>
    c
      .addOption(storeOption())
      .addOption(new Option('-m, --manifest <file>', 'the manifest file to compare with when the run goes on here (default: the one the run was started with)'))
      .option('--task <id>', 'the task decided on (default: the plan, or the one task that waits)')
      .option('--by <name>', 'who decides (default: cli:<user>@<host>)')
      .option('--json', 'print the RunResult as JSON')
      .option('--out <dir>', 'folder for the deliverable files when the run goes on here (default: where the run started writing them)');
  decideOptions(
    runs
      .command('approve')
      .description('approve what a run waits for; the process holding it goes on (exit 0 once recorded), or, when none does, this one carries it to its end (exit codes as run)')
      .argument('<id>')
      .option('--plan <file>', 'approve this plan instead (edited: the output of baton plan --json or its plan member; - for stdin); checked again')
      .option('--note <text>', 'a remark kept with the approval'),
  ).action(act((id: string, opts: Parameters<typeof decideCommand>[2]) => decideCommand(id, 'approved', opts)));
  decideOptions(
    runs
      .command('reject')
      .description('reject what a run waits for: a rejected plan ends the run cancelled, a rejected task fails (its dependents are skipped); exit 0 once recorded')
      .argument('<id>')
      .option('--reason <text>', 'why'),
  ).action(act((id: string, opts: Parameters<typeof decideCommand>[2]) => decideCommand(id, 'rejected', opts)));
  runs
    .command('cancel')
    .description('cancel a run wherever it runs: its process stops it within a second; a run whose process is gone is ended here')
    .argument('<id>')
    .addOption(storeOption())
    .option('--redis <url>', 'also cancel its queued jobs on this Redis (default: $BATON_REDIS_URL)')
    .action(act((id: string, opts: Parameters<typeof runsCancelCommand>[1]) => runsCancelCommand(id, opts)));

  const agents = program.command('agents').description('the agents of a manifest');
  agents
    .command('list', { isDefault: true })
    .description('list the agents of a manifest')
    .addOption(manifestOption())
    .option('--json')
    .action(act((opts: Parameters<typeof agentsCommand>[0]) => agentsCommand(opts)));
  agents
    .command('check')
    .description('validate the manifest and check every agent can be built')
    .addOption(manifestOption())
    .action(act((opts: Parameters<typeof agentsCheckCommand>[0]) => agentsCheckCommand(opts)));

  agents
    .command('test')
    .description("run the agents' examples (all, or the named ones), each as one attempt through a run's output validation; exit 0 all pass, 1 any fails")
    .argument('[names...]', 'agents to test (default: every agent with examples)')
    .addOption(manifestOption())
    .option('--json', 'print the report as JSON on stdout')
    .action(act((names: string[], opts: Parameters<typeof agentsTestCommand>[1]) => agentsTestCommand(names, opts)));

  program
    .command('eval')
    .description('run an evaluation suite: expectations on plans, runs and artifacts; exit 0 all pass, 1 any fails, 64 bad suite')
    .argument('<suite>', 'the suite file (YAML)')
    .addOption(new Option('-m, --manifest <file>', "the manifest (replaces the suite's manifest:; default: the suite's, else baton.yaml)"))
    .addOption(plannerOption())
    .option('--json', 'print the report as JSON on stdout (the text goes to stderr)')
    .option('--junit <file>', 'also write the report as JUnit XML, for CI')
    .option('--concurrency <n>', 'cases run at once (default: the number of CPUs)')
    .action(act((suite: string, opts: Parameters<typeof evalCommand>[1]) => evalCommand(suite, opts)));

  optionalCommands(program, act);
  for (const add of extraCommands) add(program, act);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      const ok = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help';
      process.exitCode = ok ? 0 : EXIT.usage;
      return;
    }
    process.exitCode = reportError(e);
  }
}

await main(process.argv);
