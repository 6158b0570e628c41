import { createHash } from 'node:crypto';
import { A2A_VERSION_HEADER, AGENT_CARD_PATH } from '@a2a-js/sdk';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { A2A_ERROR_CODE } from '@a2a-js/sdk/errors';
import { authorized } from '../auth.ts';
import type { ServerContext } from '../context.ts';
import { sendError } from '../http-errors.ts';
import { agentCardJson, legacyAgentCardJson, orchestratorAgentCard } from './agent-card.ts';
import { jsonRpcRoute } from './json-rpc-route.ts';
import { OrchestratorExecutor } from './orchestrator-executor.ts';
import { RunTaskStore } from './run-tasks.ts';
import { RunTaskRequestHandler } from './task-handler.ts';

/** The A2A side of the server: the JSON-RPC endpoint and the agent card. */
export interface A2aEndpoint {
  /** Serves `POST /a2a` and `GET /.well-known/agent-card.json`. */
  routes: Hono;
  /** Sets the public base URL written in the agent card (known once the server listens). */
  setBaseUrl(url: string): void;
}

/** A2A versions below 1.0 (and requests that name none) get the 0.3 card. */
function wantsLegacyCard(version: string | undefined): boolean {
  return !version?.trim() || /^0\.\d+$/.test(version.trim());
}

/**
 * Publishes the orchestrator over A2A: JSON-RPC at `/a2a` (behind the bearer token when the server
 * has one; bodies up to `limits.maxA2aBodyBytes`) and the agent card, open, at
 * `/.well-known/agent-card.json`, in the JSON form of the version the client asks for
 * (`A2A-Version`; none means 0.3). Clients still on 0.3 are answered in 0.3. A task is found again
 * from the journal (its run) after a restart, for as long as its run is kept.
 */
export function createA2aEndpoint(ctx: ServerContext): A2aEndpoint {
  const card = orchestratorAgentCard(ctx.orchestrator.manifest, 'http://127.0.0.1/a2a', ctx.token !== undefined);
  // Tasks are derived from their runs when not held in memory: they outlive a restart, and the
  // memory they take is bounded.
  const tasks = new RunTaskStore(ctx.runs);
  const executor = new OrchestratorExecutor(ctx.orchestrator, ctx.runs, ctx.limits.maxGoalLength, tasks);
  const handler = new RunTaskRequestHandler(card, tasks, executor);
  const routes = new Hono();

  routes.get(`/${AGENT_CARD_PATH}`, (c) => {
    const body = JSON.stringify(wantsLegacyCard(c.req.header(A2A_VERSION_HEADER)) ? legacyAgentCardJson(card) : agentCardJson(card));
    const etag = `W/"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
    c.header('ETag', etag);
    c.header('Vary', A2A_VERSION_HEADER);
    c.header('Cache-Control', 'public, max-age=3600');
    if (c.req.header('if-none-match') === etag) return c.body(null, 304);
    return c.body(body, 200, { 'Content-Type': 'application/json' });
  });

  const maxBytes = ctx.limits.maxA2aBodyBytes;
  const rpc = jsonRpcRoute(handler, ctx.logger);
  for (const path of ['/a2a', '/a2a/']) {
    routes.use(path, async (c, next) => {
      if (ctx.token === undefined || authorized(c.req.header('authorization'), ctx.token)) return next();
      c.header('WWW-Authenticate', 'Bearer realm="baton"');
      return sendError(c, 401, 'UNAUTHORIZED', 'the A2A endpoint needs Authorization: Bearer <token> (see the agent card securitySchemes)');
    });
    // Hono's bodyLimit, not request-body.ts: with that faster reader a 100 MB body refused past the
    // 4 MiB limit let the adapter drain more of it before the client saw the answer, and the
    // server's peak RSS rose by up to ~60 MB of garbage (a2a-hostile.test.ts).
    routes.use(
      path,
      bodyLimit({
        maxSize: maxBytes,
        onError: (c) => c.json({ jsonrpc: '2.0', id: null, error: { code: A2A_ERROR_CODE.INVALID_REQUEST, message: `the request body is larger than ${maxBytes} bytes` } }, 413),
      }),
    );
    routes.post(path, rpc);
  }

  return {
    routes,
    setBaseUrl(url) {
      for (const iface of card.supportedInterfaces) iface.url = `${url.replace(/\/+$/, '')}/a2a`;
    },
  };
}
