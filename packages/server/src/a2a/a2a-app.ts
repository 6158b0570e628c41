import type { IncomingMessage, ServerResponse } from 'node:http';
import { AGENT_CARD_PATH } from '@a2a-js/sdk';
import { DefaultRequestHandler, InMemoryTaskStore } from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler, UserBuilder } from '@a2a-js/sdk/server/express';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import { authorized } from '../auth.ts';
import type { ServerContext } from '../context.ts';
import { orchestratorAgentCard } from './agent-card.ts';
import { OrchestratorExecutor } from './orchestrator-executor.ts';

/** The A2A side of the server: the JSON-RPC endpoint and the agent card. */
export interface A2aEndpoint {
  /** Handles `/a2a` and `/.well-known/agent-card.json` requests. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Sets the public base URL written in the agent card (known once the server listens). */
  setBaseUrl(url: string): void;
}

/** True for requests the A2A endpoint serves. */
export function isA2aPath(url: string | undefined): boolean {
  const p = (url ?? '/').split('?')[0] ?? '/';
  return p === '/a2a' || p.startsWith('/a2a/') || p === `/${AGENT_CARD_PATH}`;
}

/**
 * Publishes the orchestrator over A2A with the SDK's express handlers: JSON-RPC at `/a2a`
 * (behind the bearer token when the server has one) and the agent card, open, at
 * `/.well-known/agent-card.json`.
 */
export function createA2aEndpoint(ctx: ServerContext): A2aEndpoint {
  const card = orchestratorAgentCard(ctx.orchestrator.manifest, 'http://127.0.0.1/a2a', ctx.token !== undefined);
  const executor = new OrchestratorExecutor(ctx.orchestrator, ctx.runs, ctx.limits.maxGoalLength);
  const handler = new DefaultRequestHandler(card, new InMemoryTaskStore(), executor);
  const app = express();
  app.disable('x-powered-by');
  // v0.3 clients (no A2A-Version header, `message/send`) are still common: serve them too.
  const legacyCompat = { enabled: true };
  app.use(`/${AGENT_CARD_PATH}`, agentCardHandler({ agentCardProvider: handler, legacyCompat }));
  app.use('/a2a', (req: Request, res: Response, next: NextFunction) => {
    if (ctx.token === undefined || authorized(req.header('authorization'), ctx.token)) return next();
    res.status(401).set('WWW-Authenticate', 'Bearer realm="baton"').json({ error: { code: 'UNAUTHORIZED', message: 'the A2A endpoint needs Authorization: Bearer <token> (see the agent card securitySchemes)' } });
  });
  app.use('/a2a', jsonRpcHandler({ requestHandler: handler, userBuilder: UserBuilder.noAuthentication, legacyCompat }));
  app.use((req: Request, res: Response) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: `no A2A route ${req.method} ${req.path}: POST JSON-RPC to /a2a` } });
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    ctx.logger.error({ err, path: req.path }, 'A2A request failed');
    if (!res.headersSent) res.status(500).json({ error: { code: 'INTERNAL', message: 'the A2A endpoint hit an unexpected error; it is logged on the server side' } });
  });
  return {
    handle: (req, res) => {
      app(req as Request, res as Response);
    },
    setBaseUrl(url) {
      for (const iface of card.supportedInterfaces) iface.url = `${url.replace(/\/+$/, '')}/a2a`;
    },
  };
}
