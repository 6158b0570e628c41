import type { RunEvent } from './events.ts';
import type {
  AgentInput,
  AgentOutput,
  AgentSpec,
  Deliverable,
  Manifest,
  Plan,
  PlannerName,
  Provenance,
  RunResult,
  RunStatus,
  TaskResult,
  Usage,
} from './types.ts';

/** What an agent gets besides its input. */
export interface AgentContext {
  /** Aborted on timeout, cancellation or run end: stop work and return promptly. */
  signal: AbortSignal;
  /** Reports model usage as it happens (LLM agents). */
  reportUsage?: (usage: Usage) => void;
  /**
   * When the attempt's time is up (epoch ms, as `Date.now()`). An agent that answers later is
   * recorded as a timeout: agents running in this thread check it as they return.
   */
  deadline?: number;
  /**
   * The largest output the attempt accepts, in bytes of JSON (`policy.maxOutputBytes`). Agents
   * that can stop early (a command whose stdout passes it is killed) use it; the validator checks
   * every output against it anyway.
   */
  maxOutputBytes?: number;
  /**
   * For agents whose work happens outside this thread (a child process, a worker thread):
   * registers a check the attempt makes when its time is up, before declaring a timeout. The check
   * resolves true when the answer was complete by the deadline (the process had exited) and is
   * only on its way here, so an event loop that was busy at the deadline does not turn a finished
   * attempt into a timeout; the attempt then waits a few seconds more for it. A wrapper that adds
   * work after the agent it wraps has answered must not pass this on.
   */
  setAnswerCheck?: (check: () => Promise<boolean>) => void;
}

/** A runnable sub-agent. Kinds (module, command, llm, a2a, code) all implement this. */
export interface Agent {
  readonly spec: AgentSpec;
  /** Runs one attempt. Throw to fail; return the output object otherwise. */
  run(input: AgentInput, ctx: AgentContext): Promise<AgentOutput>;
  /** Releases held resources (connections, child processes). */
  close?(): Promise<void>;
  /**
   * The version the agent reports about itself (e.g. a module's `export const version = '1.2.0'`),
   * which may differ from the manifest's `version`; undefined when it reports none.
   */
  version?(): Promise<string | undefined>;
}

/** Builds the Agent for a spec of one kind; registered per kind so new kinds plug in. */
export type AgentFactory = (spec: AgentSpec, manifest: Manifest) => Agent | Promise<Agent>;

/** A planner turns a goal into a plan. */
export interface Planner {
  readonly name: PlannerName;
  plan(goal: string, manifest: Manifest, options?: { signal?: AbortSignal }): Promise<PlanOutcome>;
  /**
   * Plans the remaining work after tasks failed for good (LLM planners). The new plan may reuse
   * the ids of tasks that succeeded: those are not run again and their artifacts stay available.
   * Return undefined when no better plan exists.
   */
  replan?(request: ReplanRequest, options?: { signal?: AbortSignal }): Promise<PlanOutcome | undefined>;
}

/** What a planner is told when asked to re-plan. */
export interface ReplanRequest {
  goal: string;
  manifest: Manifest;
  previous: Plan;
  /** Tasks that failed for good, with why. */
  failed: { taskId: string; agent: string; reason: string }[];
  /** Artifact types already produced (their tasks succeeded). */
  produced: string[];
  /** Ids of tasks that succeeded. */
  succeeded: string[];
}

export interface PlanOutcome {
  plan: Plan;
  planner: PlannerName;
  /** Why this planner's plan was used (e.g. "LLM plan invalid twice; fell back to builtin"). */
  reason?: string;
  usage?: Usage;
}

/** What an integrator is given: everything the run produced. */
export interface IntegrationInput {
  runId: string;
  goal: string;
  manifest: Manifest;
  plan: Plan;
  tasks: TaskResult[];
  /** Every artifact produced, by type. */
  artifacts: Record<string, unknown>;
  provenance: Record<string, Provenance>;
  /** Artifacts that were planned but not produced. */
  missing: string[];
  /** The folder to write files into (created by the orchestrator). */
  outDir: string;
  /** The run so far (status is the one the run is about to end with). */
  result: RunResult;
  signal: AbortSignal;
}

/** Turns a run's artifacts into the deliverable. */
export type Integrator = (input: IntegrationInput) => Promise<Deliverable> | Deliverable;

/** A stored run, without its events. */
export interface RunRecord {
  runId: string;
  goal: string;
  status: RunStatus;
  createdAt: string;
  updatedAt: string;
  /** The manifest the run was started from, so `resume` can load it again. */
  manifestFile?: string;
  /** Number of events journaled. */
  eventCount: number;
}

export interface ListRunsOptions {
  limit?: number;
  /** Return runs created before this run (paging, newest first). */
  before?: string;
  status?: RunStatus;
}

/**
 * The journal. Append-only events per run; the RunResult is their fold. Every backend
 * (memory, SQLite, PostgreSQL) passes the same conformance suite.
 */
export interface RunStore {
  /** Registers a run. Fails if the id exists. */
  createRun(record: Omit<RunRecord, 'eventCount' | 'updatedAt' | 'status'>): Promise<void>;
  /** Appends events in order; a `run.ended` event also sets the run's status. */
  append(runId: string, events: RunEvent[]): Promise<void>;
  /** Events with seq > afterSeq, in order. */
  readEvents(runId: string, afterSeq?: number): Promise<RunEvent[]>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  listRuns(options?: ListRunsOptions): Promise<RunRecord[]>;
  close(): Promise<void>;
}
