import { createRequire } from 'node:module';
import type { DestinationStream, Level, Logger, pino as Pino } from 'pino';
import type { RunEventSource } from '../core/contracts.ts';
import type { RunEvent } from '../core/events.ts';

export type { Logger } from 'pino';

export type { RunEventSource } from '../core/contracts.ts';

export interface LoggerOptions {
  /** pino level or `silent`. Default: BATON_LOG_LEVEL, else `info`. */
  level?: string;
  /** Where JSON lines go. Default: stderr. */
  destination?: DestinationStream;
  /** The `name` field of every line. Default: `baton`. */
  name?: string;
}

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

// pino (~14 ms to load) is required by the first logger made: the packages that import the core's
// internal entry for other things (batonjs-llm, the PostgreSQL journal) never need it. It is
// CommonJS, so require() loads it synchronously.
const requireCjs = createRequire(import.meta.url);

/**
 * A structured JSON logger (pino) writing to stderr, so stdout stays free for `--json` output.
 * The level comes from `options.level`, else BATON_LOG_LEVEL, else `info`.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const wanted = (options.level ?? process.env['BATON_LOG_LEVEL'] ?? 'info').toLowerCase();
  const level = LEVELS.has(wanted) ? wanted : 'info';
  const { pino } = requireCjs('pino') as { pino: typeof Pino };
  return pino({ name: options.name ?? 'baton', level, base: { pid: process.pid } }, options.destination ?? pino.destination({ fd: 2, sync: false }));
}

/** The log level of one run event: failures are louder than progress. */
function levelOf(event: RunEvent): Level {
  switch (event.type) {
    case 'task.attempt.failed':
    case 'task.reassigned':
    case 'task.skipped':
      return 'warn';
    case 'task.failed':
      return 'error';
    case 'usage':
      return 'debug';
    case 'integration.ended':
      return event.ok ? 'info' : 'warn';
    case 'run.ended':
      return event.status === 'succeeded' || event.status === 'cancelled' ? 'info' : event.status === 'partial' ? 'warn' : 'error';
    case 'run.started':
    case 'run.resumed':
    case 'plan.created':
    case 'plan.replaced':
    case 'task.started':
    case 'task.retrying':
    case 'task.succeeded':
    case 'task.cancelled':
    case 'integration.started':
    case 'approval.requested':
      return 'info';
    case 'approval.decided':
      return event.decision === 'approved' ? 'info' : 'warn';
  }
}

/** The fields of one run event worth a log line (ids, agent, attempt, status, error), never whole outputs. */
export function eventLogFields(event: RunEvent): Record<string, unknown> {
  const fields: Record<string, unknown> = { runId: event.runId, seq: event.seq, event: event.type };
  switch (event.type) {
    case 'run.started':
      fields['goal'] = event.goal;
      fields['orchestrator'] = event.orchestrator;
      break;
    case 'plan.created':
    case 'plan.replaced':
      fields['planner'] = event.planner;
      fields['tasks'] = event.plan.tasks.map((t) => t.id);
      break;
    case 'task.started':
      Object.assign(fields, { taskId: event.taskId, agent: event.agent, attempt: event.attempt, attemptId: event.attemptId });
      break;
    case 'task.attempt.failed':
      Object.assign(fields, { taskId: event.taskId, agent: event.agent, attempt: event.attempt, status: event.status, error: event.error });
      break;
    case 'task.retrying':
      Object.assign(fields, { taskId: event.taskId, agent: event.agent, attempt: event.attempt, delayMs: event.delayMs });
      break;
    case 'task.reassigned':
      Object.assign(fields, { taskId: event.taskId, from: event.from, to: event.to, reason: event.reason });
      break;
    case 'task.succeeded':
      Object.assign(fields, { taskId: event.taskId, agent: event.agent, attempt: event.attempt });
      break;
    case 'task.failed':
    case 'task.skipped':
    case 'task.cancelled':
      Object.assign(fields, { taskId: event.taskId, reason: event.reason });
      break;
    case 'usage':
      Object.assign(fields, { ...event.usage, ...(event.taskId ? { taskId: event.taskId } : {}) });
      break;
    case 'run.ended':
      Object.assign(fields, { status: event.status, ...(event.reason ? { reason: event.reason } : {}), files: event.deliverable.files });
      break;
    case 'run.resumed':
      fields['interruptedAttempts'] = event.interruptedAttempts.length;
      if (event.owner) fields['owner'] = event.owner.id;
      if (event.reason) fields['reason'] = event.reason;
      break;
    case 'integration.started':
      fields['integrator'] = event.integrator;
      break;
    case 'approval.requested':
      Object.assign(fields, { kind: event.kind, ...(event.taskId ? { taskId: event.taskId, agent: event.agent } : {}), ...(event.expiresAt ? { expiresAt: event.expiresAt } : {}) });
      break;
    case 'approval.decided':
      Object.assign(fields, { kind: event.kind, decision: event.decision, by: event.by, planEdited: event.planEdited, ...(event.taskId ? { taskId: event.taskId } : {}), ...(event.reason ? { reason: event.reason } : {}) });
      break;
    case 'integration.ended':
      Object.assign(fields, { ok: event.ok, durationMs: event.durationMs, ...(event.error ? { error: event.error } : {}) });
      break;
  }
  return fields;
}

/** Logs every run event of `source` as one JSON line with its run and task ids; returns the unsubscribe. */
export function logRunEvents(source: RunEventSource, logger: Logger): () => void {
  return source.on((event) => {
    logger[levelOf(event)](eventLogFields(event), event.type);
  });
}
