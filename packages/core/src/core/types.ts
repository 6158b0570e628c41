/**
 * The shared vocabulary of Baton. Everything here is plain data: it is persisted in the journal,
 * sent over HTTP and queues, and read by users' programs (DESIGN.md sections 3, 4 and 6).
 */

/** A JSON Schema object (draft 2020-12 or draft-07), as written in a manifest. */
export type JsonSchema = Record<string, unknown>;

/** How one artifact an agent produces is checked. */
export interface ArtifactSpec {
  /** The JSON Schema the artifact must satisfy, already loaded from its file. */
  schema?: JsonSchema;
  /** Where the schema came from (for error messages). */
  schemaPath?: string;
  /** Quality checks judged by the orchestrator's model (LLM mode). */
  checks?: { rubric: string }[];
}

/** Backoff between retries of the same agent: plain data, kept in the manifest and the journal. */
export interface BackoffPolicy {
  initialDelayMs: number;
  factor: number;
  maxDelayMs: number;
  /** 0..1: the share of each delay drawn at random, to spread retries of many tasks. */
  jitter: number;
}

/** The orchestrator's run policy (DESIGN section 3). */
export interface Policy {
  maxParallel: number;
  retries: number;
  taskTimeoutMs: number;
  runTimeoutMs: number;
  backoff: BackoffPolicy;
  /** Largest output of one attempt, in bytes of JSON; a larger one makes the attempt `invalid` (default 16 MiB). */
  maxOutputBytes?: number;
  maxTokens?: number;
  maxLlmCalls?: number;
  maxReplans?: number;
  /** `plan`: every run waits for a decision on its plan before any task runs (default `none`). */
  approval?: 'none' | 'plan';
  /** How long a decision may be waited for; past it the run ends with that reason (default: no limit). */
  approvalTimeoutMs?: number;
}

export type AgentKind = 'module' | 'command' | 'llm' | 'a2a' | 'code';

/** One sub-agent, as declared in a manifest or defined in code. */
export interface AgentSpec {
  name: string;
  description: string;
  /** The version as declared (an exact version or a semver range); `0.0.0` when none is. */
  version: string;
  /**
   * The manifest's `version` when it states one: the exact version or semver range (`^1.2.0`,
   * `~1.2`, `>=1 <2`) the version the agent reports must satisfy. Unset: nothing is checked.
   */
  versionPin?: string;
  capabilities: string[];
  consumes: string[];
  produces: string[];
  kind: AgentKind;
  /** kind module: absolute path of the file whose default export runs the agent. */
  module?: string;
  /**
   * kind module: where it runs. `thread` (the default): in a worker thread, stopped at its timeout
   * and unable to hold the orchestrator's event loop; `process`: each attempt in a Node process of
   * its own, which nothing the module does can take this process down with; `none`: in the
   * orchestrator's thread.
   */
  isolation?: 'thread' | 'process' | 'none';
  /**
   * kind module, `isolation: process`: the largest JavaScript heap of the agent's process, in MB
   * (at least 32); an attempt that needs more fails. Unset: Node's own heap limit, which V8 sets
   * from the machine's memory.
   */
  maxMemoryMb?: number;
  /** kind command: argv; run with the manifest's folder as working directory. */
  command?: string[];
  /** kind command: argv whose stdout (first line) is the version the command reports. */
  versionCommand?: string[];
  /** kind a2a: base URL of the remote agent (its agent card is read from there). */
  url?: string;
  /** kind llm: provider:model. */
  model?: string;
  /** kind llm: the agent's standing instructions. */
  instructions?: string;
  /** kind llm: tools the agent may call. */
  tools?: ToolSpec[];
  /** Extra environment variables for a command agent. */
  env?: Record<string, string>;
  output: Record<string, ArtifactSpec>;
  fallback: string[];
  timeoutMs?: number;
  retries?: number;
  /** Folder relative paths are resolved against (the manifest's folder). */
  baseDir?: string;
  /** Contract examples run by `baton agents test`: an input and what its output must be. */
  examples?: AgentExample[];
  /** `required`: each task given to this agent waits for a decision before it runs (agents with side effects). */
  approval?: 'required';
}

/** One example of an agent's contract: an input, and the output expected from it. */
export interface AgentExample {
  name?: string;
  input: {
    goal?: string;
    /** The artifacts the agent consumes, by type. */
    inputs: Record<string, unknown>;
    /** Run parameters (DESIGN section 9). */
    params?: Record<string, unknown>;
  };
  /** Expected output: every key given must be there with that value (deep partial match). */
  output?: Record<string, unknown>;
  /** A JSON Schema per artifact that the output must also meet (already loaded from its file). */
  schema?: Record<string, JsonSchema>;
}

/** A tool an llm agent may call: an MCP server's tools or a built-in. */
export type ToolSpec =
  | { kind: 'mcp'; name: string; command?: string[]; url?: string; env?: Record<string, string>; allow?: string[] }
  | { kind: 'builtin'; name: string; options?: Record<string, unknown> };

/** The orchestrator's part of a manifest. It plans, routes, validates and integrates; it has no tools. */
export interface OrchestratorSpec {
  name: string;
  description: string;
  instructions: string;
  model?: string;
  subagents: string[];
  deliverable: string[];
  policy: Policy;
  /** Module path of a custom integrator (default export), resolved against the manifest's folder. */
  integrator?: string;
  /**
   * The JSON Schema (`type: object`) of the run's typed parameters (DESIGN section 9). Without it a
   * run takes no parameters. Unless the schema says otherwise (`additionalProperties`), a parameter
   * it does not name is refused.
   */
  params?: JsonSchema;
}

/** A loaded, validated manifest. */
export interface Manifest {
  version: 1;
  /** Absolute path of the file it came from, when it came from one. */
  file?: string;
  /** Folder that relative paths in the manifest are resolved against. */
  baseDir: string;
  orchestrator: OrchestratorSpec;
  agents: Record<string, AgentSpec>;
  /** Fixed plans declared under `workflows:`, by name (DESIGN section 9); run with no planner. */
  workflows?: Record<string, Workflow>;
}

/** A fixed plan declared in a manifest: what runs, with no planner involved. */
export interface Workflow {
  name: string;
  description?: string;
  /** The plan, complete (consumes, produces and dependsOn derived from the agents where left out) and valid. */
  plan: Plan;
}

/** One task of a plan (DESIGN section 6, `plan.tasks`). */
export interface PlanTask {
  /** Stable, readable id such as `t1-extract-sales-dataset`. */
  id: string;
  title: string;
  instructions: string;
  agent: string;
  dependsOn: string[];
  consumes: string[];
  produces: string[];
  /** Why the planner added this task: matched words, or "needed by t3-...". */
  reason?: string;
}

/**
 * Who made a run's plan: a planner (`builtin`, `llm`), or nobody: `fixed` is a plan given with the
 * run (`--plan`, `{plan}`), `workflow` a workflow of the manifest (`--workflow`, `{workflow}`).
 */
export type PlannerName = 'builtin' | 'llm' | 'fixed' | 'workflow';

/** A DAG of tasks. */
export interface Plan {
  tasks: PlanTask[];
  /** Artifacts the goal asked for (the rest are intermediate). */
  requested?: string[];
  /** Free-text notes a planner wants shown (e.g. "goal named no artifact; used the deliverable"). */
  notes?: string[];
  /**
   * Artifacts the goal ruled out ("no summary", "only the charts"): none of them is delivered. One
   * may still be made as the input of another task (a note then says so).
   */
  excluded?: string[];
}

/** What an agent receives (DESIGN section 4). */
export interface AgentInput {
  runId: string;
  goal: string;
  task: { id: string; title: string; instructions: string };
  /**
   * The artifacts the task consumes, by type. The agent's own copies: changing them changes
   * neither what the journal holds nor what other tasks get.
   */
  inputs: Record<string, unknown>;
  /** The run's validated parameters (DESIGN section 9); `{}` when the run has none. The agent's own copy. */
  params: Record<string, unknown>;
  attempt: number;
  feedback?: string;
}

/** What an agent returns: one key per artifact type it produces. */
export type AgentOutput = Record<string, unknown>;

/** Token and call counts. */
export interface Usage {
  llmCalls: number;
  inputTokens: number;
  outputTokens: number;
}

export type AttemptStatus = 'succeeded' | 'failed' | 'timeout' | 'invalid';
export type TaskStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';
/** `awaiting-approval`: a decision (on the plan or a task) is waited for; like `running`, not an end. */
export type RunStatus = 'running' | 'awaiting-approval' | 'succeeded' | 'partial' | 'failed' | 'cancelled';
export type FinalRunStatus = Exclude<RunStatus, 'running' | 'awaiting-approval'>;

/** The statuses a run ends with. */
export const FINAL_RUN_STATUSES: readonly FinalRunStatus[] = ['succeeded', 'partial', 'failed', 'cancelled'];

/** True for a status a run ends with (not `running`, not `awaiting-approval`). */
export function isFinalStatus(status: RunStatus): status is FinalRunStatus {
  return status !== 'running' && status !== 'awaiting-approval';
}

/** What a decision is about: the run's plan, or one task before it runs. */
export type ApprovalKind = 'plan' | 'task';

/** Something a run waits for a decision on (`RunResult.awaiting`). */
export interface PendingApproval {
  kind: ApprovalKind;
  /** kind task: the task that waits. */
  taskId?: string;
  /** kind plan: the plan to approve (or edit). */
  plan?: Plan;
  /** kind task: the task as planned. */
  task?: PlanTask;
  /** kind task: the agent the task would be given to. */
  agent?: string;
  /** kind task: what the agent would be given. */
  input?: { inputs: Record<string, unknown>; params: Record<string, unknown> };
  requestedAt: string;
  /** When the run ends if nobody decides (policy.approvalTimeoutMs). */
  expiresAt?: string;
}

/** A decision as given by whoever decides (CLI, HTTP, dashboard, A2A). */
export interface ApprovalDecision {
  decision: 'approved' | 'rejected';
  /** The task decided on; without it, the plan (or the one task that waits). */
  taskId?: string;
  /** Who decides. */
  by: string;
  /** Why (a rejection). */
  reason?: string;
  /** A remark kept with an approval. */
  note?: string;
  /** An approval of an edited plan: the plan as it should run (the shape `--plan` takes). Checked again. */
  plan?: unknown;
}

/** A decision taken on a run (`RunResult.approvals`). */
export interface ApprovalRecord {
  kind: ApprovalKind;
  taskId?: string;
  decision: 'approved' | 'rejected';
  /** Who decided: a name given with the decision, else the channel (`cli`, `http`, `dashboard`, `a2a`). */
  by: string;
  at: string;
  /** True when the plan was approved as edited by the decider. */
  planEdited: boolean;
  reason?: string;
  note?: string;
}

/** One try of one agent at one task. */
export interface AttemptRecord {
  n: number;
  /** Globally unique; makes late results idempotent. */
  attemptId: string;
  agent: string;
  agentVersion?: string;
  startedAt: string;
  endedAt?: string;
  status?: AttemptStatus;
  error?: string;
  /** The feedback this attempt was given (why the previous one was rejected). */
  feedback?: string;
  usage?: Usage;
}

/** A task's state in a RunResult. */
export interface TaskResult {
  id: string;
  agent: string;
  status: TaskStatus;
  attempts: AttemptRecord[];
  output?: AgentOutput;
  /** Why the task failed, was skipped or was cancelled. */
  reason?: string;
  usage?: Usage;
}

/** Who made an artifact of the deliverable. */
export interface Provenance {
  task: string;
  agent: string;
  agentVersion: string;
  attempt: number;
  attemptId: string;
  at: string;
}

export interface Deliverable {
  artifacts: Record<string, unknown>;
  files: string[];
  provenance: Record<string, Provenance>;
  /** Artifacts that were asked for but could not be made. */
  missing?: string[];
}

/** The outcome of a run (DESIGN section 6). */
export interface RunResult {
  runId: string;
  goal: string;
  status: RunStatus;
  planner: PlannerName;
  /** The run's validated parameters (`{}` when none). */
  params: Record<string, unknown>;
  plan: Plan;
  tasks: TaskResult[];
  deliverable: Deliverable;
  usage: Usage;
  startedAt: string;
  endedAt?: string;
  /** Why the run ended the way it did, when that is not plain success. */
  reason?: string;
  /** Plans replaced by re-planning, oldest first. */
  previousPlans?: Plan[];
  /** The integration phase (turning artifacts into the deliverable), once it started. */
  integration?: IntegrationRecord;
  /** Every decision taken on the run, in order. */
  approvals: ApprovalRecord[];
  /** What waits for a decision now (absent when nothing does). */
  awaiting?: PendingApproval[];
}

/** When and how the deliverable was integrated. */
export interface IntegrationRecord {
  /** `default`, or the integrator module of the manifest. */
  integrator: string;
  startedAt: string;
  endedAt?: string;
  ok?: boolean;
  durationMs?: number;
  error?: string;
}

export const emptyUsage = (): Usage => ({ llmCalls: 0, inputTokens: 0, outputTokens: 0 });
