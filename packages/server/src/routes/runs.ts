import { Hono } from 'hono';
import { z } from 'zod';
import { MAX_LIST_LIMIT } from 'batonjs/internal';
import type { ServerContext } from '../context.ts';
import { ApiError } from '../http-errors.ts';
import { parseJsonBody, runIdParam } from '../validation.ts';

/** The body of `POST /v1/runs`. */
export function createRunBody(maxGoalLength: number) {
  return z.strictObject({
    goal: z
      .string({ error: 'goal must be a string: what you want, in plain language' })
      .trim()
      .min(1, 'goal must not be empty')
      .max(maxGoalLength, `goal must be at most ${maxGoalLength} characters`),
  });
}

const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(MAX_LIST_LIMIT).default(20),
  before: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'before must be a run id').optional(),
  status: z.enum(['running', 'succeeded', 'partial', 'failed', 'cancelled']).optional(),
});

const cancelBody = z.strictObject({ reason: z.string().trim().min(1).max(500).optional() });

/** `POST /v1/runs`, `GET /v1/runs`, `GET /v1/runs/:id`, `POST /v1/runs/:id/cancel`. */
export function runRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  const bodySchema = createRunBody(ctx.limits.maxGoalLength);

  app.post('/runs', async (c) => {
    if (ctx.closing.aborted) throw new ApiError(503, 'SHUTTING_DOWN', 'the server is shutting down; start the run on another instance or try again later');
    const { goal } = await parseJsonBody(c, bodySchema);
    const handle = await ctx.runs.start(goal);
    const self = `/v1/runs/${handle.runId}`;
    c.header('Location', self);
    return c.json({ runId: handle.runId, status: 'running', links: { self, events: `${self}/events`, cancel: `${self}/cancel`, dashboard: `/#/runs/${handle.runId}` } }, 202);
  });

  app.get('/runs', async (c) => {
    const parsed = listQuery.safeParse(c.req.query());
    if (!parsed.success) throw new ApiError(400, 'BAD_REQUEST', `bad query: ${z.prettifyError(parsed.error).replace(/\n\s*/g, ' ')}`);
    const { limit, before, status } = parsed.data;
    const runs = await ctx.runs.store.listRuns({ limit, ...(before ? { before } : {}), ...(status ? { status } : {}) });
    const last = runs[runs.length - 1];
    return c.json(runs.length === limit && last ? { runs, next: last.runId } : { runs });
  });

  app.get('/runs/:id', async (c) => {
    const runId = runIdParam(c);
    const result = await ctx.runs.result(runId);
    if (!result) throw new ApiError(404, 'RUN_NOT_FOUND', `no run ${runId}: list runs with GET /v1/runs`);
    return c.json(result);
  });

  app.post('/runs/:id/cancel', async (c) => {
    const runId = runIdParam(c);
    const hasBody = (c.req.header('content-length') ?? '0') !== '0' || c.req.header('transfer-encoding') !== undefined;
    const { reason } = hasBody ? await parseJsonBody(c, cancelBody) : { reason: undefined };
    const outcome = await ctx.runs.cancel(runId, reason ?? 'cancelled over the HTTP API');
    switch (outcome.kind) {
      case 'cancelling':
        return c.json({ runId, status: 'cancelling' }, 202);
      case 'requested':
        return c.json({ runId, status: 'cancelling', executedBy: outcome.owner }, 202);
      case 'cancelled':
        return c.json({ runId, status: outcome.result.status, reason: outcome.result.reason }, 200);
      case 'not-found':
        throw new ApiError(404, 'RUN_NOT_FOUND', `no run ${runId}: list runs with GET /v1/runs`);
      case 'ended':
        throw new ApiError(409, 'RUN_ENDED', `run ${runId} already ended ${outcome.status}; nothing to cancel`);
    }
  });

  return app;
}
