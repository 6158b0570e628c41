import type {
  AgentOutput,
  ApprovalKind,
  AttemptStatus,
  Deliverable,
  FinalRunStatus,
  Manifest,
  PendingApproval,
  Plan,
  PlannerName,
  Usage,
} from './types.ts';

/**
 * The version of the event format this Baton writes, stamped on every event (`v`). Events
 * journaled before versions existed have none and read as version 1.
 */
export const EVENT_SCHEMA_VERSION = 2;

/** The manifest a run was started with, as journaled, so it can be continued under the same rules. */
export interface ManifestSnapshot {
  /** sha256 (hex) of the manifest as loaded (canonical JSON), to tell whether the file changed since. */
  digest: string;
  /** The loaded manifest: policy, agents, schemas, paths resolved. */
  manifest: Manifest;
}

/** A process that executes runs: who owns a run now (see `run.resumed`). */
export interface OwnerInfo {
  id: string;
  host: string;
  pid: number;
}

/**
 * Every event type, in the order a run emits them. Consumers switch over `RunEvent['type']`
 * exhaustively (the linter checks it), so a new type is handled everywhere or nowhere compiles.
 */
export const RUN_EVENT_TYPES = [
  'run.started',
  'run.resumed',
  'plan.created',
  'plan.replaced',
  'task.started',
  'task.attempt.failed',
  'task.retrying',
  'task.reassigned',
  'task.succeeded',
  'task.failed',
  'task.skipped',
  'task.cancelled',
  'usage',
  'approval.requested',
  'approval.decided',
  'integration.started',
  'integration.ended',
  'run.ended',
] as const;

/**
 * Every transition of a run is one of these events. They are appended to the journal in order
 * (`seq` counts from 1 per run) and the RunResult is a fold over them (see `reduceEvents`), so a
 * journal can always be replayed into the result it stored.
 */
export type RunEventBody =
  | {
      type: 'run.started';
      goal: string;
      orchestrator: string;
      manifestFile?: string;
      /** Where the run lives: outDir, and the pid and host of the process that started it. */
      options?: Record<string, unknown>;
      /** The manifest as it was: resume and takeover continue under it (schema version 2). */
      manifest?: ManifestSnapshot;
      /** The run's validated parameters (schema version 2). */
      params?: Record<string, unknown>;
      /** Every decision of this run is approved up front, by this name (`baton run --yes`). */
      autoApprove?: { by: string };
    }
  | {
      type: 'run.resumed';
      interruptedAttempts: string[];
      /** The process that carries the run on from here. */
      owner?: OwnerInfo;
      /** Why: e.g. "taken over: process 1234 on host a is gone". */
      reason?: string;
    }
  | { type: 'plan.created'; plan: Plan; planner: PlannerName; reason?: string }
  | { type: 'plan.replaced'; plan: Plan; planner: PlannerName; reason: string }
  | {
      type: 'task.started';
      taskId: string;
      agent: string;
      agentVersion: string;
      attempt: number;
      attemptId: string;
      feedback?: string;
    }
  | {
      type: 'task.attempt.failed';
      taskId: string;
      agent: string;
      attempt: number;
      attemptId: string;
      status: Exclude<AttemptStatus, 'succeeded'>;
      error: string;
      usage?: Usage;
    }
  | { type: 'task.retrying'; taskId: string; agent: string; attempt: number; delayMs: number; feedback: string }
  | { type: 'task.reassigned'; taskId: string; from: string; to: string; reason: string }
  | {
      type: 'task.succeeded';
      taskId: string;
      agent: string;
      attempt: number;
      attemptId: string;
      output: AgentOutput;
      usage?: Usage;
    }
  | { type: 'task.failed'; taskId: string; reason: string }
  | { type: 'task.skipped'; taskId: string; reason: string }
  | { type: 'task.cancelled'; taskId: string; reason: string }
  | { type: 'usage'; usage: Usage; taskId?: string }
  // What the run waits for (`RunResult.awaiting`); the event's `at` is when it was requested.
  | ({
      type: 'approval.requested';
      /**
       * When it was first asked for, on an approval asked for again by a process carrying the run
       * on (a takeover); otherwise the event's `at`.
       */
      requestedAt?: string;
    } & Omit<PendingApproval, 'requestedAt'>)
  | {
      type: 'approval.decided';
      kind: ApprovalKind;
      taskId?: string;
      decision: 'approved' | 'rejected';
      by: string;
      reason?: string;
      note?: string;
      /** The plan as approved, when the decider edited it. */
      plan?: Plan;
      planEdited: boolean;
      /** The request this decision came from, when another process left it in the journal. */
      requestId?: string;
      /** How many decisions the run still waits for after this one (its status follows from it). */
      waiting: number;
    }
  | { type: 'integration.started'; integrator: string }
  | { type: 'integration.ended'; ok: boolean; durationMs: number; error?: string }
  | {
      type: 'run.ended';
      status: FinalRunStatus;
      reason?: string;
      deliverable: Deliverable;
      /**
       * Artifacts of the deliverable that are journaled already, as the output of a task: artifact
       * type -> task id. Their value in `deliverable.artifacts` is `null` here (the key keeps its
       * place); `reduceEvents` puts the task's output back, so the RunResult is unchanged.
       */
      artifactRefs?: Record<string, string>;
    };

export type RunEventType = RunEventBody['type'];

// The list and the union must name the same types: a mismatch fails to compile here.
type Missing<A, B> = Exclude<A, B> extends never ? true : Exclude<A, B>;
const listed: [Missing<RunEventType, (typeof RUN_EVENT_TYPES)[number]>, Missing<(typeof RUN_EVENT_TYPES)[number], RunEventType>] = [true, true];
void listed;

/** A journaled event. */
export type RunEvent = RunEventBody & {
  runId: string;
  /** 1, 2, 3... per run; the SSE id. */
  seq: number;
  /** ISO-8601 with milliseconds. */
  at: string;
  /** The event format's version ({@link EVENT_SCHEMA_VERSION}); absent in journals written before versions. */
  v?: number;
};

export type EventOf<T extends RunEventType> = Extract<RunEvent, { type: T }>;
