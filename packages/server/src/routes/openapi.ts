import { Hono } from 'hono';
import { z } from 'zod';
import type { ServerContext } from '../context.ts';
import { createRunBody, RUN_STATUSES } from './runs.ts';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });
const error = (description: string) => ({ description, content: json(ref('Error')) });
const runIdParameter = { name: 'id', in: 'path', required: true, description: 'the run id (r_…)', schema: { type: 'string' } };

const RUN_STATUS = [...RUN_STATUSES];

const APPROVAL = {
  type: 'object',
  required: ['kind', 'decision', 'by', 'at', 'planEdited'],
  properties: {
    kind: { enum: ['plan', 'task'] },
    taskId: { type: 'string' },
    decision: { enum: ['approved', 'rejected'] },
    by: { type: 'string', description: 'who decided: the name given with the decision, else the channel (cli:<user>@<host>, http, dashboard, a2a)' },
    at: { type: 'string', format: 'date-time' },
    planEdited: { type: 'boolean' },
    reason: { type: 'string' },
    note: { type: 'string' },
  },
};

const PENDING = {
  type: 'object',
  required: ['kind', 'requestedAt'],
  properties: {
    kind: { enum: ['plan', 'task'] },
    taskId: { type: 'string' },
    plan: { type: 'object', description: 'kind plan: the plan to decide on' },
    task: { type: 'object', description: 'kind task: the task as planned' },
    agent: { type: 'string', description: 'kind task: the agent it would be given to' },
    input: { type: 'object', description: 'kind task: what that agent would get: { inputs, params }' },
    requestedAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: 'string', format: 'date-time', description: 'when the run ends if nobody decides (policy.approvalTimeoutMs)' },
  },
};

/** The paths of approving and rejecting what a run waits for. */
function decisionPath(decision: 'approve' | 'reject'): Record<string, unknown> {
  const approve = decision === 'approve';
  return {
    post: {
      summary: approve ? 'Approve what a run waits for (its plan, possibly edited, or a task)' : 'Reject what a run waits for: a rejected plan ends the run cancelled, a rejected task fails (its dependents are skipped)',
      description:
        'Decides wherever the run is held: this server, another replica or `baton run` (through the journal), or, when nobody holds it, this server carries it on. Answers with the RunResult once the decision is journaled (202 with the result so far when the process holding the run has not journaled it within 10 s; it stays in the journal for it).',
      operationId: approve ? 'approveRun' : 'rejectRun',
      parameters: [runIdParameter],
      requestBody: {
        required: false,
        content: json({
          type: 'object',
          additionalProperties: false,
          properties: {
            taskId: { type: 'string', description: 'the task decided on (default: the plan, or the one task that waits)' },
            ...(approve
              ? { plan: { type: 'object', description: 'the plan as it should run (edited): the shape of POST /v1/runs {plan}; checked again' }, note: { type: 'string', maxLength: 4000 } }
              : { reason: { type: 'string', maxLength: 4000 } }),
            by: { type: 'string', maxLength: 200, description: 'who decides (default "http")' },
          },
        }),
      },
      responses: {
        '200': { description: 'decided: the RunResult so far', content: json(ref('RunResult')) },
        '202': { description: 'left in the journal for the process that holds the run, not journaled yet', content: json(ref('RunResult')) },
        '400': error(approve ? 'a bad body, or an edited plan that fails validation (the run keeps waiting)' : 'a bad body'),
        '404': error('no such run'),
        '409': error('NOT_AWAITING_APPROVAL: nothing (or not that task) waits for a decision; `details.status` is the run\'s status, `details.waiting` what waits'),
        '401': error('missing or wrong bearer token'),
      },
    },
  };
}

/** The OpenAPI 3.1 description of the HTTP API (DESIGN section 7), served at `/openapi.json`. */
export function openApiDocument(ctx: ServerContext): Record<string, unknown> {
  const secured = ctx.token !== undefined;
  const security = secured ? [{ bearer: [] }] : [];
  const createBody = z.toJSONSchema(createRunBody(ctx.limits.maxGoalLength), { io: 'input' });
  return {
    openapi: '3.1.0',
    info: {
      title: 'Baton API',
      version: '1',
      description:
        'Start runs of the orchestrator, follow them live and read their results. Every /v1 call needs `Authorization: Bearer <BATON_API_TOKEN>` when the server has a token. Errors are JSON `{ "error": { "code", "message" } }` with a stable code.',
    },
    servers: [{ url: '/' }],
    security,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'the BATON_API_TOKEN the server was started with' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: {
                  type: 'string',
                  examples: ['BAD_REQUEST', 'UNAUTHORIZED', 'RUN_NOT_FOUND', 'RUN_ENDED', 'NOT_AWAITING_APPROVAL', 'RUN_NOT_HERE', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'NOT_FOUND', 'SHUTTING_DOWN', 'JOURNAL_UNAVAILABLE', 'INTERNAL'],
                  description: 'JOURNAL_UNAVAILABLE (503, with Retry-After): the run journal cannot be reached now; try again later',
                },
                message: { type: 'string', description: 'what went wrong and what to do' },
                details: { description: 'structured detail, e.g. each invalid field' },
              },
            },
          },
        },
        CreateRun: createBody,
        RunCreated: {
          type: 'object',
          required: ['runId', 'status', 'links'],
          properties: {
            runId: { type: 'string' },
            status: { const: 'running' },
            links: { type: 'object', properties: { self: { type: 'string' }, events: { type: 'string' }, cancel: { type: 'string' }, dashboard: { type: 'string' } } },
          },
        },
        RunRecord: {
          type: 'object',
          required: ['runId', 'goal', 'status', 'createdAt', 'updatedAt', 'eventCount'],
          properties: {
            runId: { type: 'string' },
            goal: { type: 'string' },
            status: { enum: RUN_STATUS },
            createdAt: { type: 'string', format: 'date-time' },
            updatedAt: { type: 'string', format: 'date-time' },
            manifestFile: { type: 'string' },
            eventCount: { type: 'integer' },
          },
        },
        RunResult: {
          type: 'object',
          description: 'DESIGN section 6: the fold of the run journal.',
          required: ['runId', 'goal', 'status', 'planner', 'plan', 'tasks', 'deliverable', 'usage', 'startedAt'],
          properties: {
            runId: { type: 'string' },
            goal: { type: 'string' },
            status: { enum: RUN_STATUS },
            planner: { enum: ['builtin', 'llm', 'fixed', 'workflow'], description: 'who made the plan: a planner, or nobody (fixed: a plan given with the run; workflow: a workflow of the manifest)' },
            params: { type: 'object', description: "the run's validated parameters" },
            plan: { type: 'object', properties: { tasks: { type: 'array', items: { type: 'object' } } } },
            tasks: { type: 'array', items: { type: 'object' } },
            deliverable: { type: 'object', properties: { artifacts: { type: 'object' }, files: { type: 'array', items: { type: 'string' } } } },
            usage: { type: 'object', properties: { llmCalls: { type: 'integer' }, inputTokens: { type: 'integer' }, outputTokens: { type: 'integer' } } },
            startedAt: { type: 'string' },
            endedAt: { type: 'string' },
            reason: { type: 'string' },
            approvals: { type: 'array', items: APPROVAL, description: 'every decision taken on the run, in order' },
            awaiting: { type: 'array', items: PENDING, description: 'what waits for a decision now (absent when nothing does)' },
          },
        },
        RunResultDelta: {
          type: 'object',
          description: 'What changed in a RunResult since an event (`GET /v1/runs/{id}?since=`, answered with `Baton-Delta`): its fields but `plan` and `previousPlans`, and in `tasks` only the task records changed since.',
          required: ['runId', 'goal', 'status', 'planner', 'tasks', 'deliverable', 'usage', 'startedAt'],
          properties: {
            tasks: {
              type: 'array',
              items: { type: 'object', properties: { attemptsFrom: { type: 'integer', minimum: 1, description: 'with `attempts=changed`: `attempts` are the record\'s from this index on, to put in place of the held record\'s from there (those before did not change)' } } },
              description: 'the records changed since: each takes the place of the record with its id, or is added at the end',
            },
          },
        },
      },
    },
    paths: {
      '/v1/runs': {
        post: {
          summary: 'Start a run',
          description:
            'Plans and runs the goal in the background (or runs a fixed `plan` or a manifest `workflow`, no planner); answers 202 at once with the run id. Parameters that fail the schema, an unknown workflow or a plan that fails validation: 400 naming the field or task, and no run starts.',
          operationId: 'createRun',
          requestBody: { required: true, content: json(ref('CreateRun')) },
          responses: {
            '202': { description: 'started', headers: { Location: { schema: { type: 'string' } } }, content: json(ref('RunCreated')) },
            '400': error('invalid body'),
            '401': error('missing or wrong bearer token'),
            '413': error('body too large'),
            '415': error('body is not JSON'),
          },
        },
        get: {
          summary: 'List runs, newest first',
          operationId: 'listRuns',
          parameters: [
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
            { name: 'before', in: 'query', description: 'the `next` of the previous page', schema: { type: 'string' } },
            { name: 'status', in: 'query', schema: { enum: RUN_STATUS } },
          ],
          responses: {
            '200': {
              description: 'a page of runs; `next` is present when more may follow',
              content: json({ type: 'object', required: ['runs'], properties: { runs: { type: 'array', items: ref('RunRecord') }, next: { type: 'string' } } }),
            },
            '400': error('bad query'),
            '401': error('missing or wrong bearer token'),
          },
        },
      },
      '/v1/runs/{id}': {
        get: {
          summary: 'The RunResult so far',
          description:
            "The header `Baton-Seq` is the seq of the last event the result folds. A reader that keeps the result can pass it back as `since` to get only what changed after that event, for a run this process executes: the answer then has the header `Baton-Delta` (the `since` it answers), and its body is the RunResult without `plan` and `previousPlans`, whose `tasks` are only the records changed since (put each in place of the record with its id, or add it at the end). With `attempts=changed` a record whose first attempts did not change since has `attemptsFrom`, and only its attempts from that index on: a task retried thousands of times is not sent whole at each read. Without `Baton-Delta` the body is the whole RunResult: a plan made or edited since, a resumed run, an ended run read from the journal, an unknown `since`.",
          operationId: 'getRun',
          parameters: [
            runIdParameter,
            { name: 'since', in: 'query', required: false, description: 'the `Baton-Seq` of an earlier read', schema: { type: 'string', pattern: '^[0-9]{1,15}$' } },
            {
              name: 'attempts',
              in: 'query',
              required: false,
              description: 'with `since`: `changed` sends of each changed task only its attempts from the first changed since on, from index `attemptsFrom`; `all` (the default) its every attempt',
              schema: { enum: ['all', 'changed'], default: 'all' },
            },
          ],
          responses: {
            '200': {
              description: 'the run (the whole RunResult, or what changed since `since` when `Baton-Delta` is set)',
              headers: {
                'Baton-Seq': { description: 'the seq of the last event the result folds', schema: { type: 'integer' } },
                'Baton-Delta': { description: 'set when the body is only what changed since this seq', schema: { type: 'integer' } },
              },
              content: json({ anyOf: [ref('RunResult'), ref('RunResultDelta')] }),
            },
            '400': error('`since` is not a whole number'),
            '404': error('no such run'),
            '401': error('missing or wrong bearer token'),
          },
        },
      },
      '/v1/runs/{id}/events': {
        get: {
          summary: 'The run events as Server-Sent Events',
          description:
            'Replays the journal after `Last-Event-ID` (header, or `lastEventId` query parameter), then streams live events, each once the journal holds it (when another process takes the run over, its events follow from the journal). `id:` is the event seq, `event:` its type, `data:` the event JSON. Ends after `run.ended`; comment lines every 15 s keep the connection alive.',
          operationId: 'runEvents',
          parameters: [runIdParameter, { name: 'Last-Event-ID', in: 'header', schema: { type: 'string', pattern: '^[0-9]{1,15}$' } }, { name: 'lastEventId', in: 'query', schema: { type: 'string', pattern: '^[0-9]{1,15}$' } }],
          responses: { '200': { description: 'event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }, '404': error('no such run'), '401': error('missing or wrong bearer token') },
        },
      },
      '/v1/runs/{id}/approve': decisionPath('approve'),
      '/v1/runs/{id}/reject': decisionPath('reject'),
      '/v1/runs/{id}/cancel': {
        post: {
          summary: 'Cancel a running run',
          operationId: 'cancelRun',
          parameters: [runIdParameter],
          requestBody: { required: false, content: json({ type: 'object', properties: { reason: { type: 'string', maxLength: 500 } }, additionalProperties: false }) },
          responses: {
            '202': { description: 'cancelling; the run ends `cancelled` shortly', content: json({ type: 'object', properties: { runId: { type: 'string' }, status: { const: 'cancelling' } } }) },
            '404': error('no such run'),
            '409': error('the run already ended (RUN_ENDED) or executes in another process (RUN_NOT_HERE)'),
            '401': error('missing or wrong bearer token'),
          },
        },
      },
      '/v1/runs/{id}/files': {
        get: {
          summary: "The run's deliverable files",
          operationId: 'listRunFiles',
          parameters: [runIdParameter],
          responses: {
            '200': {
              description: 'files with URLs (with a token configured, each URL carries a read-only key for this run)',
              content: json({ type: 'object', properties: { runId: { type: 'string' }, files: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, size: { type: 'integer' }, url: { type: 'string' } } } } } }),
            },
            '404': error('no such run'),
          },
        },
      },
      '/v1/runs/{id}/files/{name}': {
        get: {
          summary: 'One deliverable file (read-only)',
          operationId: 'getRunFile',
          parameters: [runIdParameter, { name: 'name', in: 'path', required: true, schema: { type: 'string' } }, { name: 'key', in: 'query', description: 'read-only key from the files list', schema: { type: 'string' } }],
          responses: { '200': { description: 'the file' }, '404': error('no such run or file') },
        },
      },
      '/v1/agents': {
        get: {
          summary: 'The orchestrator and its sub-agents',
          operationId: 'listAgents',
          responses: {
            '200': {
              description: "agents; `orchestrator.params` is the JSON Schema of the run parameters (absent when the orchestrator takes none); `workflows` the fixed plans a run can be started with",
              content: json({
                type: 'object',
                properties: {
                  orchestrator: { type: 'object', properties: { name: { type: 'string' }, description: { type: 'string' }, planner: { type: 'string' }, params: { type: 'object', description: 'JSON Schema (type: object) of POST /v1/runs {params}' } } },
                  agents: { type: 'array', items: { type: 'object' } },
                  workflows: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, description: { type: 'string' }, plan: { type: 'object' } } } },
                },
              }),
            },
          },
        },
      },
      '/healthz': {
        get: { summary: 'Liveness: no token needed', operationId: 'health', security: [], responses: { '200': { description: 'up', content: json({ type: 'object', properties: { ok: { const: true }, activeRuns: { type: 'integer' } } }) } } },
      },
      '/readyz': {
        get: {
          summary: 'Readiness: no token needed; 503 while the run journal cannot be reached (JOURNAL_UNAVAILABLE, with Retry-After) or the server shuts down',
          operationId: 'ready',
          security: [],
          responses: {
            '200': { description: 'ready', content: json({ type: 'object', properties: { ok: { const: true }, journal: { const: 'reachable' } } }) },
            '503': error('the run journal cannot be reached (JOURNAL_UNAVAILABLE) or the server is shutting down (SHUTTING_DOWN)'),
          },
        },
      },
      '/a2a': { post: { summary: 'The orchestrator as an A2A agent (JSON-RPC, A2A protocol 1.0); card at /.well-known/agent-card.json', security, responses: { '200': { description: 'JSON-RPC response or SSE stream' } } } },
    },
  };
}

/** `GET /openapi.json`. */
export function openApiRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  const doc = openApiDocument(ctx);
  app.get('/openapi.json', (c) => c.json(doc));
  return app;
}
