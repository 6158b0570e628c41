import { Command, Option } from 'commander';
import type { agentsCheckCommand, agentsCommand } from './commands/agents.ts';
import type { agentsTestCommand } from './commands/agents-test.ts';
import type { evalCommand } from './commands/eval.ts';
import type { planCommand } from './commands/plan.ts';
import type { runCommand } from './commands/run.ts';
import type { initCommand } from './commands/init.ts';
import { collectParam, packageVersion, parseGoal } from './arguments.ts';
import { reportError } from './report-error.ts';
import { extraCommands } from './extra-commands.ts';
import { optionalCommands } from './optional-commands.ts';
import { runsCommands } from './runs-program.ts';

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

/**
 * The `baton` command line: every command, its options and their help. Each command's code is
 * imported when it runs, so `baton --version`, `--help` and the light commands never load the
 * planner, the validator, the agents or zod.
 */
export function buildProgram(): Command {
  const program = new Command('baton')
    .description('Plans a goal into tasks, delegates them to sub-agents, validates every output and heals failures.')
    .version(packageVersion(), '-V, --version', 'print the version of batonjs')
    .helpOption('-h, --help', 'show help for a command')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .showHelpAfterError();

  program
    .command('run')
    .description(
      'plan and run a goal (or run a fixed plan or workflow); prints progress on stderr and exits 0 succeeded, 2 partial, 1 failed, 130 cancelled, 3 waiting for a decision (no terminal to ask in)',
    )
    // Not parseGoal: a blank goal is a goal left out, which --plan or --workflow allows (runInputs decides).
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
    .action(act(async (goal: string | undefined, opts: Parameters<typeof runCommand>[1]) => (await import('./commands/run.ts')).runCommand(goal, opts)));

  program
    .command('plan')
    .description('show the plan for a goal without running anything')
    .argument('<goal>', 'what you want, in plain language (not empty)', parseGoal)
    .addOption(manifestOption())
    .addOption(plannerOption())
    .option('--json', 'print the plan as JSON')
    .action(act(async (goal: string, opts: Parameters<typeof planCommand>[1]) => (await import('./commands/plan.ts')).planCommand(goal, opts)));

  runsCommands(program, act, { store: storeOption, manifest: manifestOption });

  program
    .command('init')
    .description('create a new Baton project (manifest, a TypeScript agent, a shell agent, a test, package.json, README) that `npx baton run` runs as it is')
    .argument('[dir]', 'folder to create it in (default: the current folder)', '.')
    .option('--force', 'use a folder that is not empty (existing files are never overwritten)')
    .option('--name <name>', 'package name (default: the folder name)')
    .action(act(async (dir: string, opts: Parameters<typeof initCommand>[1]) => (await import('./commands/init.ts')).initCommand(dir, opts)));

  const agents = program.command('agents').description('the agents of a manifest');
  agents
    .command('list', { isDefault: true })
    .description('list the agents of a manifest')
    .addOption(manifestOption())
    .option('--json', 'print the agents as JSON')
    .action(act(async (opts: Parameters<typeof agentsCommand>[0]) => (await import('./commands/agents.ts')).agentsCommand(opts)));
  agents
    .command('check')
    .description('validate the manifest and check every agent can be built')
    .addOption(manifestOption())
    .action(act(async (opts: Parameters<typeof agentsCheckCommand>[0]) => (await import('./commands/agents.ts')).agentsCheckCommand(opts)));

  agents
    .command('test')
    .description("run the agents' examples (all, or the named ones), each as one attempt through a run's output validation; exit 0 all pass, 1 any fails")
    .argument('[names...]', 'agents to test (default: every agent with examples)')
    .addOption(manifestOption())
    .option('--json', 'print the report as JSON on stdout')
    .action(act(async (names: string[], opts: Parameters<typeof agentsTestCommand>[1]) => (await import('./commands/agents-test.ts')).agentsTestCommand(names, opts)));

  program
    .command('eval')
    .description('run an evaluation suite: expectations on plans, runs and artifacts; exit 0 all pass, 1 any fails, 64 bad suite')
    .argument('<suite>', 'the suite file (YAML)')
    .addOption(new Option('-m, --manifest <file>', "the manifest (replaces the suite's manifest:; default: the suite's, else baton.yaml)"))
    .addOption(plannerOption())
    .option('--json', 'print the report as JSON on stdout (the text goes to stderr)')
    .option('--junit <file>', 'also write the report as JUnit XML, for CI')
    .option('--concurrency <n>', 'cases run at once (default: the number of CPUs)')
    .action(act(async (suite: string, opts: Parameters<typeof evalCommand>[1]) => (await import('./commands/eval.ts')).evalCommand(suite, opts)));

  optionalCommands(program, act);
  for (const add of extraCommands) add(program, act);
  return program;
}
