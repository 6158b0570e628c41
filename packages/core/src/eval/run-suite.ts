/**
 * `runEvalSuite`: loads a suite and its manifest, runs every case isolated and in parallel (up to
 * `concurrency` at once), and reports what differed.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AgentRegistry } from '../agents/registry.ts';
import { createPlanner } from '../cli/planner-choice.ts';
import type { Agent, Planner } from '../core/contracts.ts';
import { BatonError, errorMessage } from '../core/errors.ts';
import type { Manifest, PlannerName } from '../core/types.ts';
import { Limiter } from '../execution/limiter.ts';
import { importOptional } from '../core/optional.ts';
import type { ExtraCheck, ModelResolver } from '../core/optional.ts';
import { loadManifest } from '../manifest/index.ts';
import { locate } from '../manifest/source.ts';
import { hasJudgedChecks } from '../manifest/rubric-checks.ts';
import { BuiltinPlanner } from '../planning/builtin-planner.ts';
import { runAgentCase } from './agent-case.ts';
import type { CaseContext, CaseFindings } from './case-context.ts';
import { assertSuiteAlone, readSuite, resolveSuite, suiteManifestPath, type ReadSuite } from './load-suite.ts';
import { runPlanCase } from './plan-case.ts';
import { rubricJudging } from './rubric.ts';
import type { EvalSuiteInput } from './suite-schema.ts';
import type { CaseReport, EvalCase, EvalReport, EvalSuite } from './types.ts';

/** Where a suite stands while it runs, for a progress line. */
export interface EvalProgress {
  total: number;
  done: number;
  passed: number;
  failed: number;
  skipped: number;
  /** Names of the cases running now. */
  running: string[];
  /** The case that just finished, when this report is about one. */
  finished?: CaseReport;
}

/** What is about to run. */
export interface EvalStart {
  suite: string;
  manifest?: string;
  planner: PlannerName;
  cases: number;
}

/** Options of {@link runEvalSuite}. */
export interface EvalOptions {
  /**
   * The manifest to run the suite on: a path (it replaces the suite's own `manifest:`) or a loaded
   * manifest. Default: the suite's `manifest:`, else `baton.yaml` in `baseDir`.
   */
  manifest?: string | Manifest;
  /** `builtin`, `llm`, or a planner of your own. Default: `llm` when the manifest has `orchestrator.model`, else `builtin`. */
  planner?: PlannerName | Planner;
  /** Cases run at once (default: the number of CPUs). */
  concurrency?: number;
  /** Aborting it cancels the running cases; the cases not started are skipped. */
  signal?: AbortSignal;
  /** Told once the suite and its manifest are loaded, before the first case starts. */
  onStart?: (start: EvalStart) => void;
  /** Told when a case starts and when it ends. */
  onProgress?: (progress: EvalProgress) => void;
  /** Agents defined in code; they replace manifest agents of the same name. */
  agents?: Agent[];
  registry?: AgentRegistry;
  /** How `provider:model` ids become models for the LLM planner and the judge (default: from the environment). */
  resolveModel?: ModelResolver;
  /** Folder a relative suite path, a suite object's `manifest` and `manifest` resolve against (default: the current folder). */
  baseDir?: string;
}

/**
 * Runs an evaluation suite (DESIGN.md section 10) and returns its report; it never throws for a
 * failing case (see `report.failed`). Each case gets its own orchestrator, in-memory journal and
 * temporary output folder.
 *
 * ```ts
 * import { runEvalSuite } from 'batonjs/testing';
 * const report = await runEvalSuite('evals/trips.yaml', { planner: 'builtin' });
 * if (report.failed > 0) console.log(report.cases.filter((c) => !c.passed));
 * ```
 *
 * @param suite a suite file (YAML) or a suite object of the same shape.
 * @throws SuiteError (`SUITE_INVALID`) for a bad suite, naming file, line and field;
 *   ManifestError for a bad manifest; BatonError when a model named for planning or judging has no key.
 */
export async function runEvalSuite(suite: string | EvalSuiteInput, options: EvalOptions = {}): Promise<EvalReport> {
  const baseDir = resolve(options.baseDir ?? process.cwd());
  const read = await readSuite(suite, baseDir);
  let manifest: Manifest;
  try {
    manifest = await manifestFor(read, options.manifest, baseDir);
  } catch (e) {
    // The suite's own problems first: the manifest may be missing only because the suite misnames it.
    assertSuiteAlone(read);
    throw e;
  }
  const loaded = resolveSuite(read, manifest);
  return runLoadedSuite(loaded, manifest, options);
}

/** Runs a suite already checked against its manifest (what `baton agents test` builds from examples). */
export async function runLoadedSuite(suite: EvalSuite, manifest: Manifest, options: Omit<EvalOptions, 'manifest' | 'baseDir'> = {}): Promise<EvalReport> {
  const started = performance.now();
  const plans = suite.cases.some((c) => c.kind === 'plan');
  const ctx: CaseContext = {
    manifest,
    planner: await plannerFor(options.planner, manifest, options.resolveModel, plans),
    signal: options.signal ?? new AbortController().signal,
    ...(options.agents ? { agents: options.agents } : {}),
    ...(options.registry ? { registry: options.registry } : {}),
  };
  const judge = await artifactJudge(manifest, options.resolveModel);
  if (judge) ctx.extraChecks = judge;
  if (suite.cases.some((c) => c.expect.rubric)) ctx.rubric = await rubricJudging(manifest, options.resolveModel);

  options.onStart?.({ suite: suite.name, ...(suite.manifest === undefined ? {} : { manifest: suite.manifest }), planner: ctx.planner.name, cases: suite.cases.length });
  const reports = await runCases(suite.cases, ctx, options);
  const count = (outcome: CaseReport['outcome']): number => reports.filter((r) => r.outcome === outcome).length;
  return {
    suite: suite.name,
    ...(suite.file === undefined ? {} : { file: suite.file }),
    ...(suite.manifest === undefined ? {} : { manifest: suite.manifest }),
    planner: ctx.planner.name,
    passed: count('passed'),
    failed: count('failed'),
    skipped: count('skipped'),
    durationMs: Math.round(performance.now() - started),
    cases: reports,
  };
}

async function runCases(cases: EvalCase[], ctx: CaseContext, options: Pick<EvalOptions, 'concurrency' | 'onProgress'>): Promise<CaseReport[]> {
  const limiter = new Limiter(Math.max(1, options.concurrency ?? availableParallelism()));
  const reports: CaseReport[] = [];
  const running = new Set<string>();
  const tell = (finished?: CaseReport): void => {
    if (!options.onProgress) return;
    const done = reports.filter(Boolean);
    const count = (outcome: CaseReport['outcome']): number => done.filter((r) => r.outcome === outcome).length;
    options.onProgress({ total: cases.length, done: done.length, passed: count('passed'), failed: count('failed'), skipped: count('skipped'), running: [...running], ...(finished ? { finished } : {}) });
  };
  await Promise.all(
    cases.map(async (c, i) => {
      const release = await limiter.acquire();
      try {
        if (ctx.signal.aborted) {
          reports[i] = toReport(c, { differences: [], skipped: 'not run: the suite was cancelled' }, 0);
          return tell(reports[i]);
        }
        running.add(c.name);
        tell();
        const t0 = performance.now();
        let findings: CaseFindings;
        try {
          findings = c.kind === 'plan' ? await runPlanCase(c, ctx) : await runAgentCase(c, ctx);
        } catch (e) {
          findings = { differences: [{ expectation: 'error', message: `the case could not run: ${errorMessage(e)}` }] };
        }
        running.delete(c.name);
        // A case cut short by the suite's cancellation says nothing about the planner or the agents.
        if (ctx.signal.aborted) findings = { ...findings, differences: [], skipped: 'cancelled: the suite was stopped while this case ran' };
        reports[i] = toReport(c, findings, performance.now() - t0);
        tell(reports[i]);
      } finally {
        release();
      }
    }),
  );
  return reports;
}

function toReport(c: EvalCase, findings: CaseFindings, ms: number): CaseReport {
  const passed = findings.differences.length === 0;
  const outcome = !passed ? 'failed' : findings.skipped !== undefined ? 'skipped' : 'passed';
  return { name: c.name, outcome, passed, durationMs: Math.round(ms), ...(c.line === undefined ? {} : { line: c.line }), ...findings };
}

async function manifestFor(read: ReadSuite, given: string | Manifest | undefined, baseDir: string): Promise<Manifest> {
  if (typeof given === 'object') return given;
  const named = given === undefined ? suiteManifestPath(read) : undefined;
  const file = given !== undefined ? resolve(baseDir, given) : (named ?? resolve(baseDir, 'baton.yaml'));
  try {
    return await loadManifest(file);
  } catch (e) {
    // The manifest the suite's own `manifest:` names: the message says where it is named.
    if (named === undefined || !BatonError.isInstance(e) || e.code !== 'MANIFEST_NOT_FOUND') throw e;
    const at = read.source ? locate(read.source, ['manifest'], 'value') : undefined;
    const where = `${read.file}${at ? `:${at.line}:${at.column}` : ''}`;
    const missing = (e.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
    const why = missing ? `no manifest at ${file} (the path is relative to the suite's folder, ${read.baseDir}): correct it, or give the manifest with -m` : e.message;
    throw new BatonError('MANIFEST_NOT_FOUND', `${where}: manifest: ${why}`, { retryable: false, cause: e });
  }
}

/** The planner of the plan cases; agent cases plan nothing, so they need no model (nor its key). */
async function plannerFor(choice: EvalOptions['planner'], manifest: Manifest, resolver: ModelResolver | undefined, plans: boolean): Promise<Planner> {
  if (typeof choice === 'object') return choice;
  if (!plans) return new BuiltinPlanner();
  const wanted = choice ?? (manifest.orchestrator.model ? 'llm' : 'builtin');
  if (wanted === 'llm' && resolver && manifest.orchestrator.model) {
    return (await importOptional('batonjs-llm', 'the LLM planner (orchestrator.model)')).createLlmPlanner(manifest, { resolveModel: resolver });
  }
  return (await createPlanner(wanted, manifest)) ?? new BuiltinPlanner();
}

/** Artifact `checks` judged by the orchestrator's model, as `baton run` does. */
async function artifactJudge(manifest: Manifest, resolver: ModelResolver | undefined): Promise<ExtraCheck | undefined> {
  if (!hasJudgedChecks(manifest)) return undefined;
  return (await importOptional('batonjs-llm', 'rubric checks judged by orchestrator.model')).createJudgeIfNeeded(manifest, resolver ? { resolveModel: resolver } : {});
}
