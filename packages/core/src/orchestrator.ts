import { hostname } from 'node:os';
import { AgentPool, closeAgents } from './agents/agent-pool.ts';
import { VersionGate } from './agents/version-gate.ts';
import { AgentRegistry } from './agents/registry.ts';
import type { Agent, DecisionRequest, Integrator, Planner, RunOwner, RunStore } from './core/contracts.ts';
import { BatonError, errorMessage } from './core/errors.ts';
import type { RunEvent, RunEventBody } from './core/events.ts';
import { newRunId } from './core/ids.ts';
import { isFinalStatus } from './core/types.ts';
import type { ApprovalDecision, Manifest, RunResult } from './core/types.ts';
import { kept } from './core/kept-objects.ts';
import { RunJournal, nowIso } from './execution/journal.ts';
import { RunEventListeners } from './execution/event-listeners.ts';
import type { EventListener, ListenOptions } from './execution/event-listeners.ts';
import { END_NOT_JOURNALED, ownerInfo, ownerGone, leaseMs, PROCESS_OWNER, START_NOT_CONFIRMED } from './execution/owner-identity.ts';
import { OwnerSession } from './execution/owner-session.ts';
import type { HeldRun } from './execution/owner-session.ts';
import { RunControl } from './execution/run-control.ts';
import { UnjournaledEnds } from './execution/unjournaled-ends.ts';
import { driveRun, notResumable } from './execution/run-driver.ts';
import type { RunJob, RunServices } from './execution/run-driver.ts';
import { endUnstartedRun } from './execution/unstarted-run.ts';
import { loadIntegrator } from './integration/load-integrator.ts';
import { snapshotOf } from './manifest/snapshot.ts';
import { DecisionDesk } from './orchestrator-decisions.ts';
import { checkOrchestratorOptions } from './orchestrator-options-check.ts';
import type { AwaitedDecision, CancelRequest, CloseOptions, DecisionOutcome, OrchestratorOptions, ResumeOptions, RunHandle, RunOptions } from './orchestrator-options.ts';
import { BuiltinPlanner } from './planning/builtin-planner.ts';
import { fixedPlanFor } from './planning/run-plan.ts';
import { assertValidPlan } from './planning/validate-plan.ts';
import { MemoryRunStore } from './store/memory-store.ts';
import { isJournalUnavailable } from './store/journal-rules.ts';
import type { NewRunRecord } from './store/journal-rules.ts';
import { supportsOwnership } from './store/ownership.ts';
import { resolveParams } from './validation/params.ts';
import { runAdmission } from './execution/turn-budget.ts';
import { SlotMap } from './core/slot-map.ts';
import { within } from './core/within.ts';

export type { AwaitedDecision, CancelRequest, CloseOptions, DecisionOutcome, OrchestratorOptions, ResumeOptions, RunHandle, RunOptions } from './orchestrator-options.ts';
export type { ListenOptions } from './execution/event-listeners.ts';

const HOST = hostname();

/**
 * The orchestrator: plans a goal into a DAG of tasks, routes each to a sub-agent, validates
 * every output, heals failures, integrates the outputs and journals every step. It calls no
 * tools itself; sub-agents execute. Each run is owned by this process in the journal (when the
 * journal records ownership), so another process can take it over if this one dies.
 */
export class Orchestrator {
  readonly manifest: Manifest;
  readonly store: RunStore;
  private readonly planner: Planner;
  private readonly registry: AgentRegistry;
  private readonly codeAgents: readonly Agent[];
  private readonly pools = new Map<string, { pool: AgentPool; gate: VersionGate }>();
  private readonly listeners = new RunEventListeners();
  private readonly active = new SlotMap<string, RunHandle>();
  private readonly controls = new SlotMap<string, RunControl>();
  private readonly desk: DecisionDesk;
  /** See {@link endedUnjournaled}. */
  private readonly endsNotJournaled = new UnjournaledEnds();
  /** Set by {@link close}: nothing starts or resumes here after it. */
  private closing: Promise<void> | undefined;
  /** What every run is driven with: the same for all of them (made once, not per run). */
  private runServices: RunServices | undefined;

  constructor(private readonly options: OrchestratorOptions) {
    checkOrchestratorOptions(options);
    this.manifest = options.manifest;
    this.store = options.store ?? new MemoryRunStore();
    this.planner = options.planner ?? new BuiltinPlanner();
    this.registry = options.registry ?? new AgentRegistry();
    this.codeAgents = options.agents ?? [];
    this.desk = new DecisionDesk({
      store: this.store,
      resume: (runId, options) => this.resume(runId, options),
      detach: (runId) => this.controls.get(runId)?.stop({ kind: 'detached', message: 'left waiting for a decision' }),
      manifestOf: (started, useCurrent) => this.manifestOf(started, useCurrent).manifest,
      versionRefusal: (plan, manifest) => this.agentsOf(manifest).gate.refusal(plan),
      waitsForSweepHere: (runId, owner) => this.waitsForSweepHere(runId, owner),
    });
  }

  /**
   * Listens to the events of every run this orchestrator journals, or with `runId` to those of
   * that run only (found by its id: other runs' events cost such a listener nothing, so follow one
   * run this way rather than filtering every run's events). Listeners of every run are told
   * first, then the run's, each in the order they were added; one that stops listening while an
   * event is told takes nothing from the others. A listener of one run is let go once the run has
   * ended (`run.ended`). Returns the function that stops listening.
   *
   * A listener is told of each event at once, as the run emits it, before the store has it. With
   * `stored: true` it is told of each event only once the journal holds it, in seq order: never of
   * an event the store refused because another process took the run over (that process carries
   * the run on, from the last event stored, under the same seqs). Follow a run that way for what
   * a client may compare with the journal or resume from by seq; a listener of stored events costs
   * runs nobody listens to that way nothing.
   *
   * @example
   * const stop = orchestrator.on((e) => console.log(e.type), { runId });
   * const stopStored = orchestrator.on((e) => send(e.seq, e), { runId, stored: true });
   */
  on(listener: EventListener, options: ListenOptions = {}): () => void {
    return this.listeners.add(listener, options);
  }

  /** Plans a goal without running anything. */
  async plan(goal: string, options: { signal?: AbortSignal } = {}): Promise<{ plan: RunResult['plan']; planner: RunResult['planner']; reason?: string }> {
    const outcome = await this.planner.plan(goal, this.manifest, options.signal ? { signal: options.signal } : {});
    assertValidPlan(outcome.plan, this.manifest);
    return outcome.reason === undefined
      ? { plan: outcome.plan, planner: outcome.planner }
      : { plan: outcome.plan, planner: outcome.planner, reason: outcome.reason };
  }

  /**
   * Loads ahead of the first run what runs need, so that the first starts as fast as the next (a
   * server's first report of the sample: ~2.3-2.8 s, the next ~1.1-1.2 s): the integrator, and
   * each of `agents` (default: the manifest's `orchestrator.subagents`) and of their fallbacks
   * built, its version read and checked against its pin. Each is also started as a plan's agents
   * are (a module agent's worker thread has loaded its module; a command agent's launcher process
   * starts), but for one that is another agent's fallback, which is only built, as before a run.
   * Refuses nothing: resolves with the agents it loaded and what could not load, a line each (an
   * integrator that fails to import, an agent that cannot be built or cannot tell its version, one
   * outside its pin, anything not ready within {@link WARM_BOUND_MS}, which goes on loading); a
   * run that needs it fails as it would have. Under `--redis` the agents run in `baton worker`s:
   * here they are only what dispatches to them. `baton serve --warm` calls it before it listens.
   * `signal` ends the wait (what was loading goes on; it is not told as a problem).
   * @throws BatonError `BAD_REQUEST` once {@link close} was called.
   *
   * @example
   * const { problems } = await orchestrator.warm();
   * for (const problem of problems) console.warn(problem);
   */
  async warm(agents: readonly string[] = this.manifest.orchestrator.subagents, options: { signal?: AbortSignal } = {}): Promise<{ agents: string[]; problems: string[] }> {
    const { signal } = options;
    this.refuseWhenClosed();
    const { manifest } = this;
    const unknown = agents.filter((name) => manifest.agents[name] === undefined).map((name) => `no agent '${name}' in the manifest`);
    const named = agents.filter((name) => manifest.agents[name] !== undefined);
    const loaded = [...new Set([...named, ...named.flatMap((name) => manifest.agents[name]!.fallback)])];
    const fallbacks = new Set(Object.values(manifest.agents).flatMap((a) => a.fallback));
    const started = new Set(loaded.filter((name) => !fallbacks.has(name)));
    const [integration, problems] = await Promise.all([
      within(this.integratorOf(manifest), WARM_BOUND_MS, signal),
      this.agentsOf(manifest).gate.prepare(loaded, started, WARM_BOUND_MS, signal),
    ]);
    if (signal?.aborted) return { agents: loaded, problems: unknown };
    const integrator =
      'value' in integration ? [] : integration.problem === 'failed' ? [errorMessage(integration.error)] : [`orchestrator.integrator: not loaded within ${WARM_BOUND_MS / 1000} s (it goes on loading)`];
    return { agents: loaded, problems: [...unknown, ...integrator, ...problems] };
  }

  /** Runs a goal to its end. */
  run(goal: string, options: RunOptions = {}): Promise<RunResult> {
    return this.start(goal, options).result;
  }

  /**
   * Starts a goal and returns at once with a handle.
   *
   * @throws BatonError `BAD_REQUEST` at once, before anything is journaled, when the parameters do
   * not fit the manifest's `orchestrator.params`, the workflow is unknown or the plan given fails
   * validation (the message names each field or task and what was expected).
   */
  start(goal: string, options: RunOptions = {}): RunHandle {
    this.refuseWhenClosed();
    const params = resolveParams(this.manifest, options.params);
    const fixed = fixedPlanFor(this.manifest, options);
    if (fixed && !goal.trim()) goal = fixed.goal;
    const runId = options.runId ?? newRunId();
    // Its journal would refuse the id anyway, but only after this start had taken the running run's place here.
    if (this.active.has(runId)) {
      throw new BatonError('BAD_REQUEST', `run ${runId} is already running in this process: give another runId, or none for a new one`, { runId, retryable: false });
    }
    return this.track(runId, options, async (control) => {
      const owned = supportsOwnership(this.store);
      control.releasable = owned;
      const admission = runAdmission();
      if (admission) await admission;
      const snapshot = snapshotOf(this.manifest);
      const outDir = options.outDir ?? resolveOutDir(this.options.outDir, runId);
      const record: NewRunRecord = { runId, goal, createdAt: nowIso() };
      if (this.manifest.file) record.manifestFile = this.manifest.file;
      if (owned) record.owner = PROCESS_OWNER;
      const journal = this.journal(runId, options, control, owned ? 1 : undefined, 0);
      const start: RunEventBody[] = [
        kept({
          type: 'run.started',
          goal,
          orchestrator: this.manifest.orchestrator.name,
          ...(this.manifest.file ? { manifestFile: this.manifest.file } : {}),
          // Where the run lives, so a cancel can reach its process and a resume its files.
          options: kept({ ...(outDir ? { outDir } : {}), pid: process.pid, host: HOST, owner: PROCESS_OWNER.id }),
          manifest: snapshot,
          params,
          ...(options.autoApprove ? { autoApprove: options.autoApprove } : {}),
        }),
      ];
      // In the same write: a run with a fixed plan is never journaled without it.
      if (fixed) start.push(kept({ type: 'plan.created', plan: fixed.plan, planner: fixed.planner, reason: fixed.reason }));
      try {
        await journal.begin(record, start);
      } catch (e) {
        // Perhaps stored all the same (an answer that did not come in time): its caller was told it
        // failed, so it is ended, not run, once the journal answers.
        if (isJournalUnavailable(e) && supportsOwnership(this.store)) this.endsNotJournaled.ended(runId, { kind: 'cancelled', message: START_NOT_CONFIRMED });
        throw e;
      }
      return this.drive({ runId, goal, params, manifest: this.manifest, journal, control, outDir, ...(options.autoApprove ? { autoApprove: options.autoApprove } : {}) }, owned ? 1 : undefined, options);
    });
  }

  /**
   * Carries on a run whose process stopped, from its journal, under the manifest it was started
   * with (unless `useCurrentManifest`). Tasks that succeeded are not run again. Refuses a run that
   * has ended, or whose owner is still alive elsewhere.
   */
  async resume(runId: string, options: ResumeOptions = {}): Promise<RunHandle> {
    try {
      return await this.resumeRun(runId, options);
    } catch (e) {
      // Ended, deleted, or another process's: nothing of it is left for this process to carry on.
      if (BatonError.isInstance(e) && (e.code === 'RUN_NOT_RESUMABLE' || e.code === 'RUN_NOT_FOUND') && !this.active.has(runId)) this.endsNotJournaled.forget(runId);
      throw e;
    }
  }

  private async resumeRun(runId: string, options: ResumeOptions): Promise<RunHandle> {
    this.refuseWhenClosed();
    if (this.active.has(runId)) throw notResumable(runId, 'it is running in this process');
    const events = await this.store.readEvents(runId);
    const started = events.find((e): e is Extract<RunEvent, { type: 'run.started' }> => e.type === 'run.started');
    if (!started) return this.endUnstarted(runId, events, options);
    const last = events[events.length - 1];
    if (last?.type === 'run.ended') throw notResumable(runId, `it already ended ${last.status}`);
    const { fence, reason, cancelRequested } = await this.takeOver(runId);
    // Asked twice at once: a journal without ownership has no claim to refuse the second. (A claim
    // made is this process's to drive: what else is active under the id is a start the journal refuses.)
    if (fence === undefined && this.active.has(runId)) throw notResumable(runId, 'it is running in this process');
    // Checked with no await between it and track(), so a close() that begins meanwhile sees this run.
    if (this.closing) await this.giveBackAndRefuse(runId, fence);
    const { manifest, note } = this.manifestOf(started, options.useCurrentManifest === true);
    const outDir = options.outDir ?? (typeof started.options?.['outDir'] === 'string' ? started.options['outDir'] : undefined);
    const handle = this.track(runId, options, async (control) => {
      const journal = this.journal(runId, options, control, fence, 0);
      journal.replay(events);
      const interrupted = (journal.builder.current()?.tasks ?? []).flatMap((t) => t.attempts.filter((a) => !a.status).map((a) => a.attemptId));
      const why = [reason, note].filter(Boolean).join('; ');
      journal.emit({ type: 'run.resumed', interruptedAttempts: interrupted, owner: ownerInfo(PROCESS_OWNER), ...(why ? { reason: why } : {}) });
      const autoApprove = options.autoApprove ?? started.autoApprove;
      return this.drive({ runId, goal: started.goal, params: started.params ?? {}, manifest, journal, control, outDir, journaled: events, ...(autoApprove ? { autoApprove } : {}) }, fence, options);
    });
    if (note) handle.note = note;
    // A cancel asked of the process that held it, which stopped before it read the request.
    if (cancelRequested !== undefined) handle.cancel(cancelRequested);
    // Stopped here before (cancelled, timed out, its start never confirmed), with that end not journaled: it ends so again, its work not run.
    const stoppedHere = reason === END_NOT_JOURNALED ? this.endsNotJournaled.stopOf(runId) : undefined;
    if (stoppedHere) this.controls.get(runId)?.stop(stoppedHere);
    return handle;
  }

  /** Claims a run whose owner is gone, where the journal records ownership; refuses one whose owner is alive. */
  private async takeOver(runId: string): Promise<{ fence?: number | undefined; reason?: string | undefined; owner?: RunOwner | undefined; cancelRequested?: string | undefined }> {
    if (!supportsOwnership(this.store)) return {};
    const ownership = await this.store.ownership(runId);
    if (!ownership || isFinalStatus(ownership.status)) throw notResumable(runId, `it is ${ownership?.status ?? 'gone'}`);
    const gone = ownerGone(ownership, leaseMs()) ?? (ownership.owner && this.waitsForSweepHere(runId, ownership.owner) ? END_NOT_JOURNALED : undefined);
    if (!gone && ownership.owner) throw notResumable(runId, `it is running in process ${ownership.owner.pid} on ${ownership.owner.host} (last heartbeat ${Math.round((ownership.heartbeatAgeMs ?? 0) / 1000)} s ago); cancel it with \`baton runs cancel ${runId}\` or wait for it`);
    const fence = await this.store.claim(runId, PROCESS_OWNER, ownership.fence);
    if (fence === undefined) throw notResumable(runId, 'another process took it over just now');
    return { fence, reason: gone, owner: ownership.owner, cancelRequested: ownership.cancelRequested };
  }

  /** Takes over a run registered without its start and ends it (see {@link endUnstartedRun}). */
  private async endUnstarted(runId: string, journaled: readonly RunEvent[], options: ResumeOptions): Promise<RunHandle> {
    const record = await this.store.getRun(runId);
    if (!record) throw new BatonError('RUN_NOT_FOUND', `no run ${runId} in this journal`, { runId, retryable: false });
    if (isFinalStatus(record.status)) throw notResumable(runId, `it already ended ${record.status}`);
    const { fence, reason, owner } = await this.takeOver(runId);
    if (fence === undefined && this.active.has(runId)) throw notResumable(runId, 'it is running in this process');
    if (this.closing) await this.giveBackAndRefuse(runId, fence);
    return this.track(runId, options, async (control) => {
      const journal = this.journal(runId, options, control, fence, journaled.at(-1)?.seq ?? 0);
      try {
        return await endUnstartedRun({
          record,
          journal,
          startedBy: owner,
          takenBy: PROCESS_OWNER,
          why: reason,
          manifest: this.manifest,
          control,
          integrator: () => (this.runServices ??= this.services()).integrator(this.manifest),
        });
      } catch (e) {
        if (journal.unreachable && supportsOwnership(this.store)) this.endsNotJournaled.ended(runId, control.stopped());
        throw e;
      }
    });
  }

  /**
   * Decides on a run that waits for a decision (DESIGN section 9), wherever it is held: here at
   * once; in another live process through a request left in the journal (see `awaitDecision`);
   * when nobody holds it (its process is gone, or it was left waiting), by taking the run over
   * here, journaling the decision and carrying it on (`options` apply to that).
   * @throws BatonError `NOT_AWAITING_APPROVAL` when nothing, or not what it names, waits (409 / exit 64),
   * or the decision came after its deadline (`policy.approvalTimeoutMs`; a run nobody held is ended
   * here as the deadline ends it); `BAD_REQUEST` for an edited plan that would not run (the run keeps
   * waiting); `RUN_NOT_FOUND`.
   */
  decide(runId: string, decision: ApprovalDecision, options: ResumeOptions = {}): Promise<DecisionOutcome> {
    return this.desk.decide(runId, decision, options);
  }

  /**
   * Waits until a decision left for another process (`decide` answered `requested`) is journaled.
   * When that process goes away first, the run is taken over here and carried on with it.
   * @throws BatonError `NOT_AWAITING_APPROVAL` when it was not taken (something was decided meanwhile).
   */
  awaitDecision(runId: string, requestId: string, options: ResumeOptions & { timeoutMs?: number } = {}): Promise<AwaitedDecision> {
    return this.desk.awaitDecision(runId, requestId, options);
  }

  /**
   * Cancels a run wherever it runs: here at once; in another live process by a request it reads
   * within about a second; when its process is gone, by taking the run over and ending it.
   */
  async requestCancel(runId: string, reason = 'cancelled by request'): Promise<CancelRequest> {
    if (this.cancel(runId, reason)) return { kind: 'cancelling' };
    const record = await this.store.getRun(runId);
    if (!record) return { kind: 'not-found' };
    if (isFinalStatus(record.status)) return { kind: 'ended', status: record.status };
    if (!supportsOwnership(this.store)) return { kind: 'ended', status: record.status };
    const ownership = await this.store.ownership(runId);
    const waitsHere = ownership?.owner !== undefined && this.waitsForSweepHere(runId, ownership.owner);
    if (ownership?.owner && !ownerGone(ownership, leaseMs()) && !waitsHere) {
      await this.store.requestCancel(runId, reason);
      return { kind: 'requested', owner: `process ${ownership.owner.pid} on ${ownership.owner.host}` };
    }
    // Ended here unjournaled, waiting for the sweep (perhaps for minutes, after a journal that kept
    // refusing its writes): ended cancelled now, its work not run; the sweep does so if this fails.
    if (waitsHere) this.endsNotJournaled.stopped(runId, { kind: 'cancelled', message: reason });
    let handle: RunHandle;
    try {
      handle = await this.resume(runId, { useCurrentManifest: false });
    } catch (e) {
      if (waitsHere && BatonError.isInstance(e) && e.code === 'RUN_NOT_RESUMABLE') {
        if (this.cancel(runId, reason)) return { kind: 'cancelling' };
        // Claimed meanwhile: by this process's sweep (which ends it as the stop above says), or by
        // another process (a lease passed): the request left in the journal reaches either.
        await this.store.requestCancel(runId, reason);
        return { kind: 'cancelling' };
      }
      throw e;
    }
    handle.cancel(reason);
    return { kind: 'cancelled', result: await handle.result };
  }

  /**
   * Whether this process owns the run in the journal only because it ended here with its end not
   * journaled, and holds nothing of it now: the run waits for the takeover sweep, not for this
   * process to read requests.
   */
  private waitsForSweepHere(runId: string, owner: RunOwner): boolean {
    return owner.id === PROCESS_OWNER.id && this.endsNotJournaled.has(runId) && !this.active.has(runId);
  }

  /**
   * Lets go of a run held here that only waits for decisions (no attempt in flight): nothing more
   * is journaled here and its ownership is released, so a decision or another process carries it
   * on. False when the run is not held here or has work in flight. `baton serve` does this on
   * shutdown instead of cancelling such runs.
   */
  letGo(runId: string): boolean {
    const approvals = this.desk.approvalsOf(runId);
    const control = this.controls.get(runId);
    if (!approvals || !control || approvals.pending().length === 0 || !control.idle()) return false;
    control.stop({ kind: 'detached', message: 'let go while it waits for a decision' });
    return true;
  }

  /**
   * Hands a run held here over to another process, as if this one had stopped: what the run
   * reported using so far is journaled, then nothing more of it is (its attempts in flight are
   * aborted and stay unfinished in the journal, so the next owner marks them interrupted and runs
   * them again; a run still starting is journaled as started and no further), and its ownership is
   * released once its attempts have ended (each ends at its abort; a command agent's processes are
   * killed; an agent or integrator that ignores its signal may still be at work). Its result
   * settles with the run as the journal holds it (status `running`, or `awaiting-approval`).
   * Decisions and cancels asked for from then on are left in the journal for the next owner.
   * The journal marks it as handed over by this process, so another process's takeover sweep
   * (`baton serve`) carries it on at once, as does `resume`; this process's own sweeper leaves it
   * alone until BATON_LEASE_MS (15 s) has passed since its last write. False when the run is not
   * held here, is already stopping, or its journal records no ownership.
   */
  handOver(runId: string): boolean {
    const control = this.controls.get(runId);
    if (!control?.releasable || control.stopped()) return false;
    // Decisions from now on go through the journal, where the next owner finds them.
    this.desk.released(runId);
    control.stop({ kind: 'released', message: 'handed over to another process: this one is closing' });
    return true;
  }

  /** Cancels a run started by this orchestrator; false if it is not running here. */
  cancel(runId: string, reason = 'cancelled by request'): boolean {
    const h = this.active.get(runId);
    // A run let go or handed over is no longer this process's to end (`requestCancel` reaches it).
    if (!h || this.controls.get(runId)?.leftHere()) return false;
    h.cancel(reason);
    return true;
  }

  /** The runs in progress in this process. */
  activeRuns(): string[] {
    return [...this.active.keys()];
  }

  /**
   * The runs that ended in this process without their end journaled: a journal write of theirs
   * failed because the journal could not be reached (`JOURNAL_UNAVAILABLE`; their results rejected),
   * so the journal still shows them unfinished, owned by this live process. {@link resume} takes
   * such a run over here as it would a run whose owner is gone; the takeover sweep of `baton serve`
   * (TakeoverSweeper) does so once the journal answers again. A run stopped here (cancelled, timed
   * out, over budget, or its start never confirmed to its caller) is ended so when carried on, its
   * work not run again; one that ends unjournaled again is listed only after a doubling wait (10 s
   * to 10 min). A run is forgotten once its end is journaled, or found ended, deleted or owned by
   * another process. With `all`, also those waiting out that wait (a cancel or decision left for
   * one by another process is taken at once). Internal: for the sweep.
   */
  endedUnjournaled(which: 'due' | 'all' = 'due'): string[] {
    return which === 'due' ? this.endsNotJournaled.due() : this.endsNotJournaled.all().filter((runId) => !this.active.has(runId));
  }

  /** Whether the run `runId` is in progress in this process (without listing every run, as {@link activeRuns} does). */
  isActive(runId: string): boolean {
    return this.active.has(runId);
  }

  /** The agents defined in code that this orchestrator can build (a run needing others cannot be carried on here). */
  codeAgentNames(): string[] {
    return this.codeAgents.map((a) => a.spec.name);
  }

  /**
   * Closes the orchestrator: from then on no run starts or resumes here (`BAD_REQUEST`; a resume
   * that had already claimed its run gives the claim back). The runs in flight here are ended
   * first: a run that only waits for a decision is let go (see {@link letGo}; a decision or another
   * process carries it on), unless its journal is a memory one closed here, where nothing could;
   * the others are cancelled ("the orchestrator is closing") and their ends journaled, or, with
   * `runs: 'release'`, handed over to another process (see {@link handOver}; a rolling deploy).
   * That takes at most {@link RUNS_CLOSE_MS}: a run still going then (its journal's writes hang)
   * is left as it is. Then the agents are closed, and the store unless `closeStore` is false. An
   * agent whose `close()` fails, or takes over 10 s, is left behind: the other agents and the
   * store are closed, then this rejects naming it. Await your runs' results before closing to let
   * them finish. Later calls return the first call's promise.
   *
   * @param options `false` (or `{ closeStore: false }`) leaves the store open.
   */
  close(options: boolean | CloseOptions = true): Promise<void> {
    const { closeStore = true, runs = 'cancel' } = typeof options === 'boolean' ? { closeStore: options } : options;
    this.closing ??= this.closeOnce(closeStore, runs);
    return this.closing;
  }

  private async closeOnce(closeStore: boolean, runs: 'cancel' | 'release'): Promise<void> {
    const handOver = !(closeStore && this.store instanceof MemoryRunStore);
    const release = handOver && runs === 'release';
    const inFlight = this.active.values();
    for (const h of inFlight) if (!(handOver && this.letGo(h.runId)) && !(release && this.handOver(h.runId))) h.cancel('the orchestrator is closing');
    if (inFlight.length > 0) await within(Promise.allSettled(inFlight.map((h) => h.result)), RUNS_CLOSE_MS);
    // Each agent once: the pools of several manifest snapshots share the agents given in code.
    const agents = (await Promise.all([...this.pools.values()].map(({ pool }) => pool.builtAgents()))).flat();
    const closing = await closeAgents(agents).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (closeStore) await this.store.close();
    if (closing !== undefined) throw closing;
  }

  private refuseWhenClosed(): void {
    if (this.closing) throw closedError();
  }

  /** A resume that claimed its run while {@link close} began gives the claim back (another process carries the run on) and is refused. */
  private async giveBackAndRefuse(runId: string, fence: number | undefined): Promise<never> {
    // Nothing of the run was journaled under this claim: the next process may take it at once.
    if (fence !== undefined && supportsOwnership(this.store)) await this.store.release(runId, PROCESS_OWNER.id, fence, { handedOver: true }).catch(() => undefined);
    throw closedError();
  }

  private track(runId: string, options: RunOptions, body: (control: RunControl) => Promise<RunResult>): RunHandle {
    const control = new RunControl();
    const { signal } = options;
    // Made only for a run given a signal: most runs are not.
    const onAbort = signal ? (): void => control.stop({ kind: 'cancelled', message: abortMessage(signal) }) : undefined;
    if (signal && onAbort) {
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
    const handle: RunHandle = {
      runId,
      result: body(control).finally(() => {
        if (signal && onAbort) signal.removeEventListener('abort', onAbort);
        if (this.active.get(runId) === handle) this.active.delete(runId);
        if (this.controls.get(runId) === control) this.controls.delete(runId);
      }),
      cancel: (reason = 'cancelled by request') => control.stop({ kind: 'cancelled', message: reason }),
    };
    this.active.set(runId, handle);
    this.controls.set(runId, control);
    return handle;
  }

  private journal(runId: string, options: RunOptions, control: RunControl, fence: number | undefined, startSeq: number): RunJournal {
    const journal = new RunJournal(runId, this.store, this.listeners, startSeq, { fence, onFenced: control, onEvent: options.onEvent });
    control.writesTo(journal);
    return journal;
  }

  private async drive(job: RunJob, fence: number | undefined, options: RunOptions): Promise<RunResult> {
    const { control, runId } = job;
    const session = fence === undefined ? undefined : OwnerSession.of(this.store);
    const held = session ? new HeldHere(runId, control, this.desk) : undefined;
    if (session && held) session.hold(runId, fence!, held);
    control.releasable = fence !== undefined;
    if (options.detachWhenWaiting) job.onBlocked = () => control.stop({ kind: 'detached', message: 'left waiting for a decision' });
    try {
      const result = await driveRun(job, (this.runServices ??= this.services()));
      this.endsNotJournaled.forget(runId);
      return result;
    } catch (e) {
      // Its end was not journaled: the journal could not be reached.
      if (job.journal.unreachable && supportsOwnership(this.store)) this.endsNotJournaled.ended(runId, control.stopped());
      throw e;
    } finally {
      this.desk.released(runId);
      if (session && held) session.letGo(runId, held);
      // A run let go while it waits, or handed over, is left with no owner: whoever decides, or
      // another process's takeover sweep, carries it on (a run handed over at once: it has work
      // to do, and nothing of it is journaled here any more).
      if (control.leftHere() && fence !== undefined && supportsOwnership(this.store)) {
        await this.store.release(runId, PROCESS_OWNER.id, fence, { handedOver: control.stopped()?.kind === 'released' }).catch(() => undefined);
      }
    }
  }

  private services(): RunServices {
    return {
      planner: this.planner,
      holding: (runId, approvals) => this.desk.holding(runId, approvals),
      agent: (name, manifest) => this.agentsOf(manifest).gate.agent(name),
      readyAgent: (name, manifest) => this.agentsOf(manifest).gate.ready(name),
      versionOf: (name, manifest) => this.agentsOf(manifest).gate.versionOf(name) ?? manifest.agents[name]?.version ?? '0.0.0',
      versionRefusal: (plan, manifest) => this.agentsOf(manifest).gate.refusal(plan),
      versionsCleared: (plan, manifest) => this.agentsOf(manifest).gate.passes(plan),
      integrator: (manifest) => this.integratorOf(manifest),
      ...(this.options.limiter ? { limiter: this.options.limiter } : {}),
      ...(this.options.extraChecks ? { extraChecks: this.options.extraChecks } : {}),
    };
  }

  /** The run's manifest: as journaled when it started, unless asked for the current one. */
  private manifestOf(started: Extract<RunEvent, { type: 'run.started' }>, useCurrent: boolean): { manifest: Manifest; note?: string } {
    const journaled = started.manifest;
    const current = snapshotOf(this.manifest);
    if (!journaled) return { manifest: this.manifest, note: 'the run was journaled before manifests were; continuing under the current manifest' };
    if (journaled.digest === current.digest) return { manifest: this.manifest };
    if (useCurrent) return { manifest: this.manifest, note: `continuing under the current manifest (${current.digest.slice(0, 12)}), not the one the run started with (${journaled.digest.slice(0, 12)}), as asked` };
    return {
      manifest: journaled.manifest,
      note: `the manifest changed since the run started (${journaled.digest.slice(0, 12)} then, ${current.digest.slice(0, 12)} now); continuing under the journaled one (--use-current-manifest to use the new one)`,
    };
  }

  /** The agents of one manifest (a resumed run may live under an older one), behind its version pins. */
  private agentsOf(manifest: Manifest): { pool: AgentPool; gate: VersionGate } {
    const digest = snapshotOf(manifest).digest;
    let agents = this.pools.get(digest);
    if (!agents) {
      const pool = new AgentPool(this.registry, this.codeAgents);
      agents = { pool, gate: new VersionGate(manifest, (name) => pool.get(name, manifest), (name) => pool.peek(name)) };
      this.pools.set(digest, agents);
    }
    return agents;
  }

  private integratorOf(manifest: Manifest): Promise<Integrator> {
    return this.options.integrator ? Promise.resolve(this.options.integrator) : loadIntegrator(manifest);
  }
}

/**
 * A run this process holds, as its owner session tells it of what other processes asked: one
 * object per run, where two closures over the same values were made.
 */
class HeldHere implements HeldRun {
  constructor(
    private readonly runId: string,
    private readonly control: RunControl,
    private readonly desk: DecisionDesk,
  ) {}

  onCancel(reason: string): void {
    this.control.stop({ kind: 'cancelled', message: reason });
  }

  onDecision(request: DecisionRequest): Promise<void> {
    return this.desk.applyRequest(this.runId, request);
  }
}

function closedError(): BatonError {
  return new BatonError('BAD_REQUEST', 'this orchestrator is closed (its close() was called): make a new one to start or carry on runs', { retryable: false });
}

/** How long {@link Orchestrator.warm} waits for the integrator, and for each agent, before it tells it is not ready. */
export const WARM_BOUND_MS = 30_000;

/** How long {@link Orchestrator.close} waits for the runs it cancelled to journal their ends. */
export const RUNS_CLOSE_MS = 10_000;

function abortMessage(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  if (r instanceof Error && r.message) return r.message;
  if (typeof r === 'string') return r;
  return 'cancelled by request';
}

function resolveOutDir(option: OrchestratorOptions['outDir'], runId: string): string | undefined {
  if (option === undefined) return undefined;
  return typeof option === 'function' ? option(runId) : option;
}
