import type { Command } from 'commander';
import { Option } from 'commander';
import { MAX_LIST_LIMIT } from '../store/journal-rules.ts';
import { parseDuration, RUN_STATUSES, wholeNumber } from './arguments.ts';
import type { runCommand } from './commands/run.ts';
import type { decideCommand } from './commands/decide.ts';
import type { runsCancelCommand, runsDeleteCommand, runsListCommand, runsPruneCommand, runsShowCommand } from './commands/runs.ts';
import type { ActWrapper } from './extra-commands.ts';

// Each command's code loads when it runs: `baton --help` or `baton runs list` never loads the planner, the validator or the agents.
const runsCode = () => import('./commands/runs.ts');
const decideCode = () => import('./commands/decide.ts');

/** `baton runs ...`: reading, resuming, cancelling and deleting the runs in the journal. */
export function runsCommands(program: Command, act: ActWrapper, options: { store: () => Option; manifest: () => Option }): void {
  const runs = program.command('runs').description('runs in the journal: list, show, resume, approve, reject, cancel, delete, prune');
  const idArgument = ['<id>', 'the run id (see `baton runs list`)'] as const;

  runs
    .command('list')
    .description('list runs, newest first')
    .addOption(options.store())
    .option('--json', 'print the run records as JSON')
    .addOption(new Option('--limit <n>', `how many, newest first (at most ${MAX_LIST_LIMIT})`).argParser(wholeNumber(1, MAX_LIST_LIMIT)).default(20))
    .addOption(new Option('--status <status>', 'only runs with this status').choices(RUN_STATUSES))
    .action(act(async (opts: Parameters<typeof runsListCommand>[0]) => (await runsCode()).runsListCommand(opts)));

  runs
    .command('show')
    .description('show a run: its plan, the timeline of every attempt and its deliverable')
    .argument(...idArgument)
    .addOption(options.store())
    .option('--json', 'print the RunResult as JSON')
    .action(act(async (id: string, opts: Parameters<typeof runsShowCommand>[1]) => (await runsCode()).runsShowCommand(id, opts)));

  runs
    .command('resume')
    .description('continue a run whose process stopped, under the manifest it journaled; tasks that succeeded are not run again')
    .argument('[id]', 'the run (or --all)')
    .option('--all', 'carry on every run whose process is gone (as baton serve does by itself)')
    .addOption(new Option('-m, --manifest <file>', 'the manifest file to compare with (default: the one the run was started with)'))
    .option('--use-current-manifest', 'continue under the manifest file as it is now, not as the run journaled it')
    .addOption(options.store())
    .option('--json', 'print the RunResult as JSON')
    .option('--out <dir>', 'folder for the deliverable files (default: where the run started writing them)')
    .action(act(async (id: string | undefined, opts: Parameters<typeof runCommand>[1] & { all?: boolean }) => (await import('./commands/run.ts')).resumeCommand(id, opts)));

  const decideOptions = (c: Command): Command =>
    c
      .addOption(options.store())
      .addOption(new Option('-m, --manifest <file>', 'the manifest file to compare with when the run goes on here (default: the one the run was started with)'))
      .option('--task <id>', 'the task decided on (default: the plan, or the one task that waits)')
      .option('--by <name>', 'who decides (default: cli:<user>@<host>)')
      .option('--json', 'print the RunResult as JSON')
      .option('--out <dir>', 'folder for the deliverable files when the run goes on here (default: where the run started writing them)');
  decideOptions(
    runs
      .command('approve')
      .description('approve what a run waits for; the process holding it goes on (exit 0 once recorded), or, when none does, this one carries it to its end (exit codes as run)')
      .argument(...idArgument)
      .option('--plan <file>', 'approve this plan instead (edited: the output of baton plan --json or its plan member; - for stdin); checked again')
      .option('--note <text>', 'a remark kept with the approval'),
  ).action(act(async (id: string, opts: Parameters<typeof decideCommand>[2]) => (await decideCode()).decideCommand(id, 'approved', opts)));
  decideOptions(
    runs
      .command('reject')
      .description('reject what a run waits for: a rejected plan ends the run cancelled, a rejected task fails (its dependents are skipped); exit 0 once recorded')
      .argument(...idArgument)
      .option('--reason <text>', 'why'),
  ).action(act(async (id: string, opts: Parameters<typeof decideCommand>[2]) => (await decideCode()).decideCommand(id, 'rejected', opts)));

  runs
    .command('cancel')
    .description('cancel a run wherever it runs: its process stops it within a second; a run whose process is gone is ended here')
    .argument(...idArgument)
    .addOption(options.store())
    .option('--redis <url>', 'also cancel its queued jobs on this Redis (default: $BATON_REDIS_URL)')
    .action(act(async (id: string, opts: Parameters<typeof runsCancelCommand>[1]) => (await runsCode()).runsCancelCommand(id, opts)));

  runs
    .command('delete')
    .description('delete an ended run: its journal events and its out/ folder (a running run is refused)')
    .argument(...idArgument)
    .addOption(options.store())
    .action(act(async (id: string, opts: Parameters<typeof runsDeleteCommand>[1]) => (await runsCode()).runsDeleteCommand(id, opts)));

  runs
    .command('prune')
    .description('delete ended runs older than a duration, journal rows and out/ folders together, then reclaim the journal space')
    .addOption(new Option('--older-than <duration>', 'delete runs created longer ago than this: 7d, 12h, 30m').argParser(parseDuration).makeOptionMandatory())
    .addOption(new Option('--keep <n>', 'always keep the n newest runs, whatever their age').argParser(wholeNumber(0)).default(0))
    .option('--dry-run', 'list what would be deleted, delete nothing')
    .option('--vacuum', 'rewrite the SQLite journal to give all free space back to the disk (VACUUM; slower, locks the journal)')
    .addOption(options.store())
    .option('--json', 'print what was deleted as JSON')
    .action(act(async (opts: Parameters<typeof runsPruneCommand>[0]) => (await runsCode()).runsPruneCommand(opts)));
}
