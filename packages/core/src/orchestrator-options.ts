import type { Agent, Integrator, Planner, RunStore } from './core/contracts.ts';
import type { AgentOutput, Manifest, Plan, PlanTask, RunResult, Usage } from './core/types.ts';
import type { AgentRegistry } from './agents/registry.ts';
import type { EventListener } from './execution/journal.ts';
import type { Limiter } from './execution/limiter.ts';
import type { PlanInput } from './planning/fixed-plan.ts';

/** Everything an orchestrator is made of; each part is replaceable. */
export interface OrchestratorOptions {
  manifest: Manifest;
  /** Agents defined in code (`defineAgent`); they replace manifest agents of the same name. */
  agents?: Agent[];
  /** The journal. Default: in memory (the CLI uses SQLite at `.baton/baton.db`). */
  store?: RunStore;
  /** Default: the builtin planner. */
  planner?: Planner;
  /** Default: the manifest's `orchestrator.integrator`, else the artifacts with their provenance. */
  integrator?: Integrator;
  registry?: AgentRegistry;
  /** A cap on attempts in flight shared by every run of this orchestrator (and others given it). */
  limiter?: Limiter;
  /** Folder for each run's files; a function gets the run id. Default: no files. */
  outDir?: string | ((runId: string) => string);
  /** Extra checks of valid outputs (LLM judges plug in here); model usage goes to `reportUsage`. */
  extraChecks?: (task: PlanTask, agent: Agent, output: AgentOutput, signal: AbortSignal, reportUsage?: (usage: Usage) => void) => Promise<string[]>;
}

/** Options of one run. */
export interface RunOptions {
  /** Aborting it cancels the run (it ends `cancelled`). */
  signal?: AbortSignal;
  /** Receives every event of this run as it happens. */
  onEvent?: EventListener;
  outDir?: string;
  /**
   * Use this id instead of a generated one. `start` throws `BAD_REQUEST` at once for the id of a run
   * running in this process; the journal refuses any id it already has (the run's result rejects).
   */
  runId?: string;
  /**
   * The run's typed parameters, checked against the manifest's `orchestrator.params` (its
   * defaults filled in) and handed to every agent as `input.params`.
   */
  params?: Record<string, unknown>;
  /**
   * Run exactly this plan, no planner involved (`planner: fixed`): the `plan` member of `baton plan
   * --json` or that whole output; tasks may leave out what their agent implies. Checked like any
   * planner's plan, once per plan object.
   */
  plan?: Plan | PlanInput | { plan: Plan | PlanInput };
  /** Run the manifest's workflow of this name (`planner: workflow`), no planner involved. */
  workflow?: string;
  /** Approve every decision of this run at once, by this name (`baton run --yes`); journaled with the run. */
  autoApprove?: { by: string };
  /**
   * When the run can go no further until a decision is taken, let go of it: nothing more is
   * journaled here, its ownership is released, and `result` settles with the result so far (status
   * `awaiting-approval`). A later decision, or a `baton serve` on the journal, carries it on.
   */
  detachWhenWaiting?: boolean;
}

/** How {@link Orchestrator.close} ends the runs in flight. */
export interface CloseOptions {
  /** Close the journal too (default true). */
  closeStore?: boolean;
  /**
   * What becomes of the runs still working (default `cancel`): `cancel` ends them cancelled;
   * `release` hands them to another process, as if this one had stopped (a rolling deploy: the
   * next replica's takeover sweep carries them on). A run whose journal is a memory one closed
   * here, or records no ownership, is cancelled either way: nothing else could carry it on.
   */
  runs?: 'cancel' | 'release';
}

/** Options of carrying on a run from its journal. */
export interface ResumeOptions extends Omit<RunOptions, 'runId'> {
  /** Continue under the orchestrator's manifest instead of the one journaled when the run started. */
  useCurrentManifest?: boolean;
}

/** A run in progress. */
export interface RunHandle {
  runId: string;
  /** Settles with the final RunResult; never rejects for agent failures (they are in the result). */
  result: Promise<RunResult>;
  cancel(reason?: string): void;
  /** Set when the run was resumed under a manifest other than this orchestrator's (or the reverse). */
  note?: string;
}

/** What became of a decision on a run, wherever the run is held. */
export type DecisionOutcome =
  /** This process holds the run: the decision is journaled and the run goes on here. */
  | { kind: 'decided'; result: RunResult }
  /** A live process holds the run: the decision is left in the journal for it (see `awaitDecision`). */
  | { kind: 'requested'; requestId: string; owner: string }
  /** Nobody held the run: this process took it over, journaled the decision and carries it on. */
  | { kind: 'carried'; handle: RunHandle; result: RunResult };

/** What became of a decision left for another process, once waited for (`Orchestrator.awaitDecision`). */
export type AwaitedDecision = { kind: 'recorded'; result: RunResult } | { kind: 'carried'; handle: RunHandle } | { kind: 'pending' };

/** What became of a request to cancel a run, wherever it runs. */
export type CancelRequest =
  | { kind: 'cancelling' }
  | { kind: 'requested'; owner: string }
  | { kind: 'cancelled'; result: RunResult }
  | { kind: 'ended'; status: string }
  | { kind: 'not-found' };
