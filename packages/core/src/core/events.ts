import type {
  AgentOutput,
  AttemptStatus,
  Deliverable,
  FinalRunStatus,
  Plan,
  PlannerName,
  Usage,
} from './types.ts';

/**
 * Every transition of a run is one of these events. They are appended to the journal in order
 * (`seq` counts from 1 per run) and the RunResult is a fold over them (see `reduceEvents`), so a
 * journal can always be replayed into the result it stored.
 */
export type RunEventBody =
  | { type: 'run.started'; goal: string; orchestrator: string; manifestFile?: string; options?: Record<string, unknown> }
  | { type: 'run.resumed'; interruptedAttempts: string[] }
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

/** A journaled event. */
export type RunEvent = RunEventBody & {
  runId: string;
  /** 1, 2, 3... per run; the SSE id. */
  seq: number;
  /** ISO-8601 with milliseconds. */
  at: string;
};

export type EventOf<T extends RunEventType> = Extract<RunEvent, { type: T }>;
