import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { importOptional } from '../core/optional.ts';
import { parseDuration } from './arguments.ts';
import { QUEUE_PREFIX_ENV, REDIS_URL_ENV } from './dispatch-choice.ts';
import type { ActWrapper } from './extra-commands.ts';

const redisOption = (): Option =>
  new Option('--redis <url>', `run agents on baton workers through BullMQ on this Redis (default: $${REDIS_URL_ENV}; unset: in this process)`);

/** A queue prefix: non-empty, no whitespace (batonjs-scale checks BATON_QUEUE_PREFIX the same way). */
function parseQueuePrefix(value: string): string {
  if (!/^\S+$/.test(value)) throw new InvalidArgumentError(`expected a non-empty queue prefix without whitespace, e.g. acme:agent; got '${value}'`);
  return value;
}

const queuePrefixOption = (): Option =>
  new Option(
    '--queue-prefix <prefix>',
    `Redis key prefix of the job queues, heartbeats and cancel channel; orchestrators and workers of one project must agree, projects sharing a Redis must differ (default: $${QUEUE_PREFIX_ENV}, else baton:agent)`,
  ).argParser(parseQueuePrefix);

/**
 * Commands whose code lives in optional packages: their options and help are here, so `baton
 * --help` lists them; running one loads its package (or says how to install it).
 */
export function optionalCommands(program: Command, act: ActWrapper): void {
  program
    .command('serve')
    .description('serve the HTTP API, the live dashboard and the A2A endpoint (stop with Ctrl-C); needs batonjs-server')
    .addOption(new Option('-m, --manifest <file>', 'the manifest').default('baton.yaml'))
    .addOption(new Option('--host <address>', 'address to listen on; other than loopback needs BATON_API_TOKEN').default('127.0.0.1'))
    .addOption(new Option('--allowed-hosts <names>', 'without a token, host names served besides loopback ones, comma-separated; .example.com allows its subdomains (default: $BATON_ALLOWED_HOSTS)'))
    .addOption(new Option('--port <n>', 'port; 0 picks a free one').default('8080'))
    .addOption(new Option('--store <path|url>', 'journal: a SQLite file, "memory" or a postgres:// URL (default: $BATON_DATABASE_URL or .baton/baton.db)'))
    .addOption(new Option('--data-dir <dir>', 'runs write their files under <dir>/runs/<run id>/').default('.baton'))
    .addOption(new Option('--retention <duration>', 'delete ended runs older than this (7d, 12h, 30m), journal rows and files together, at start and periodically (default: $BATON_RETENTION; unset: keep every run)').argParser(parseDuration))
    .addOption(new Option('--max-concurrent-tasks <n>', 'cap on agent attempts in flight across all runs').default('16'))
    .addOption(
      new Option('--on-shutdown <what>', 'on SIGINT/SIGTERM, the runs still working are cancelled, or released for another replica (or the next start) to carry on; release needs a durable journal')
        .choices(['cancel', 'release'])
        .default('cancel'),
    )
    .addOption(new Option('--planner <name>', 'planner to use').choices(['builtin', 'llm']))
    .addOption(new Option('--warm [agents]', "before listening, load the integrator and the orchestrator's subagents, or only these (comma-separated), and their fallbacks: versions checked, threads and processes started (a fallback's only built), so the first run starts as fast as the next; what cannot load is printed as a warning"))
    .addOption(new Option('--redis <url>', `dispatch attempts to baton workers through BullMQ on this Redis (default: $${REDIS_URL_ENV})`))
    .addOption(queuePrefixOption())
    .action(act(async (opts: Record<string, unknown>) => (await importOptional('batonjs-server', 'baton serve')).serveCommand(opts)));

  program
    .command('worker')
    .description(`run a manifest's agents for the jobs orchestrators queue on Redis (BullMQ); stops gracefully on SIGTERM; needs batonjs-scale`)
    .addOption(new Option('-m, --manifest <file>', 'the manifest').default('baton.yaml'))
    .addOption(new Option('--redis <url>', `Redis to take jobs from (default: $${REDIS_URL_ENV})`))
    .addOption(queuePrefixOption())
    .option('--concurrency <n|agent=n,...>', 'jobs run at once per agent, e.g. "4" or "2,analytics=8" (default: policy.maxParallel)')
    .option('--agents <names>', 'only consume the queues of these agents, comma-separated (default: all)')
    .option('--health-port <port>', 'serve GET /healthz on this port (0: any free port)')
    .option('--health-host <host>', 'address the health endpoint listens on', '127.0.0.1')
    .option('--grace-ms <ms>', 'on SIGTERM, how long running jobs may finish before they are handed back to the queue', '30000')
    .option('--lock-ms <ms>', "how long a dead worker's job stays claimed before another worker re-runs it", '30000')
    .action(act(async (opts: Record<string, unknown>) => (await importOptional('batonjs-scale', 'baton worker')).workerCommand(opts)));

  // `run` and `runs resume` dispatch to workers with --redis (or BATON_REDIS_URL).
  const run = program.commands.find((c) => c.name() === 'run');
  const runs = program.commands.find((c) => c.name() === 'runs');
  const resume = runs?.commands.find((c: Command) => c.name() === 'resume');
  run?.addOption(redisOption());
  resume?.addOption(redisOption());
  for (const command of [run, resume, runs?.commands.find((c: Command) => c.name() === 'cancel')]) command?.addOption(queuePrefixOption());

  // These commands reach the dispatcher through buildRuntime (and batonjs-server), which take the
  // prefix from the environment as batonjs-scale reads it: the flag sets it for this process.
  program.hook('preAction', (_program, command) => {
    const prefix: unknown = command.opts()['queuePrefix'];
    if (typeof prefix === 'string') process.env[QUEUE_PREFIX_ENV] = prefix;
  });
}
