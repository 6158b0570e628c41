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

/** Anything that reports run events: an Orchestrator (`orchestrator.on`). */
export interface RunEventSource {
  on(listener: (event: RunEvent) => void): () => void;
}

/** What an agent gets besides its input. */
export interface AgentContext {
  /** Aborted on timeout, cancellation or run end: stop work and return promptly. */
  signal: AbortSignal;
  /** Reports model usage as it happens (LLM agents). */
  reportUsage?: (usage: Usage) => void;
}

/** A runnable sub-agent. Kinds (module, command, llm, a2a, code) all implement this. */
export interface Agent {
  readonly spec: AgentSpec;
  /** Runs one attempt. Throw to fail; return the output object otherwise. */
  run(input: AgentInput, ctx: AgentContext): Promise<AgentOutput>;
  /** Releases held resources (connections, child processes). */
  close?(): Promise<void>;
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

/** The size of a journal before and after reclaiming space, in bytes. */
export interface SpaceReport {
  bytesBefore: number;
  bytesAfter: number;
  /** Bytes still held as free pages (reused by later runs); `reclaimSpace({ full: true })` gives them back. */
  bytesFree?: number;
}

/**
 * An optional capability of a RunStore (kept apart so RunStore stays narrow): deleting runs and
 * giving their space back. Memory, SQLite and PostgreSQL stores have it; `baton runs delete`,
 * `baton runs prune` and `baton serve --retention` need it.
 */
export interface RunStoreRetention {
  /**
   * Deletes a run and all its events. Resolves false when no such run exists; rejects with
   * `RUN_RUNNING` for a run whose status is `running` (cancel it first).
   */
  deleteRun(runId: string): Promise<boolean>;
  /**
   * Gives the space of deleted runs back where the backend can (SQLite: checkpoints the WAL and
   * truncates it, then frees the file's unused pages; `full` rewrites the whole file with VACUUM).
   * Returns the sizes when the backend knows them.
   */
  reclaimSpace(options?: { full?: boolean }): Promise<SpaceReport | undefined>;
}

