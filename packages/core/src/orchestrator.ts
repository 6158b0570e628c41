import { mkdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { AgentRegistry } from './agents/registry.ts';
import type { Agent, Integrator, Planner, PlanOutcome, RunStore } from './core/contracts.ts';
import { BatonError, errorMessage } from './core/errors.ts';
import type { RunEvent } from './core/events.ts';
import { newRunId } from './core/ids.ts';
import { reduceEvents } from './core/reduce.ts';
import type { AgentOutput, Deliverable, Manifest, Plan, PlanTask, RunResult, TaskResult, Usage } from './core/types.ts';
import { RunJournal } from './execution/journal.ts';
import type { EventListener } from './execution/journal.ts';
import type { Limiter } from './execution/limiter.ts';
import { decideRunStatus } from './execution/outcome.ts';
import { RunLoop } from './execution/run-loop.ts';
import type { StopReason } from './execution/run-loop.ts';
import { collectArtifacts } from './integration/collect.ts';
import { writeDefaultDeliverable } from './integration/default-deliverable.ts';
import { loadIntegrator } from './integration/load-integrator.ts';
import { BuiltinPlanner } from './planning/builtin-planner.ts';
import { assertValidPlan } from './planning/validate-plan.ts';
import { candidateAgents } from './routing/index.ts';
import { MemoryRunStore } from './store/memory-store.ts';

const HOST = hostname();

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
  /** Use this id instead of a generated one. */
  runId?: string;
}

/** A run in progress. */
export interface RunHandle {
  runId: string;
  /** Settles with the final RunResult; never rejects for agent failures (they are in the result). */
  result: Promise<RunResult>;
  cancel(reason?: string): void;
}

/**
 * The orchestrator: plans a goal into a DAG of tasks, routes each to a sub-agent, validates
 * every output, heals failures, integrates the outputs and journals every step. It calls no
 * tools itself; sub-agents execute.
 */
export class Orchestrator {
  readonly manifest: Manifest;
  readonly store: RunStore;
  private readonly planner: Planner;
  private readonly registry: AgentRegistry;
  private readonly codeAgents = new Map<string, Agent>();
  private readonly agentCache = new Map<string, Promise<Agent>>();
  private readonly listeners: EventListener[] = [];
  private integratorPromise: Promise<Integrator> | undefined;
  private readonly active = new Map<string, RunHandle>();

  constructor(private readonly options: OrchestratorOptions) {
    this.manifest = options.manifest;
    this.store = options.store ?? new MemoryRunStore();
    this.planner = options.planner ?? new BuiltinPlanner();
    this.registry = options.registry ?? new AgentRegistry();
    for (const a of options.agents ?? []) this.codeAgents.set(a.spec.name, a);
  }

  /** Listens to the events of every run; returns a function that stops listening. */
  on(listener: EventListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Plans a goal without running anything. */
  async plan(goal: string): Promise<{ plan: RunResult['plan']; planner: RunResult['planner']; reason?: string }> {
    const outcome = await this.planner.plan(goal, this.manifest);
    assertValidPlan(outcome.plan, this.manifest);
    return outcome.reason === undefined
      ? { plan: outcome.plan, planner: outcome.planner }
      : { plan: outcome.plan, planner: outcome.planner, reason: outcome.reason };
  }

  /** Runs a goal to its end. */
  run(goal: string, options: RunOptions = {}): Promise<RunResult> {
    return this.start(goal, options).result;
  }

  /** Starts a goal and returns at once with a handle. */
  start(goal: string, options: RunOptions = {}): RunHandle {
    const runId = options.runId ?? newRunId();
    return this.track(runId, options, (stopper) => this.execute(runId, goal, options, stopper, undefined));
  }

  /** Continues a run that was interrupted (its process died), from its journal. */
  async resume(runId: string, options: Omit<RunOptions, 'runId'> = {}): Promise<RunHandle> {
    const events = await this.store.readEvents(runId);
    const before = reduceEvents(events);
    if (!before) throw new BatonError('RUN_NOT_FOUND', `no run ${runId} in this journal`, { runId, retryable: false });
    if (before.status !== 'running' || this.active.has(runId)) {
      const why = this.active.has(runId) ? 'it is running in this process' : `it already ended ${before.status}`;
      throw new BatonError('RUN_NOT_RESUMABLE', `run ${runId} cannot be resumed: ${why}`, { runId, retryable: false });
    }
    const started = events.find((e): e is Extract<RunEvent, { type: 'run.started' }> => e.type === 'run.started');
    const savedOut = started?.options?.outDir;
    const opts: RunOptions = { ...options, runId };
    if (opts.outDir === undefined && typeof savedOut === 'string') opts.outDir = savedOut;
    return this.track(runId, opts, (stopper) => this.execute(runId, before.goal, opts, stopper, events));
  }

  /** Cancels a run started by this orchestrator; false if it is not running here. */
  cancel(runId: string, reason = 'cancelled by request'): boolean {
    const h = this.active.get(runId);
    if (!h) return false;
    h.cancel(reason);
    return true;
  }

  /** The runs in progress in this process. */
  activeRuns(): string[] {
    return [...this.active.keys()];
  }

  /** Closes agents (and the store, if `closeStore`). */
  async close(closeStore = true): Promise<void> {
    for (const p of this.agentCache.values()) {
      const agent = await p.catch(() => undefined);
      await agent?.close?.();
    }
    if (closeStore) await this.store.close();
  }

  private track(runId: string, options: RunOptions, body: (stopper: Stopper) => Promise<RunResult>): RunHandle {
    const stopper = new Stopper();
    const onAbort = (): void => stopper.stop({ kind: 'cancelled', message: abortMessage(options.signal) });
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    const handle: RunHandle = {
      runId,
      result: body(stopper).finally(() => {
        options.signal?.removeEventListener('abort', onAbort);
        this.active.delete(runId);
      }),
      cancel: (reason = 'cancelled by request') => stopper.stop({ kind: 'cancelled', message: reason }),
    };
    this.active.set(runId, handle);
    return handle;
  }

  private async execute(runId: string, goal: string, options: RunOptions, stopper: Stopper, journaled: RunEvent[] | undefined): Promise<RunResult> {
    const listeners = options.onEvent ? [...this.listeners, options.onEvent] : this.listeners;
    const journal = new RunJournal(runId, this.store, listeners);
    const outDir = options.outDir ?? resolveOutDir(this.options.outDir, runId);
    if (journaled) {
      journal.replay(journaled);
      const interrupted = (journal.builder.current()?.tasks ?? []).flatMap((t) => t.attempts.filter((a) => !a.status).map((a) => a.attemptId));
      journal.emit({ type: 'run.resumed', interruptedAttempts: interrupted });
    } else {
      const record = { runId, goal, createdAt: new Date().toISOString() };
      await this.store.createRun(this.manifest.file ? { ...record, manifestFile: this.manifest.file } : record);
      journal.emit({
        type: 'run.started',
        goal,
        orchestrator: this.manifest.orchestrator.name,
        ...(this.manifest.file ? { manifestFile: this.manifest.file } : {}),
        // Where the run lives, so `baton runs cancel` can reach its process.
        options: { ...(outDir ? { outDir } : {}), pid: process.pid, host: HOST },
      });
    }
    const policy = this.manifest.orchestrator.policy;
    const runTimer = setTimeout(() => stopper.stop({ kind: 'timeout', message: `run timed out after ${policy.runTimeoutMs} ms` }), policy.runTimeoutMs);
    try {
      let current = journal.builder.current()!;
      if (current.plan.tasks.length === 0) {
        if (stopper.reason) return await this.end(journal, { status: 'cancelled', reason: stopper.reason.message }, undefined, outDir);
        try {
          const outcome = await this.planner.plan(goal, this.manifest);
          if (outcome.usage) journal.emit({ type: 'usage', usage: outcome.usage });
          assertValidPlan(outcome.plan, this.manifest);
          journal.emit({ type: 'plan.created', plan: outcome.plan, planner: outcome.planner, ...(outcome.reason ? { reason: outcome.reason } : {}) });
        } catch (e) {
          return await this.end(journal, { status: 'failed', reason: `planning failed: ${errorMessage(e)}` }, undefined, outDir);
        }
        current = journal.builder.current()!;
      }
      let loop = this.newLoop(runId, goal, journal, current.plan, journaled ? current.tasks : [], undefined);
      stopper.attach(loop);
      await loop.run();
      let note: string | undefined;
      for (let replans = 0; ; replans++) {
        const next = await this.replanIfUseful(journal, loop, replans);
        note = next?.note;
        if (!next?.plan) break;
        const before = journal.builder.current()!;
        loop = this.newLoop(runId, goal, journal, next.plan, before.tasks, loop);
        stopper.attach(loop);
        await loop.run();
      }
      const result = journal.builder.current()!;
      const verdict = decideRunStatus(result.plan, result.tasks, loop.artifacts, loop.stopReason);
      if (note && verdict.status !== 'succeeded') verdict.reason = verdict.reason ? `${verdict.reason}; ${note}` : note;
      return await this.end(journal, verdict, loop, outDir);
    } finally {
      clearTimeout(runTimer);
    }
  }

  private newLoop(runId: string, goal: string, journal: RunJournal, plan: Plan, restored: readonly TaskResult[], previous: RunLoop | undefined): RunLoop {
    const policy = this.manifest.orchestrator.policy;
    return new RunLoop({
      runId,
      goal,
      plan,
      policy,
      journal,
      getAgent: (name) => this.agent(name),
      candidates: (task) => candidateAgents(task, this.manifest),
      retriesOf: (name) => this.manifest.agents[name]?.retries ?? policy.retries,
      timeoutOf: (name) => this.manifest.agents[name]?.timeoutMs ?? policy.taskTimeoutMs,
      versionOf: (name) => this.manifest.agents[name]?.version ?? '0.0.0',
      restored: restored.map((t) => structuredClone(t)),
      checkBudget: (inFlight) => this.budgetExceeded(journal, inFlight),
      ...(previous ? { carried: { artifacts: previous.artifacts, provenance: previous.provenance } } : {}),
      ...(this.options.limiter ? { limiter: this.options.limiter } : {}),
      ...(this.options.extraChecks ? { extraChecks: this.options.extraChecks } : {}),
    });
  }

  /**
   * After tasks failed for good, asks a planner that can re-plan for a new plan of the remaining
   * work, at most `policy.maxReplans` times (default 1). Stops when the new plan would repeat
   * the one that failed: no progress is no reason to loop.
   */
  private async replanIfUseful(journal: RunJournal, loop: RunLoop, done: number): Promise<{ plan?: Plan; note?: string } | undefined> {
    if (!this.planner.replan || loop.stopReason) return undefined;
    if (done >= (this.manifest.orchestrator.policy.maxReplans ?? 1)) return undefined;
    const r = journal.builder.current()!;
    const planned = new Set(r.plan.tasks.map((t) => t.id));
    const failed = r.tasks.filter((t) => planned.has(t.id) && t.status === 'failed');
    if (failed.length === 0) return undefined;
    let outcome: PlanOutcome | undefined;
    try {
      outcome = await this.planner.replan({
        goal: r.goal,
        manifest: this.manifest,
        previous: r.plan,
        failed: failed.map((t) => ({ taskId: t.id, agent: t.agent, reason: t.reason ?? 'failed' })),
        produced: Object.keys(loop.artifacts),
        succeeded: r.tasks.filter((t) => t.status === 'succeeded').map((t) => t.id),
      });
      if (!outcome) return undefined;
      if (outcome.usage) journal.emit({ type: 'usage', usage: outcome.usage });
      assertValidPlan(outcome.plan, this.manifest, Object.keys(loop.artifacts));
    } catch (e) {
      return { note: `re-planning failed: ${errorMessage(e)}` };
    }
    if (samePlanShape(outcome.plan, r.plan)) {
      return { note: 'stopped re-planning: no progress (the new plan repeats the plan that failed)' };
    }
    journal.emit({ type: 'plan.replaced', plan: outcome.plan, planner: outcome.planner, reason: outcome.reason ?? `re-planned after ${failed.map((t) => t.id).join(', ')} failed` });
    return { plan: outcome.plan };
  }

  private async end(
    journal: RunJournal,
    verdict: { status: RunResult['status']; reason?: string },
    loop: RunLoop | undefined,
    outDir: string | undefined,
  ): Promise<RunResult> {
    const result = journal.builder.current()!;
    let status = verdict.status === 'running' ? 'failed' : verdict.status;
    let reason = verdict.reason;
    const artifacts = loop?.artifacts ?? {};
    const provenance = loop?.provenance ?? {};
    let deliverable: Deliverable = collectArtifacts({ plan: result.plan, artifacts, provenance });
    if (outDir) await mkdir(outDir, { recursive: true });
    if (loop && status !== 'cancelled' && Object.keys(artifacts).length > 0) {
      try {
        const integrator = await this.integrator();
        if (integrator !== collectArtifacts) {
          const snapshot: RunResult = { ...structuredClone(result), status };
          deliverable = await integrator({
            runId: result.runId,
            goal: result.goal,
            manifest: this.manifest,
            plan: result.plan,
            tasks: snapshot.tasks,
            artifacts,
            provenance,
            missing: deliverable.missing ?? [],
            outDir: outDir ?? '',
            result: snapshot,
            signal: AbortSignal.timeout(this.manifest.orchestrator.policy.taskTimeoutMs),
          });
        }
      } catch (e) {
        if (status === 'succeeded') status = 'partial';
        reason = `integration failed: ${errorMessage(e)}${reason ? `; ${reason}` : ''}`;
      }
    }
    if (outDir && !this.options.integrator && !this.manifest.orchestrator.integrator) deliverable = await writeDefaultDeliverable(outDir, deliverable, { runId: result.runId, goal: result.goal, status, ...(reason === undefined ? {} : { reason }) });
    const runJson = outDir ? path.join(outDir, 'run.json') : undefined;
    const files = [...(deliverable.files ?? [])].map(displayPath);
    if (runJson && !files.includes(displayPath(runJson))) files.push(displayPath(runJson));
    deliverable = { ...deliverable, files };
    journal.emit(reason === undefined ? { type: 'run.ended', status, deliverable } : { type: 'run.ended', status, reason, deliverable });
    await journal.flush();
    // No event follows run.ended, so the live result is final: hand it over without a copy.
    const final = journal.builder.current()!;
    if (runJson) await writeFile(runJson, `${JSON.stringify(final, null, 2)}\n`);
    return final;
  }

  private budgetExceeded(journal: RunJournal, inFlight: Usage): string | undefined {
    const { maxTokens, maxLlmCalls } = this.manifest.orchestrator.policy;
    const usage = journal.builder.current()?.usage;
    if (!usage || (maxTokens === undefined && maxLlmCalls === undefined)) return undefined;
    const tokens = usage.inputTokens + usage.outputTokens + inFlight.inputTokens + inFlight.outputTokens;
    const calls = usage.llmCalls + inFlight.llmCalls;
    if (maxTokens !== undefined && tokens > maxTokens) return `token budget exhausted: ${tokens} tokens used, policy.maxTokens is ${maxTokens}`;
    if (maxLlmCalls !== undefined && calls > maxLlmCalls) return `LLM call budget exhausted: ${calls} calls, policy.maxLlmCalls is ${maxLlmCalls}`;
    return undefined;
  }

  private agent(name: string): Promise<Agent> {
    let p = this.agentCache.get(name);
    if (!p) {
      const code = this.codeAgents.get(name);
      const spec = this.manifest.agents[name];
      if (code) p = Promise.resolve(code);
      else if (spec) p = this.registry.create(spec, this.manifest);
      else p = Promise.reject(new BatonError('AGENT_NOT_FOUND', `no agent named '${name}'`, { retryable: false }));
      p.catch(() => this.agentCache.delete(name));
      this.agentCache.set(name, p);
    }
    return p;
  }

  private integrator(): Promise<Integrator> {
    if (this.options.integrator) return Promise.resolve(this.options.integrator);
    this.integratorPromise ??= loadIntegrator(this.manifest);
    return this.integratorPromise;
  }
}

/** Routes a stop request to the loop once it exists, remembering one that came before. */
class Stopper {
  reason: StopReason | undefined;
  private loop: RunLoop | undefined;

  stop(reason: StopReason): void {
    if (this.reason) return;
    this.reason = reason;
    this.loop?.stop(reason);
  }

  attach(loop: RunLoop): void {
    this.loop = loop;
    if (this.reason) loop.stop(this.reason);
  }
}

/** Two plans give the same work to the same agents (ids aside). */
function samePlanShape(a: Plan, b: Plan): boolean {
  const shape = (p: Plan): string =>
    p.tasks
      .map((t) => `${t.agent}:${[...t.produces].sort().join(',')}`)
      .sort()
      .join('|');
  return shape(a) === shape(b);
}

function abortMessage(signal: AbortSignal | undefined): string {
  const r: unknown = signal?.reason;
  if (r instanceof Error && r.message) return r.message;
  if (typeof r === 'string') return r;
  return 'cancelled by request';
}

function resolveOutDir(option: OrchestratorOptions['outDir'], runId: string): string | undefined {
  if (option === undefined) return undefined;
  return typeof option === 'function' ? option(runId) : option;
}

function displayPath(p: string): string {
  const abs = path.resolve(p);
  const rel = path.relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
}

