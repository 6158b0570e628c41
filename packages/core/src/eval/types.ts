/**
 * The vocabulary of evaluation suites (DESIGN.md section 10): a suite as loaded, and the report of
 * running it. Plain data: the report is what `baton eval --json` prints.
 */
import type { AttemptStatus, FinalRunStatus, JsonSchema, PlannerName, RunStatus } from '../core/types.ts';

/** A suite after loading and checking: every case knows its kind and where it was written. */
export interface EvalSuite {
  name: string;
  /** Absolute path of the suite file, when it came from one. */
  file?: string;
  /** Absolute path of the manifest the suite names (relative paths resolved against its folder). */
  manifest?: string;
  cases: EvalCase[];
}

export type EvalCase = PlanCase | AgentCase;

interface CaseCommon {
  name: string;
  /** Line of the case in the suite file. */
  line?: number;
  /** Run parameters (DESIGN section 9), passed to the run or the agent as they are. */
  params?: Record<string, unknown>;
}

/** A goal given to the orchestrator: expectations on its plan and, when it runs, on its result. */
export interface PlanCase extends CaseCommon {
  kind: 'plan';
  goal: string;
  /** false: plan only. */
  run: boolean;
  expect: PlanExpectations;
}

export interface PlanExpectations {
  /** Exactly these agents in the plan. */
  agents?: string[];
  /** At least these agents. */
  include?: string[];
  /** None of these agents. */
  exclude?: string[];
  /** true: the planner must refuse the goal (`GOAL_REFUSED`); false (default): it must not. */
  refused: boolean;
  /** The RunResult status. */
  status?: FinalRunStatus;
  /** A JSON Schema each named final artifact must satisfy. */
  artifacts?: Record<string, JsonSchema>;
  /** Judged by the orchestrator's model on the deliverable. */
  rubric?: string[];
}

/** One agent given an input directly, without planning: expectations on its output. */
export interface AgentCase extends CaseCommon {
  kind: 'agent';
  agent: string;
  goal?: string;
  /** The artifacts it consumes, by type. */
  inputs: Record<string, unknown>;
  expect: AgentExpectations;
}

export interface AgentExpectations {
  /** The output expected: with `match: partial` (default) every key given must be there with that value. */
  output?: Record<string, unknown>;
  match: 'partial' | 'exact';
  /** A JSON Schema each named artifact of the output must satisfy. */
  artifacts?: Record<string, JsonSchema>;
  /** Judged by the orchestrator's model on the output. */
  rubric?: string[];
}

/** One thing that was not as expected. */
export interface Difference {
  /** The expectation that failed: agents, include, exclude, refused, planning, status, artifacts, output, rubric, version, attempt. */
  expectation: string;
  /** What differed, in words: shown under a failing case. */
  message: string;
  expected?: unknown;
  actual?: unknown;
  /** The artifact a schema, output or rubric difference is about. */
  artifact?: string;
  /** Where in that artifact (a JSON Pointer, `/0/price`). */
  path?: string;
}

export type CaseOutcome = 'passed' | 'failed' | 'skipped';

/** The result of one case. */
export interface CaseReport {
  name: string;
  /** failed: a difference; skipped: nothing differed but part of the case was not judged (see `skipped`); else passed. */
  outcome: CaseOutcome;
  /** Every expectation that was judged held. */
  passed: boolean;
  /** Why part of the case was not judged (a rubric without a model). */
  skipped?: string;
  durationMs: number;
  differences: Difference[];
  /** Line of the case in the suite file. */
  line?: number;
  goal?: string;
  /** Agent cases: the agent tested. */
  agent?: string;
  /** Agent cases: how its attempt ended. */
  attempt?: AttemptStatus | 'cancelled';
  /** The agents of the plan, in task order (plan cases that were planned). */
  planAgents?: string[];
  /** The planner that made the plan (an LLM planner may fall back to the builtin one). */
  planner?: PlannerName;
  /** The planner's notes and each task's reason, for reading a mis-plan. */
  planNotes?: string[];
  /** The RunResult status (cases that ran). */
  status?: RunStatus;
  /** Why the run ended so, when it is not plain success. */
  reason?: string;
  /** The planner's refusal message, when it refused. */
  refused?: string;
  runId?: string;
}

/** The result of a suite: what `baton eval --json` prints. */
export interface EvalReport {
  suite: string;
  file?: string;
  manifest?: string;
  /** The planner the plan cases went through. */
  planner: PlannerName;
  passed: number;
  failed: number;
  skipped: number;
  durationMs: number;
  /** In the order of the suite. */
  cases: CaseReport[];
}
