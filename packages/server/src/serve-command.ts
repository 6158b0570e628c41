import { BatonError, parseDuration } from 'batonjs/internal';
import { createLogger } from 'batonjs/internal';
import { buildRuntime, Limiter, MemoryRunStore } from 'batonjs/internal';
import { EXIT } from 'batonjs/internal';
import { pruneInterval } from './retention.ts';
import type { CommonOptions } from 'batonjs/internal';
import type { Orchestrator } from 'batonjs';

export interface ServeOptions extends CommonOptions {
  host: string;
  port: string;
  dataDir: string;
  maxConcurrentTasks: string;
  planner?: string;
  redis?: string;
  /** Comma-separated host names served besides loopback ones when there is no token (default: BATON_ALLOWED_HOSTS). */
  allowedHosts?: string;
  /** `--retention`, already parsed to ms (default: BATON_RETENTION). */
  retention?: number;
  /** `--on-shutdown`: what becomes of the runs still working on SIGINT/SIGTERM (default cancel). */
  onShutdown?: 'cancel' | 'release';
  /** `--warm [agents]`: the integrator and the subagents (or the agents named, comma-separated) loaded before the server listens. */
  warm?: boolean | string;
}

/** The retention: `--retention`, else BATON_RETENTION (7d, 12h, 30m), else none. */
function retentionMs(opts: ServeOptions): number | undefined {
  if (opts.retention !== undefined) return opts.retention;
  const env = process.env['BATON_RETENTION']?.trim();
  if (!env) return undefined;
  try {
    return parseDuration(env);
  } catch (e) {
    throw new BatonError('BAD_REQUEST', `BATON_RETENTION='${env}': ${(e as Error).message}`, { retryable: false });
  }
}

function wholeNumber(value: string, flag: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > 65535 * 1000) throw new BatonError('BAD_REQUEST', `${flag} must be a whole number >= ${min}, got '${value}'`, { retryable: false });
  return n;
}

/**
 * `baton serve`: the HTTP API, live dashboard and A2A endpoint until SIGINT/SIGTERM, which stop
 * the server cleanly (runs in flight end cancelled, or are released with `--on-shutdown release`).
 * Prints the URL it listens on.
 */
export async function serveCommand(opts: ServeOptions): Promise<number> {
  const port = wholeNumber(opts.port, '--port', 0);
  if (port > 65535) throw new BatonError('BAD_REQUEST', `--port must be at most 65535, got ${port}`, { retryable: false });
  const maxConcurrentTasks = wholeNumber(opts.maxConcurrentTasks, '--max-concurrent-tasks', 1);
  const retention = retentionMs(opts);
  // Loaded here: other commands never load the HTTP, A2A and telemetry stacks.
  const { apiTokenOf, createServer, isLoopbackHost, parseAllowedHosts } = await import('./server.ts');
  // Checked before anything starts: a token no client could send, or a guessable one, is refused (exit 64).
  const token = apiTokenOf({});
  const allowedHosts = opts.allowedHosts !== undefined ? parseAllowedHosts(opts.allowedHosts, '--allowed-hosts') : undefined;
  if (!token && !isLoopbackHost(opts.host)) {
    process.stderr.write(`baton: refusing to serve on ${opts.host} without an API token.\n  Set BATON_API_TOKEN (clients then send Authorization: Bearer <token>), or use --host 127.0.0.1.\n`);
    return EXIT.usage;
  }
  const limiter = new Limiter(maxConcurrentTasks);
  // The server exports spans itself (its failures go to its log), so the runtime does not.
  const runtime = await buildRuntime({
    ...(opts.manifest ? { manifest: opts.manifest } : {}),
    ...(opts.store ? { store: opts.store } : {}),
    ...(opts.planner ? { planner: opts.planner } : {}),
    ...(opts.redis ? { redis: opts.redis } : {}),
    limiter,
    telemetry: false,
    onCloseError: (m) => process.stderr.write(`closing: ${m}\n`),
    onWarning: (m) => process.stderr.write(`baton: warning: ${m}\n`),
  });
  const { manifest } = runtime;
  if (opts.onShutdown === 'release' && runtime.orchestrator.store instanceof MemoryRunStore) {
    await runtime.close();
    process.stderr.write(`baton: --on-shutdown release hands runs to the next process through the journal, but --store memory dies with this one.\n  Use a SQLite file or a postgres:// URL (--store, or BATON_DATABASE_URL), or --on-shutdown cancel.\n`);
    return EXIT.usage;
  }
  const logger = createLogger({ level: process.env['BATON_LOG_LEVEL'] ?? 'info' });
  // Listened for before the server says it is serving, and before --warm loads what runs need: a
  // SIGTERM sent as soon as that line shows, or while agents load (by a supervisor, a test), stops
  // it cleanly instead of finding no handler yet and killing it.
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  let warmed: string | undefined;
  if (opts.warm) {
    logger.info('warming: loading the integrator and the agents before listening');
    const named = typeof opts.warm === 'string' ? opts.warm.split(',').map((name) => name.trim()).filter((name) => name !== '') : undefined;
    const stop = new AbortController();
    const outcome = await Promise.race([warm(runtime.orchestrator, manifest.orchestrator.integrator !== undefined, named, stop.signal).then((line) => ({ line })), stopped.then((signal) => ({ signal }))]);
    if ('signal' in outcome) {
      // What is still loading is left to the close below: its bounds would hold the process.
      stop.abort();
      logger.info({ signal: outcome.signal }, 'stopping');
      await runtime.close();
      logger.flush();
      return 0;
    }
    warmed = outcome.line;
  }
  let server;
  try {
    server = await createServer({
      orchestrator: runtime.orchestrator,
      host: opts.host,
      port,
      dataDir: opts.dataDir,
      ...(retention === undefined ? {} : { retention: { olderThanMs: retention } }),
      maxConcurrentTasks,
      logger,
      ...(token ? { token } : {}),
      ...(allowedHosts ? { allowedHosts } : {}),
      ...(opts.onShutdown ? { onShutdown: opts.onShutdown } : {}),
    });
  } catch (e) {
    await runtime.close();
    throw e;
  }
  // One write: a reader that sees the first line sees what --warm did with it.
  process.stdout.write(`Baton is serving ${manifest.orchestrator.name} at ${server.url}\n  dashboard ${server.url}/   API ${server.url}/v1 (${server.url}/openapi.json)   A2A ${server.url}/a2a\n${warmed === undefined ? '' : `  ${warmed}\n`}`);
  if (retention !== undefined) process.stdout.write(`  retention: ended runs older than ${formatDuration(retention)} are deleted (journal rows and files), checked every ${formatDuration(pruneInterval({ olderThanMs: retention }))}\n`);
  const signal = await stopped;
  logger.info({ signal }, 'stopping');
  await server.close();
  // A run that began after the server's close looked (a request already under way) ends the same way.
  await runtime.orchestrator.close({ closeStore: false, runs: opts.onShutdown ?? 'cancel' }).catch(() => undefined);
  await runtime.close();
  logger.flush();
  return 0;
}

/** `--warm`: loads what runs need and prints what could not load as warnings; says what it did (`warm: ...`). */
async function warm(orchestrator: Orchestrator, integrator: boolean, named: string[] | undefined, signal: AbortSignal): Promise<string> {
  const started = performance.now();
  const { agents, problems } = await orchestrator.warm(named, { signal });
  // Stopped meanwhile: what could not load then is the stop's doing, not the agents'.
  if (signal.aborted) return 'warm: stopped';
  for (const problem of problems) process.stderr.write(`baton: warning: ${problem}\n`);
  const took = `in ${((performance.now() - started) / 1000).toFixed(2)} s`;
  if (problems.length > 0) return `warm: done ${took}, with ${problems.length} problem${problems.length === 1 ? '' : 's'} (printed as warnings)`;
  return `warm: ${integrator ? 'the integrator and ' : ''}${agents.length} agent${agents.length === 1 ? '' : 's'} loaded ${took}`;
}

/** `7d`, `12h`, `30m`, `90s`: the largest whole unit. */
function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000]] as const) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${Math.round(ms / 1000)}s`;
}
