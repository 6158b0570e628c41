import { Hono } from 'hono';
import type { Context } from 'hono';
import { isJournalUnavailable } from 'batonjs/internal';
import { authorized, validRunFilesKey } from './auth.ts';
import type { ServerContext } from './context.ts';
import { hostAllowed } from './host-check.ts';
import { nodeBindingsOf } from './node-bindings.ts';
import { limitBody } from './request-body.ts';
import { errorResponse, sendError } from './http-errors.ts';
import { agentRoutes } from './routes/agents.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { eventRoutes } from './routes/events.ts';
import { fileRoutes } from './routes/files.ts';
import { healthRoutes } from './routes/health.ts';
import { openApiRoutes } from './routes/openapi.ts';
import { runRoutes } from './routes/runs.ts';

const FILE_PATH = /^\/v1\/runs\/([^/]+)\/files\/./;

/** Decodes a path segment; a malformed escape (`%ZZ`) stays as it is (and matches no run). */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Where a browser says a request comes from, when that is another site than this server's allowed
 * names (`Sec-Fetch-Site: cross-site`, or an `Origin` whose host the host check would refuse, or
 * `null`); undefined for a request of this server's own pages or of a program.
 */
function crossSiteOrigin(origin: string | undefined, fetchSite: string | undefined, allowed: readonly string[]): string | undefined {
  if (origin !== undefined) {
    let host: string | undefined;
    try {
      host = origin === 'null' ? undefined : new URL(origin).host;
    } catch {
      host = undefined;
    }
    if (host === undefined || !hostAllowed(host, allowed)) return `origin ${JSON.stringify(origin.slice(0, 200))}`;
  }
  if (fetchSite === 'cross-site') return 'another site (Sec-Fetch-Site: cross-site)';
  return undefined;
}

/**
 * True when `e` comes from the client closing the connection while its request was read: its
 * socket is gone (the request's web signal is made only when read, so it may not know).
 */
function clientWentAway(c: Context, e: unknown): boolean {
  return nodeBindingsOf(c).incoming?.socket?.destroyed === true || (e as { code?: unknown } | undefined)?.code === 'ECONNRESET';
}

/**
 * The HTTP API, dashboard and A2A endpoint (`a2a`) as one Hono app: `/v1/*` behind the bearer
 * token (when set) and the body limit, `/openapi.json`, `/healthz`, `/readyz` and the dashboard open.
 * Without a token, only requests addressed to loopback names or `ctx.allowedHosts` are served.
 * Handlers are in `routes/` and `a2a/`.
 */
export function buildApp(ctx: ServerContext, a2a?: Hono): Hono {
  const app = new Hono();

  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    const ms = Math.round((performance.now() - started) * 10) / 10;
    // How long the handler took, apart from queueing and the network (read by the load benchmark).
    c.res.headers.set('Server-Timing', `app;dur=${ms}`);
    ctx.logger.debug({ method: c.req.method, path: c.req.path, status: c.res.status, ms }, 'http request');
  });

  // Without a token, a page on any web site could reach this server through DNS rebinding (its
  // own name resolving to 127.0.0.1): its requests carry that name in Host, so they are refused.
  app.use('*', async (c, next) => {
    const allowed = ctx.allowedHosts;
    if (allowed === undefined) return next();
    const host = c.req.header('host');
    if (hostAllowed(host, allowed)) {
      // A page on another site can still send a browser's "simple" requests here (a form post, a
      // fetch with no-cors): the run it starts or the decision it takes needs no answer read.
      const crossSite = SAFE_METHODS.has(c.req.method) ? undefined : crossSiteOrigin(c.req.header('origin'), c.req.header('sec-fetch-site'), allowed);
      if (crossSite === undefined) return next();
      return sendError(
        c,
        403,
        'CROSS_SITE_REQUEST',
        `${c.req.method} from ${crossSite} is not served: without BATON_API_TOKEN this server takes requests that change something only from its own pages and from programs (no Origin header, or one on a loopback name or an allowed host); set BATON_API_TOKEN to serve a web app on another site`,
      );
    }
    return sendError(
      c,
      403,
      'HOST_NOT_ALLOWED',
      `requests addressed to host ${JSON.stringify(host ?? '(none)')} are not served: without BATON_API_TOKEN this server answers only requests to a loopback name (localhost, 127.0.0.1, [::1]); add the name with --allowed-hosts or BATON_ALLOWED_HOSTS (behind a reverse proxy), or set BATON_API_TOKEN`,
    );
  });

  app.use('/v1/*', async (c, next) => {
    const token = ctx.token;
    if (token === undefined || authorized(c.req.header('authorization'), token)) return next();
    const file = FILE_PATH.exec(c.req.path);
    if (file && c.req.method === 'GET' && validRunFilesKey(c.req.query('key'), token, safeDecode(file[1] ?? ''))) return next();
    c.header('WWW-Authenticate', 'Bearer realm="baton"');
    return sendError(c, 401, 'UNAUTHORIZED', 'this server needs the header Authorization: Bearer <token> (the BATON_API_TOKEN it was started with)');
  });

  app.use(
    '/v1/*',
    limitBody(ctx.limits.maxBodyBytes, (c) => sendError(c, 413, 'PAYLOAD_TOO_LARGE', `the request body is larger than ${ctx.limits.maxBodyBytes} bytes`)),
  );

  app.route('/', healthRoutes(ctx));
  app.route('/v1', runRoutes(ctx));
  app.route('/v1', eventRoutes(ctx));
  app.route('/v1', fileRoutes(ctx));
  app.route('/v1', agentRoutes(ctx));
  if (a2a) app.route('/', a2a);
  app.route('/', openApiRoutes(ctx));
  app.route('/', dashboardRoutes());

  app.notFound((c) => sendError(c, 404, 'NOT_FOUND', `no route ${c.req.method} ${c.req.path}; the API is described at /openapi.json`));
  app.onError((e, c) => {
    const { response, unexpected } = errorResponse(c, e);
    // A client that hangs up mid-body makes reading it fail: its own doing, not the server's.
    if (isJournalUnavailable(e)) ctx.logger.warn({ err: e, method: c.req.method, path: c.req.path }, 'run journal unreachable');
    else if (unexpected && clientWentAway(c, e)) ctx.logger.debug({ err: e, method: c.req.method, path: c.req.path }, 'client went away');
    else if (unexpected) ctx.logger.error({ err: e, method: c.req.method, path: c.req.path }, 'request failed');
    return response;
  });
  return app;
}
