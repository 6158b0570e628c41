import type { AgentRegistry } from '../agents/registry.ts';
import type { Agent, Planner } from '../core/contracts.ts';
import type { Manifest } from '../core/types.ts';
import type { ExtraCheck } from '../core/optional.ts';
import type { RubricJudging } from './rubric.ts';
import type { CaseReport } from './types.ts';

/** What every case of a suite shares: read-only parts, from which each case builds its own runtime. */
export interface CaseContext {
  manifest: Manifest;
  /** Stateless planners are shared; each case still gets its own orchestrator. */
  planner: Planner;
  /** Agents defined in code; they replace manifest agents of the same name. */
  agents?: Agent[];
  registry?: AgentRegistry;
  /** Artifact `checks` judged by the orchestrator's model, as in a run. */
  extraChecks?: ExtraCheck;
  /** The judge of rubric expectations; undefined when no case has one. */
  rubric?: RubricJudging;
  /** Aborted: running cases end cancelled, waiting cases do not start. */
  signal: AbortSignal;
}

/** What a case runner finds: the report minus what the suite runner adds (name, timing, outcome). */
export type CaseFindings = Omit<CaseReport, 'name' | 'outcome' | 'passed' | 'durationMs' | 'line'>;
