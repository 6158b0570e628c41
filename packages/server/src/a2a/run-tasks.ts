import { createHash, randomUUID } from 'node:crypto';
import { Role, TaskState } from '@a2a-js/sdk';
import type { Artifact, ListTasksRequest, ListTasksResponse, Message, Part, Task } from '@a2a-js/sdk';
import { InMemoryTaskStore } from '@a2a-js/sdk/server';
import type { ServerCallContext, TaskStore } from '@a2a-js/sdk/server';
import { BatonError, isFinalStatus, SlotMap } from 'batonjs/internal';
import type { FinalRunStatus, RunResult } from 'batonjs/internal';
import { dataOf, dataPart, textPart } from './a2a-agent.ts';

/*
 * Each A2A task of the server is one Baton run, and the run is found from the task id alone: the
 * run of task T is `r_a2a-T`. Nothing but the journal has to survive a restart for a task to be
 * read and answered again; its state is derived from its run.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const RUN_PREFIX = 'r_a2a-';

/** The id of the run of A2A task `taskId` (the SDK names new tasks with UUIDs; anything else is hashed). */
export function runIdOfTask(taskId: string): string {
  return RUN_PREFIX + (UUID.test(taskId) ? taskId : createHash('sha256').update(taskId).digest('hex').slice(0, 32));
}

/**
 * The contextId the server gives a task whose client sent none: derived from the task id, so it
 * is the same after a restart. (A contextId the client chose is known while the task is held in
 * memory; afterwards a message on the task that carries it is taken as the task's.)
 */
export function contextIdOfTask(taskId: string): string {
  const h = createHash('sha256').update(`baton-a2a-context:${taskId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 17), 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** How to answer a task that waits for a decision. */
export const ANSWER =
  'send a message on this task with the DataPart {"approve": true}, or {"approve": false, "reason": "..."} (add "taskId" when several tasks wait; "plan" to approve an edited plan)';

const FINAL_STATE: Record<FinalRunStatus, TaskState> = {
  succeeded: TaskState.TASK_STATE_COMPLETED,
  partial: TaskState.TASK_STATE_COMPLETED,
  failed: TaskState.TASK_STATE_FAILED,
  cancelled: TaskState.TASK_STATE_CANCELED,
};

const TERMINAL = new Set<TaskState>([TaskState.TASK_STATE_COMPLETED, TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_CANCELED, TaskState.TASK_STATE_REJECTED]);

/** True for a task state no message can change. */
export function isTerminalState(state: TaskState | undefined): boolean {
  return state !== undefined && TERMINAL.has(state);
}

/** A status of a task: its state, the parts of its message and the metadata sent with it. */
export interface RunStatusParts {
  state: TaskState;
  parts: Part[];
  metadata: Record<string, unknown>;
}

/** `working`, with a line of progress. */
export function workingStatus(runId: string, text: string): RunStatusParts {
  return { state: TaskState.TASK_STATE_WORKING, parts: [textPart(text)], metadata: { batonRunId: runId } };
}

/** `input-required`: how to answer, and what waits as a DataPart. */
export function waitingStatus(r: RunResult, text: string): RunStatusParts {
  const [first, ...more] = r.awaiting ?? [];
  const approval = first ? { ...first } : undefined;
  return {
    state: TaskState.TASK_STATE_INPUT_REQUIRED,
    parts: [textPart(text), dataPart({ runId: r.runId, status: r.status, approval, ...(more.length > 0 ? { alsoWaiting: more.map((p) => p.taskId ?? p.kind) } : {}) })],
    metadata: { batonRunId: r.runId },
  };
}

/** The final state of an ended run. */
export function finalStatus(r: RunResult): RunStatusParts {
  const text = `run ${r.runId} ${r.status}${r.reason ? `: ${r.reason}` : ''}`;
  return { state: FINAL_STATE[isFinalStatus(r.status) ? r.status : 'failed'], parts: [textPart(text)], metadata: { batonRunId: r.runId } };
}

function dataArtifact(name: string, description: string, value: unknown): Artifact {
  return { artifactId: name, name, description, parts: [dataPart(value)], metadata: undefined, extensions: [] };
}

/** The artifacts of an ended run: `deliverable` (keyed by artifact type; none when cancelled) and `run`. */
export function finalArtifacts(r: RunResult): Artifact[] {
  const summary = { runId: r.runId, status: r.status, ...(r.reason ? { reason: r.reason } : {}), files: r.deliverable.files, missing: r.deliverable.missing ?? [], approvals: r.approvals };
  const artifacts = [dataArtifact('run', 'the Baton run: id, status, files, decisions', summary)];
  if (r.status !== 'cancelled') artifacts.unshift(dataArtifact('deliverable', 'the deliverable artifacts, keyed by artifact type', r.deliverable.artifacts));
  return artifacts;
}

/** A message of the agent on a task. */
export function agentMessage(taskId: string, contextId: string, parts: Part[]): Message {
  return { messageId: randomUUID(), contextId, taskId, role: Role.ROLE_AGENT, parts, metadata: {}, extensions: [], referenceTaskIds: [] };
}

/** The task of a run as its journal tells it (no history but the status message). */
export function taskFromRun(taskId: string, contextId: string, r: RunResult): Task {
  const ended = isFinalStatus(r.status);
  const s = ended ? finalStatus(r) : r.awaiting?.length ? waitingStatus(r, `run ${r.runId} waits for a decision: ${ANSWER}`) : workingStatus(r.runId, `run ${r.runId} is running`);
  const message = agentMessage(taskId, contextId, s.parts);
  const timestamp = (ended ? r.endedAt : r.awaiting?.[0]?.requestedAt) ?? new Date().toISOString();
  return { id: taskId, contextId, status: { state: s.state, message, timestamp }, artifacts: ended ? finalArtifacts(r) : [], history: [message], metadata: { ...s.metadata } };
}

/** Two statuses say the same: same state, same data (what waits). */
function sameStatus(a: Task, b: Task): boolean {
  return a.status?.state === b.status?.state && JSON.stringify(dataOf(a.status?.message?.parts)) === JSON.stringify(dataOf(b.status?.message?.parts));
}

/** What the store needs of the runs: their results. */
export interface RunReader {
  result(runId: string): Promise<RunResult | undefined>;
}

/** The run's result so far; undefined when the journal has no such run (a store may say so by throwing). */
export async function readRun(runs: RunReader, runId: string): Promise<RunResult | undefined> {
  try {
    return await runs.result(runId);
  } catch (e) {
    if (BatonError.isInstance(e) && e.code === 'RUN_NOT_FOUND') return undefined;
    throw e;
  }
}

/** How many tasks the store holds in memory by default. */
export const DEFAULT_MAX_HELD_TASKS = 1000;

/** How long a task stays "followed" after the executor stops, while the SDK saves what it sent. */
const FOLLOW_GRACE_MS = 1_000;

/**
 * The A2A task store of `baton serve`: the most recent tasks (at most `maxHeld`, the least
 * recently used dropped first, never one an executor is following) are held in memory with their
 * history; any other task of a run still in the journal is derived from the run when asked for,
 * so tasks outlive a restart and memory stays bounded. A held task that waits for a decision,
 * while nobody follows it here, is checked against its run: a decision taken elsewhere (HTTP, the
 * CLI, another process) shows. Tenants and users are not told apart (the server has one token),
 * and `list` lists the held tasks only.
 */
export class RunTaskStore implements TaskStore {
  /**
   * The held tasks, the most recently used last. Rewritten on every save and load: a plain Map's
   * old tables had every version of every task promoted to the old generation (see SlotMap;
   * `npm run bench`'s a2a-task-store: 2,672 B promoted per task, 1,605 with slots, most of it the
   * held tasks themselves).
   */
  private readonly held = new SlotMap<string, Task>();
  private readonly followers = new Map<string, number>();

  constructor(
    private readonly runs: RunReader,
    readonly maxHeld = DEFAULT_MAX_HELD_TASKS,
  ) {
    if (!Number.isInteger(maxHeld) || maxHeld < 1) throw new RangeError(`maxHeld must be a positive integer, got ${maxHeld}`);
  }

  /** How many tasks are held in memory. */
  get size(): number {
    return this.held.size;
  }

  /**
   * Marks a task as followed by an executor, which sends its states itself: it is neither dropped
   * nor checked against its run until the returned function is called (and a short grace after,
   * while the SDK still saves the last events sent).
   */
  follow(taskId: string): () => void {
    this.followers.set(taskId, (this.followers.get(taskId) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      setTimeout(() => {
        const n = (this.followers.get(taskId) ?? 1) - 1;
        if (n > 0) this.followers.set(taskId, n);
        else this.followers.delete(taskId);
      }, FOLLOW_GRACE_MS).unref();
    };
  }

  /** True while an executor follows the task. */
  followed(taskId: string): boolean {
    return this.followers.has(taskId);
  }

  async load(taskId: string, _context?: ServerCallContext): Promise<Task | undefined> {
    const held = this.held.get(taskId);
    if (held) this.remember(held);
    if (held && (held.status?.state !== TaskState.TASK_STATE_INPUT_REQUIRED || this.followed(taskId))) return structuredClone(held);
    const r = await readRun(this.runs, runIdOfTask(taskId));
    if (!r) return held && structuredClone(held);
    const derived = taskFromRun(taskId, held?.contextId || contextIdOfTask(taskId), r);
    if (!held) return derived;
    if (sameStatus(held, derived)) return structuredClone(held);
    // The run moved on while nobody here followed the task: its state is the run's.
    const moved: Task = { ...structuredClone(held), status: derived.status, history: [...held.history, ...derived.history] };
    if (derived.artifacts.length > 0) moved.artifacts = derived.artifacts;
    // Held again unless a save came while the run was read (a newer version, not overwritten); a
    // task dropped meanwhile is held again with its history, as before the read.
    const now = this.held.get(taskId);
    if (isTerminalState(derived.status?.state) && (now === held || now === undefined)) this.remember(moved);
    return structuredClone(moved);
  }

  async save(task: Task, _context?: ServerCallContext): Promise<void> {
    this.remember(structuredClone(task));
  }

  /** The held tasks, filtered and paged as the SDK's InMemoryTaskStore does. */
  async list(params: ListTasksRequest, context: ServerCallContext): Promise<ListTasksResponse> {
    const view = new InMemoryTaskStore();
    for (const task of this.held.values()) await view.save(task, context);
    return view.list(params, context);
  }

  /**
   * A message on a task not held here (the process restarted, or the task was dropped) names the
   * task's contextId, which the journal does not keep: the task takes it, so the SDK does not
   * refuse the message for a contextId other than the derived one.
   */
  async adoptContext(taskId: string, contextId: string): Promise<void> {
    if (!contextId || this.held.has(taskId)) return;
    const task = await this.load(taskId);
    // Saved while the run was read: the saved task is newer, and keeps its own contextId.
    if (!task || this.held.has(taskId) || task.contextId === contextId || isTerminalState(task.status?.state)) return;
    task.contextId = contextId;
    if (task.status?.message) task.status.message.contextId = contextId;
    for (const m of task.history) if (m.role === Role.ROLE_AGENT) m.contextId = contextId;
    this.remember(task);
  }

  /** Holds a task as the most recently used; drops the least recently used beyond the bound. */
  private remember(task: Task): void {
    this.held.setLast(task.id, task);
    if (this.held.size <= this.maxHeld) return;
    for (const id of this.held.keys()) {
      if (this.held.size <= this.maxHeld) break;
      if (id !== task.id && !this.followed(id)) this.held.delete(id);
    }
  }
}
