import type { RunEvent } from './events.ts';
import type {
  AgentInput,
  ApprovalDecision,
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
  /**
   * Aborted on timeout, cancellation or run end: stop work and return promptly. Also aborted once
   * the attempt has ended with an answer, so that work the agent left going (a timer, a stream)
   * does not outlive it.
   */
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
  /**
   * The version the agent itself reports (a module's `export const version`, an A2A card's
   * `version`, a command's `versionCommand`), which may differ from the manifest's `version`, or
   * undefined when it reports none. Read once when the agent is built, before it runs: a manifest
   * `version` pin is checked against it.
   */
  version?(): Promise<string | undefined>;
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

/**
 * Turns a run's artifacts into the deliverable. The run journals a JSON copy of what it returns
 * (`files` and `provenance` empty when left out, fields of its own kept); a return that is not a
 * deliverable, or holds what JSON cannot write, fails the integration and the run ends `partial`.
 */
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

/** How an append is guarded. */
export interface AppendOptions {
  /**
   * The fencing token the writer got when it took the run (`createRun` with an owner gives 1,
   * `claim` the next one). A store that keeps ownership refuses the batch (code RUN_FENCED) when
   * the run has since been taken by another process: a stale owner's late writes never land.
   */
  fence?: number;
}

/**
 * The journal. Append-only events per run; the RunResult is their fold. Every backend
 * (memory, SQLite, PostgreSQL) passes the same conformance suite.
 */
export interface RunStore {
  /** Registers a run, owned by `record.owner` when given (fence 1). Fails if the id exists. */
  createRun(record: Omit<RunRecord, 'eventCount' | 'updatedAt' | 'status'> & { owner?: RunOwner }): Promise<void>;
  /**
   * Registers a run together with its first events (seq 1 onwards), in one write: the run is never
   * in the journal without them, so a process that dies while starting a run leaves either the
   * whole start or nothing. Fails, writing nothing, if the id exists. Optional: without it the
   * orchestrator calls `createRun`, then `append`, and carries a run left without its start to an
   * end (`failed`) when it takes it over.
   */
  createRunWithEvents?(record: Omit<RunRecord, 'eventCount' | 'updatedAt' | 'status'> & { owner?: RunOwner }, events: RunEvent[]): Promise<void>;
  /** Appends events in order; a `run.ended` event also sets the run's status. */
  append(runId: string, events: RunEvent[], options?: AppendOptions): Promise<void>;
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

/** A process that executes runs. */
export interface RunOwner {
  /** Unique per process: `host:pid:random`. */
  id: string;
  host: string;
  pid: number;
  /** When the process started (ms since the epoch): tells a reused pid apart. */
  startedAt: number;
}

/** Who holds a run that has not ended, and what was asked of its owner. */
export interface RunOwnership {
  runId: string;
  status: RunStatus;
  /** Incremented by every claim; appends must carry the current one. */
  fence: number;
  owner?: RunOwner;
  /** Milliseconds since the owner's last heartbeat, by the store's clock. */
  heartbeatAgeMs?: number;
  /** Milliseconds since the run's last append (a run without owner that someone still writes is not abandoned). */
  updatedAgeMs?: number;
  /**
   * The owner that handed the run over (`release` with `handedOver`), until the next claim: it
   * writes nothing more of the run, so another process may take it at once, not after the lease.
   */
  handedOverBy?: string;
  /** Why the run was asked to cancel, when it was. */
  cancelRequested?: string;
}

/**
 * The optional capability of a journal that records who executes each run (memory, SQLite and
 * PostgreSQL all have it): owners heartbeat, a run whose owner is gone is claimed by another
 * process (the fencing token makes the old owner's late writes fail), and requests for a run
 * (cancel) reach its owner wherever it runs.
 */
export interface OwnershipStore {
  /** Records or refreshes this process's heartbeat. */
  heartbeat(owner: RunOwner): Promise<void>;
  /** Forgets an owner that stops cleanly, leaving the runs it still held without an owner. */
  retire(ownerId: string): Promise<void>;
  /**
   * Makes `owner` the owner of the run if its fencing token is still `expectedFence` (and the run
   * has not ended); returns the new token, or undefined when another process moved first.
   */
  claim(runId: string, owner: RunOwner, expectedFence: number): Promise<number | undefined>;
  /**
   * Leaves the run without an owner, if `ownerId` holds it with `fence`. With `handedOver`, the
   * run is marked as handed over by `ownerId` ({@link RunOwnership.handedOverBy}) until it is
   * claimed again.
   */
  release(runId: string, ownerId: string, fence: number, options?: ReleaseOptions): Promise<void>;
  /** The ownership of every run that has not ended, oldest first. */
  unfinished(limit?: number): Promise<RunOwnership[]>;
  /** The ownership of one run (undefined when there is no such run). */
  ownership(runId: string): Promise<RunOwnership | undefined>;
  /** Asks the owner of a run to cancel it (kept until the run ends). */
  requestCancel(runId: string, reason: string): Promise<void>;
  /** The runs held by `ownerId` with a pending request. */
  requests(ownerId: string): Promise<{ runId: string; cancel: string }[]>;
  /**
   * Leaves a decision for the process that holds a run waiting for one (a compare-and-set: at most
   * one request per run and `key` waits at a time). False when one on the same key already waits
   * or the run has ended.
   * @throws BatonError `RUN_NOT_FOUND` when there is no such run.
   */
  requestDecision(request: DecisionRequest): Promise<boolean>;
  /** The decision requests that wait: for the runs `ownerId` holds (not ended), or for one run. */
  decisionRequests(query: { ownerId: string } | { runId: string }): Promise<DecisionRequest[]>;
  /** Removes a request, once its decision is journaled (or found to decide nothing that waits). */
  clearDecision(runId: string, requestId: string): Promise<void>;
}

/** How a run is left without an owner ({@link OwnershipStore.release}). */
export interface ReleaseOptions {
  /**
   * The owner hands the run over: it has journaled all it will of the run and writes nothing more,
   * so another process may take it over at once. Without it, an ownerless run is taken over only
   * once the lease has passed since its last write (someone may still be writing it).
   */
  handedOver?: boolean;
}

/** A decision on a run, left in the journal by a process that does not hold the run. */
export interface DecisionRequest {
  /** Unique; the journaled `approval.decided` names it as `requestId`. */
  id: string;
  runId: string;
  /** What it decides (`plan`, `task:<id>`): one request per run and key waits at a time. */
  key: string;
  decision: ApprovalDecision;
  requestedAt: string;
}
