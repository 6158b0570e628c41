import { BatonError } from 'batonjs/internal';
import type { BatonErrorCode } from 'batonjs/internal';
import type { AgentInput, AgentOutput, Usage } from 'batonjs/internal';

/** What a job carries to a worker: one attempt of one agent. */
export interface AttemptJobData {
  agent: string;
  input: AgentInput;
  /**
   * The orchestrator's timeout for this attempt. The orchestrator decides timeouts (its timer
   * starts before the job is queued, so it always fires first); the worker only uses it as a
   * safety net to stop an agent whose orchestrator is gone.
   */
  timeoutMs: number;
  /** The orchestrator's `policy.maxOutputBytes`: a larger output is rejected by the worker before it is sent. */
  maxOutputBytes?: number;
  /**
   * The agent's `version` in the manifest the run lives under (absent from orchestrators before
   * it was sent): a worker whose manifest gives the agent another version refuses the job, rather
   * than run other code under the version the journal records.
   */
  agentVersion?: string;
}

/** What a worker returns when the agent returned: the raw output (the orchestrator validates it). */
export interface AttemptJobResult {
  output: AgentOutput;
  usage?: Usage;
  /** Which run of the job the usage is of (see {@link UsageNote}). */
  run?: string;
}

/**
 * Published as the job's progress just before the job fails, so the orchestrator learns what
 * BullMQ's failed event cannot carry: the Baton error code and whether retrying can help.
 */
export interface FailureNote {
  failure: { code: BatonErrorCode; retryable: boolean; usage?: Usage; run?: string; retryAfterMs?: number };
}

/**
 * Published as the job's progress each time the agent reports usage: the total so far. The
 * orchestrator counts it as it comes, so what an attempt that never returns used is counted.
 */
export interface UsageNote {
  usage: Usage;
  /**
   * Which run of the job the total is of (a random id): a job handed back at a worker's shutdown,
   * or taken again, runs again from zero, and each run's usage counts.
   */
  run: string;
}

export function isUsageNote(value: unknown): value is UsageNote {
  if (typeof value !== 'object' || value === null || 'failure' in value) return false;
  const { usage, run } = value as { usage?: unknown; run?: unknown };
  return typeof usage === 'object' && usage !== null && typeof run === 'string';
}

/** The note describing why an agent failed. */
export function failureNote(e: unknown, usage: Usage | undefined, run?: string): FailureNote {
  const code: BatonErrorCode = BatonError.isInstance(e) ? e.code : 'AGENT_FAILED';
  const retryable = BatonError.isInstance(e) ? e.retryable : true;
  const retryAfterMs = BatonError.isInstance(e) ? e.retryAfterMs : undefined;
  return { failure: { code, retryable, ...(usage ? { usage, ...(run ? { run } : {}) } : {}), ...(retryAfterMs ? { retryAfterMs } : {}) } };
}

export function isFailureNote(value: unknown): value is FailureNote {
  if (typeof value !== 'object' || value === null) return false;
  const f = (value as { failure?: unknown }).failure;
  return typeof f === 'object' && f !== null && typeof (f as { code?: unknown }).code === 'string' && typeof (f as { retryable?: unknown }).retryable === 'boolean';
}

export function isJobResult(value: unknown): value is AttemptJobResult {
  return typeof value === 'object' && value !== null && 'output' in value;
}

/**
 * The error an orchestrator sees for a failed job: the worker's message with its code and
 * retryability when the worker sent a note; a retryable failure otherwise (a job BullMQ failed
 * by itself, e.g. one that stalled too many times).
 */
export function errorOfFailedJob(failedReason: string | undefined, note: FailureNote | undefined): BatonError {
  const message = failedReason || 'the worker reported a failure without a message';
  if (!note) return new BatonError('AGENT_FAILED', message);
  const retryAfterMs = note.failure.retryAfterMs;
  return new BatonError(note.failure.code, message, { retryable: note.failure.retryable, ...(typeof retryAfterMs === 'number' ? { retryAfterMs } : {}) });
}
