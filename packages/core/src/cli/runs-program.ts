import type { Command } from 'commander';
import { Option } from 'commander';
import { parseDuration, RUN_STATUSES, wholeNumber } from './arguments.ts';
import { runCommand } from './commands/run.ts';
import { runsCancelCommand, runsDeleteCommand, runsListCommand, runsPruneCommand, runsShowCommand } from './commands/runs.ts';
import type { ActWrapper } from './extra-commands.ts';

/** `baton runs ...`: reading, resuming, cancelling and deleting the runs in the journal. */
export function runsCommands(program: Command, act: ActWrapper, options: { store: () => Option; manifest: () => Option }): void {
  const runs = program.command('runs').description('runs in the journal: list, show, resume, cancel, delete, prune');
  const idArgument = ['<id>', 'the run id (see `baton runs list`)'] as const;

  runs
    .command('list')
    .description('list runs, newest first')
    .addOption(options.store())
    .option('--json', 'print the run records as JSON')
    .addOption(new Option('--limit <n>', 'how many, newest first (at most 500)').argParser(wholeNumber(1)).default(20))
    .addOption(new Option('--status <status>', 'only runs with this status').choices(RUN_STATUSES))
    .action(act((opts: Parameters<typeof runsListCommand>[0]) => runsListCommand(opts)));

  runs
    .command('show')
    .description('show a run: its plan, the timeline of every attempt and its deliverable')
    .argument(...idArgument)
    .addOption(options.store())
    .option('--json', 'print the RunResult as JSON')
    .action(act((id: string, opts: Parameters<typeof runsShowCommand>[1]) => runsShowCommand(id, opts)));

  runs
    .command('resume')
    .description('continue an interrupted run from its journal; tasks that succeeded are not run again')
    .argument(...idArgument)
    .addOption(new Option('-m, --manifest <file>', 'the manifest (default: the one the run was started with)'))
    .addOption(options.store())
    .option('--json', 'print the RunResult as JSON on stdout')
    .option('--out <dir>', 'folder for the deliverable files (default: the one the run was started with)')
    .action(act((id: string, opts: Parameters<typeof runCommand>[1]) => runCommand(undefined, opts, id)));

  runs
    .command('cancel')
    .description('cancel a running run: its process gets SIGTERM, or, when that process is gone, the run is closed as cancelled')
    .argument(...idArgument)
    .addOption(options.store())
    .action(act((id: string, opts: Parameters<typeof runsCancelCommand>[1]) => runsCancelCommand(id, opts)));

  runs
    .command('delete')
    .description('delete an ended run: its journal events and its out/ folder (a running run is refused)')
    .argument(...idArgument)
    .addOption(options.store())
    .action(act((id: string, opts: Parameters<typeof runsDeleteCommand>[1]) => runsDeleteCommand(id, opts)));

  runs
    .command('prune')
    .description('delete ended runs older than a duration, journal rows and out/ folders together, then reclaim the journal space')
    .addOption(new Option('--older-than <duration>', 'delete runs created longer ago than this: 7d, 12h, 30m').argParser(parseDuration).makeOptionMandatory())
    .addOption(new Option('--keep <n>', 'always keep the n newest runs, whatever their age').argParser(wholeNumber(0)).default(0))
    .option('--dry-run', 'list what would be deleted, delete nothing')
    .option('--vacuum', 'rewrite the SQLite journal to give all free space back to the disk (VACUUM; slower, locks the journal)')
    .addOption(options.store())
    .option('--json', 'print what was deleted as JSON')
    .action(act((opts: Parameters<typeof runsPruneCommand>[0]) => runsPruneCommand(opts)));
}
