import { Hono } from 'hono';
import { within } from 'batonjs/internal';
import type { Bounded } from 'batonjs/internal';
import type { ServerContext } from '../context.ts';
import { journalUnavailable, sendError } from '../http-errors.ts';

/** The longest `/readyz` waits for the journal: a load balancer's probe gives up sooner than a query's bound. */
export const READY_PROBE_MS = 3_000;

/** A run id no run has: reading it costs one indexed lookup and proves the journal answers. */
const PROBE_RUN_ID = 'r_readiness_probe';

/**
 * Whether the journal answers, asked by one read at a time: `/readyz` needs no token, and a read the
 * journal does not answer holds a connection of its pool until the store's own bound; probes of many
 * balancers, or a flood, share the read under way instead of taking the pool the runs write with.
 */
function journalProbe(read: () => Promise<unknown>): () => Promise<Bounded<unknown>> {
  let reading: Promise<unknown> | undefined;
  return () => {
    if (!reading) {
      const started = read();
      reading = started;
      const done = (): void => void (reading = undefined);
      started.then(done, done);
    }
    return within(reading, READY_PROBE_MS);
  };
}

/**
 * `GET /healthz`: liveness (the process answers), whatever its journal does. `GET /readyz`:
 * readiness, 200 only while the run journal answers and the server is not shutting down; 503
 * otherwise, with `Retry-After` when the journal is the reason.
 */
export function healthRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  const probe = journalProbe(() => ctx.runs.store.getRun(PROBE_RUN_ID));
  app.get('/healthz', (c) => c.json({ ok: true, activeRuns: ctx.orchestrator.activeRuns().length }));
  app.get('/readyz', async (c) => {
    if (ctx.closing.aborted) return sendError(c, 503, 'SHUTTING_DOWN', 'the server is shutting down; use another instance');
    const answer = await probe();
    if ('value' in answer) return c.json({ ok: true, journal: 'reachable' });
    const why = answer.problem === 'hung' ? `no answer within ${READY_PROBE_MS} ms` : answer.error;
    ctx.logger.warn({ err: why }, 'readiness: run journal unreachable');
    return journalUnavailable(c);
  });
  return app;
}
