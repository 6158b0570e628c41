import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { getRequestListener } from '@hono/node-server';
import type { RunStore } from 'batonjs/internal';
import { BatonError, importOptional, retentionOf } from 'batonjs/internal';
import { Limiter } from 'batonjs/internal';
import { createLogger, logRunEvents } from 'batonjs/internal';
import type { Logger } from 'batonjs/internal';
import type { Orchestrator } from 'batonjs/internal';
import { TakeoverSweeper } from 'batonjs/internal';
import { createA2aEndpoint } from './a2a/a2a-app.ts';
import { buildApp } from './app.ts';
import { checkApiToken } from './auth.ts';
import type { ServerContext, ServerLimits } from './context.ts';
import { hostNameOf, isLoopbackName, parseAllowedHosts } from './host-check.ts';
import { unreadableRequest } from './http-errors.ts';
import { LiveRuns } from './live-runs.ts';
import { startRetention } from './retention.ts';
import type { RetentionPolicy } from './retention.ts';
import { RunService } from './run-service.ts';
import { closeStalledWrites } from './stalled-writes.ts';

export type { ServerLimits } from './context.ts';
export type { RetentionPolicy } from './retention.ts';
export { checkApiToken, MIN_TOKEN_LENGTH } from './auth.ts';
export { parseAllowedHosts } from './host-check.ts';
export type { ApiErrorBody, ApiErrorCode } from './http-errors.ts';

/** Builds the server's orchestrator around the shared limiter (so `maxConcurrentTasks` applies). */
export type OrchestratorFactory = (parts: { limiter: Limiter }) => Orchestrator;

export interface ServerOptions {
  /**
   * The orchestrator whose runs the server starts. Pass a factory to have the server's global
   * task cap (`maxConcurrentTasks`) given to it as its `limiter`.
   */
  orchestrator: Orchestrator | OrchestratorFactory;
  /** The journal to read runs from. Default: the orchestrator's store. */
  store?: RunStore;
  /**
   * The API token. Default: BATON_API_TOKEN. Without one, only loopback addresses may be bound
   * and only requests addressed to loopback names (or `allowedHosts`) are served. A token must be
   * at least 16 visible ASCII characters (no whitespace or control characters), else
   * createServer throws BAD_REQUEST.
   */
  token?: string;
  /**
   * Host names served besides loopback ones when there is no token (a reverse proxy's name);
   * `.example.com` allows every name under it. Default: BATON_ALLOWED_HOSTS (comma-separated).
   * The host of `publicUrl` is always allowed. With a token, any Host is served.
   */
  allowedHosts?: string[];
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Cap on attempts in flight across all runs (default 16); only used with an orchestrator factory. */
  maxConcurrentTasks?: number;
  /** Runs write their files under `<dataDir>/runs/<runId>/`. Default `.baton`. */
  dataDir?: string;
  /** Delete ended runs (journal rows and files) older than this, now and periodically. Default: keep every run. */
  retention?: RetentionPolicy;
  /** Default: a pino logger at BATON_LOG_LEVEL, silent when unset. */
  logger?: Logger;
  /** The URL written in the A2A agent card (behind a proxy). Default: the listening URL. */
  publicUrl?: string;
  limits?: Partial<ServerLimits>;
  /**
   * Take over the runs of the journal whose process is gone (default true): at once for a dead
   * process on this host, after the lease (BATON_LEASE_MS, 15 s) for one elsewhere.
   */
  takeover?: boolean;
  /** Export spans over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set (default true). */
  telemetry?: boolean;
  /**
   * What {@link BatonServer.close} does with the runs this server holds that are still working
   * (default `cancel`): `cancel` ends them cancelled; `release` hands them over as if this process
   * had stopped (`Orchestrator.handOver`), for another replica's takeover, or this server's next
   * start on the same journal, to carry on at its next sweep, without waiting for the lease (a
   * rolling deploy); runs this server's takeover sweep
   * was taking over as it closed are handed over too. A journal that records no ownership cancels
   * them either way. Runs that only wait for a decision are let go either way.
   */
  onShutdown?: 'cancel' | 'release';
}

/** A listening Baton server. */
export interface BatonServer {
  /** e.g. `http://127.0.0.1:8080` */
  url: string;
  orchestrator: Orchestrator;
  /** Stops accepting requests, cancels (or releases: see `onShutdown`) the runs it holds and waits for them, ends open streams. */
  close(): Promise<void>;
}

const DEFAULT_LIMITS: ServerLimits = { maxBodyBytes: 64 * 1024, maxA2aBodyBytes: 4 * 1024 * 1024, maxGoalLength: 4000, heartbeatMs: 15_000, pollMs: 1000, requestTimeoutMs: 60_000, writeStallMs: 60_000 };

/** True for 127.0.0.0/8, ::1, localhost and *.localhost. */
export function isLoopbackHost(host: string): boolean {
  return isLoopbackName(host);
}

/** The API token of the options or BATON_API_TOKEN, checked (see ServerOptions.token). */
export function apiTokenOf(options: { token?: string }, env: Record<string, string | undefined> = process.env): string | undefined {
  return options.token !== undefined ? checkApiToken(options.token, 'the token option') : checkApiToken(env['BATON_API_TOKEN'], 'BATON_API_TOKEN');
}

/**
 * Starts Baton as a service: the HTTP API (DESIGN section 7), the live dashboard at `/`, the
 * OpenAPI document at `/openapi.json`, and the orchestrator as an A2A agent at `/a2a`. Runs
 * execute concurrently in this process, sharing one cap on parallel tasks. Refuses a
 * non-loopback host without an API token.
 */
export async function createServer(options: ServerOptions): Promise<BatonServer> {
  const host = options.host ?? '127.0.0.1';
  const token = apiTokenOf(options);
  const extraHosts = options.allowedHosts ? parseAllowedHosts(options.allowedHosts.join(','), 'allowedHosts') : parseAllowedHosts(process.env['BATON_ALLOWED_HOSTS']);
  const publicHost = options.publicUrl ? hostNameOf(new URL(options.publicUrl).host) : undefined;
  if (!token && !isLoopbackHost(host)) {
    throw new BatonError('BAD_REQUEST', `refusing to listen on ${host} without an API token: set BATON_API_TOKEN (every /v1 call then needs Authorization: Bearer <token>), or bind a loopback address such as 127.0.0.1`, {
      retryable: false,
    });
  }
  const limiter = new Limiter(options.maxConcurrentTasks ?? 16);
  const orchestrator = typeof options.orchestrator === 'function' ? options.orchestrator({ limiter }) : options.orchestrator;
  const store = options.store ?? orchestrator.store;
  // Checked before listening: a journal that cannot delete runs cannot have a retention policy.
  if (options.retention) {
    retentionOf(store);
    if (!(options.retention.olderThanMs > 0)) throw new BatonError('BAD_REQUEST', `retention.olderThanMs must be > 0, got ${options.retention.olderThanMs}`, { retryable: false });
  }
  const logger = options.logger ?? createLogger({ level: process.env['BATON_LOG_LEVEL'] ?? 'silent' });
  const closing = new AbortController();
  const closeListeners = new Set<() => void>();
  const live = new LiveRuns(orchestrator);
  const runs = new RunService(orchestrator, store, live, path.resolve(options.dataDir ?? '.baton'), logger);
  const ctx: ServerContext = {
    orchestrator,
    runs,
    logger,
    token,
    allowedHosts: token ? undefined : [...extraHosts, ...(publicHost ? [publicHost] : [])],
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    closing: closing.signal,
    onClosing: (listener) => {
      if (closing.signal.aborted) {
        listener();
        return () => undefined;
      }
      // A wrapper of its own: one listener added twice is called twice and removed once each.
      const entry = (): void => listener();
      closeListeners.add(entry);
      return () => void closeListeners.delete(entry);
    },
  };

  const stopLogs = logRunEvents(orchestrator, logger);
  // OpenTelemetry is loaded only when an OTLP endpoint is configured: it is slow to import.
  const telemetry =
    options.telemetry === false || !(process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] || process.env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'])
      ? undefined
      : (await importOptional('batonjs-telemetry', 'OTEL_EXPORTER_OTLP_ENDPOINT (OpenTelemetry spans)')).startTelemetry(orchestrator, {
          onError: (message) => logger.warn({ message }, 'telemetry'),
        });
  const a2a = createA2aEndpoint(ctx);
  const listener = getRequestListener(buildApp(ctx, a2a.routes).fetch, { errorHandler: (e) => unreadableRequest(e, ctx.allowedHosts !== undefined) });
  const requestTimeout = ctx.limits.requestTimeoutMs;
  // Node checks its timeouts on this interval (30 s by default): a shorter limit is checked as often as it needs.
  const connectionsCheckingInterval = requestTimeout > 0 ? Math.min(30_000, Math.max(50, Math.floor(requestTimeout / 4))) : 30_000;
  const server = createHttpServer({ connectionsCheckingInterval }, (req, res) => void listener(req, res));
  server.requestTimeout = requestTimeout;
  server.headersTimeout = requestTimeout > 0 ? Math.min(30_000, requestTimeout) : 30_000;
  const stopStallChecks = closeStalledWrites(server, ctx.limits.writeStallMs);

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 8080, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    stopStallChecks();
    stopLogs();
    live.close();
    runs.close();
    await telemetry?.shutdown();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      const why = code === 'EADDRINUSE' ? 'is already in use' : code === 'EACCES' ? 'needs privileges' : 'is not an address of this machine';
      throw new BatonError('BAD_REQUEST', `cannot listen on ${host}:${options.port ?? 8080}: it ${why}; choose another --host/--port (--port 0 picks a free one)`, { retryable: false, cause: e });
    }
    throw e;
  }
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${shownHost}:${address.port}`;
  a2a.setBaseUrl(options.publicUrl ?? url);
  const retention = options.retention ? startRetention(store, options.retention, logger) : undefined;
  logger.info({ url, auth: token ? 'bearer' : 'off', ...(ctx.allowedHosts ? { hosts: ['loopback', ...ctx.allowedHosts] } : {}), maxConcurrentTasks: limiter.max }, 'baton server listening');
  const sweeper =
    options.takeover === false
      ? undefined
      : new TakeoverSweeper(orchestrator, {
          onTakeover: (handle, why) => runs.adopt(handle, why),
          onError: (message) => logger.warn({ message }, 'takeover'),
        });
  sweeper?.start();

  let closed: Promise<void> | undefined;
  return {
    url,
    orchestrator,
    close() {
      closed ??= (async () => {
        closing.abort();
        for (const listener of [...closeListeners]) listener();
        closeListeners.clear();
        // Awaited: a run the sweep under way takes over is then among those ended or handed over below.
        await sweeper?.stop();
        await retention?.stop();
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        const active = runs.active();
        // A run that only waits for a decision is let go, not cancelled: another process carries it on.
        const release = options.onShutdown === 'release';
        for (const h of active) if (!orchestrator.letGo(h.runId) && !(release && orchestrator.handOver(h.runId))) h.cancel('the server is shutting down');
        await Promise.race([Promise.allSettled(active.map((h) => h.result)), new Promise((r) => setTimeout(r, 10_000).unref())]);
        server.closeIdleConnections();
        // Kept referenced: a connection whose unread request body paused its socket holds no
        // active handle, so without this timer the process could exit before `stopped` resolves.
        const force = setTimeout(() => server.closeAllConnections(), 2000);
        await stopped;
        clearTimeout(force);
        stopStallChecks();
        stopLogs();
        live.close();
        runs.close();
        await telemetry?.shutdown();
        logger.info({ url }, 'baton server stopped');
      })();
      return closed;
    },
  };
}
