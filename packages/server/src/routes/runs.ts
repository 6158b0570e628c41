import { Hono } from 'hono';
import type { Context } from 'hono';
import { z } from 'zod';
import { MAX_LIST_LIMIT } from 'batonjs/internal';
import type { ApprovalDecision } from 'batonjs/internal';
import type { ServerContext } from '../context.ts';
import { ApiError } from '../http-errors.ts';
import { planField, workflowField } from '../run-input-fields.ts';
import type { RunInputs } from '../run-service.ts';
import { parseJsonBody, parseJsonBodyAndRaw, runIdParam, SEQ } from '../validation.ts';

/** The body of `POST /v1/runs`: a goal, or a fixed plan or workflow; parameters with either. */
export function createRunBody(maxGoalLength: number) {
  return z
    .strictObject({
      goal: z
        .string({ error: 'goal must be a string: what you want, in plain language' })
        .trim()
        .max(maxGoalLength, `goal must be at most ${maxGoalLength} characters`)
        .optional()
        .describe('what you want, in plain language (optional with plan or workflow; blank counts as left out)'),
      params: z
        .record(z.string(), z.unknown(), { error: 'params must be an object of parameter names to values, e.g. {"city": "Lisbon"}' })
        .optional()
        .describe("the run's typed parameters, checked against the manifest's orchestrator.params (GET /v1/agents shows its schema)"),
      plan: planField
        .optional()
        .describe('run exactly this plan, no planner (planner: fixed); tasks need only id and agent'),
      workflow: workflowField.optional().describe("run the manifest's workflow of this name, no planner (planner: workflow)"),
    })
    // A blank goal is one left out (DESIGN section 9), as in the library: a plan or a workflow runs without one.
    .superRefine((b, ctx) => {
      if (b.plan !== undefined || b.workflow !== undefined || b.goal) return;
      ctx.addIssue({ code: 'custom', message: b.goal === undefined ? 'give a goal, or a plan or a workflow' : 'goal must not be empty (or give a plan or a workflow)', path: ['goal'] });
    });
}

/** Every status a run can have (DESIGN sections 6 and 9). */
export const RUN_STATUSES = ['running', 'awaiting-approval', 'succeeded', 'partial', 'failed', 'cancelled'] as const;

/** The last event a run read folds (`GET /v1/runs/:id`), for the next read's `since`. */
const SEQ_HEADER = 'Baton-Seq';
/** Set on a read that sent only what changed since the event it names (`?since=`). */
const DELTA_HEADER = 'Baton-Delta';

const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(MAX_LIST_LIMIT).default(20),
  before: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'before must be a run id').optional(),
  status: z.enum(RUN_STATUSES).optional(),
});

/** Who decides, when the body does not say: the channel. */
const byField = z.string().trim().min(1).max(200).optional().describe('who decides (default: "http")');

const approveBody = z.strictObject({
  taskId: z.string().min(1).max(200).optional().describe('the task decided on (default: the plan, or the one task that waits)'),
  plan: z.record(z.string(), z.unknown()).optional().describe('approve this plan instead (edited; the shape of POST /v1/runs {plan}); checked again'),
  note: z.string().max(4000).optional(),
  by: byField,
});

const rejectBody = z.strictObject({
  taskId: z.string().min(1).max(200).optional(),
  reason: z.string().max(4000).optional(),
  by: byField,
});

const cancelBody = z.strictObject({ reason: z.string().trim().min(1).max(500).optional() });

/** `POST /v1/runs`, `GET /v1/runs`, `GET /v1/runs/:id`, `POST /v1/runs/:id/cancel`. */
export function runRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  const bodySchema = createRunBody(ctx.limits.maxGoalLength);

  app.post('/runs', async (c) => {
    if (ctx.closing.aborted) throw new ApiError(503, 'SHUTTING_DOWN', 'the server is shutting down; start the run on another instance or try again later');
    const { data, raw } = await parseJsonBodyAndRaw(c, bodySchema);
    const { goal, workflow } = data;
    // As sent: a `__proto__` key is then refused as unknown by their own checks, not silently left out.
    const sent = raw as { params?: Record<string, unknown>; plan?: Record<string, unknown> };
    const params = data.params === undefined ? undefined : sent.params;
    const plan = data.plan === undefined ? undefined : sent.plan;
    const inputs: RunInputs = { ...(params ? { params } : {}), ...(workflow ? { workflow } : {}) };
    // The plan's shape is checked by the orchestrator, with the task named in each problem.
    if (plan) inputs.plan = plan as NonNullable<RunInputs['plan']>;
    const handle = await ctx.runs.start(goal ?? '', undefined, inputs);
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
    const since = c.req.query('since');
    if (since !== undefined && !SEQ.test(since)) throw new ApiError(400, 'BAD_REQUEST', `bad query: since must be the seq of an event (a whole number, as the Baton-Seq header of an earlier read gives it), got ${JSON.stringify(since.slice(0, 40))}`);
    const attempts = c.req.query('attempts') ?? 'all';
    if (attempts !== 'all' && attempts !== 'changed') throw new ApiError(400, 'BAD_REQUEST', `bad query: attempts must be "all" (a changed task's every attempt, the default) or "changed" (its attempts from the first changed on, from index attemptsFrom), got ${JSON.stringify(attempts.slice(0, 40))}`);
    const read = await ctx.runs.resultRead(runId, since === undefined ? undefined : Number(since), attempts);
    if (read === undefined) throw new ApiError(404, 'RUN_NOT_FOUND', `no run ${runId}: list runs with GET /v1/runs`);
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (read.seq !== undefined) headers[SEQ_HEADER] = String(read.seq);
    if (read.delta) headers[DELTA_HEADER] = String(Number(since));
    // As c.json would send it, from JSON made without a copy of the live result first.
    return c.body(read.json, 200, headers);
  });

  const decide = async (c: Context, decision: 'approved' | 'rejected'): Promise<Response> => {
    const runId = runIdParam(c);
    const hasBody = (c.req.header('content-length') ?? '0') !== '0' || c.req.header('transfer-encoding') !== undefined;
    const { data: body, raw } = hasBody ? await parseJsonBodyAndRaw(c, decision === 'approved' ? approveBody : rejectBody) : { data: {}, raw: {} };
    const d: ApprovalDecision = { decision, by: body.by ?? 'http' };
    if (body.taskId !== undefined) d.taskId = body.taskId;
    if ('note' in body && body.note !== undefined) d.note = body.note;
    // As sent, as POST /v1/runs takes a plan: a `__proto__` key is refused by the plan's check, not silently left out.
    if ('plan' in body && body.plan !== undefined) d.plan = (raw as { plan: unknown }).plan;
    if ('reason' in body && body.reason !== undefined) d.reason = body.reason;
    const { recorded, result } = await ctx.runs.decide(runId, d);
    return c.json(result, recorded ? 200 : 202);
  };
  app.post('/runs/:id/approve', (c) => decide(c, 'approved'));
  app.post('/runs/:id/reject', (c) => decide(c, 'rejected'));

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
