import { EVENT_SCHEMA_VERSION } from './events.ts';
import type { RunEvent } from './events.ts';
import type { AgentOutput, Provenance, Usage } from './types.ts';

/*
 * Why objects a journal keeps are made by `new`, not by literals: V8 watches whether the objects
 * made at each literal site outlive its minor GCs. A journal that keeps finished runs (the memory
 * store keeps the last 1,000) keeps every event, so once it is full the sites of the events turn
 * "tenured": V8 allocates their objects in old space from then on and deoptimises, all at once,
 * every function that makes them (the scheduler's begin and settle, planRun, deliver, the start of
 * a run, createRun). Those then run unoptimised again for a thousand runs or more. An object made
 * by `new` has no allocation site. The constructors below make plain objects (their prototype is
 * Object.prototype, their keys own and enumerable, in the order the literals had), so no reader,
 * deep equality or JSON can tell them from literals.
 */

type TaskStarted = Extract<RunEvent, { type: 'task.started' }>;
type TaskSucceeded = Extract<RunEvent, { type: 'task.succeeded' }>;

// The stamps (runId, seq, at, v) have their slots in the object itself: see RunJournal.emit.
function TaskStartedEvent(this: TaskStarted, taskId: string, agent: string, agentVersion: string, attempt: number, attemptId: string, feedback: string | undefined, runId: string): void {
  this.type = 'task.started';
  this.taskId = taskId;
  this.agent = agent;
  this.agentVersion = agentVersion;
  this.attempt = attempt;
  this.attemptId = attemptId;
  if (feedback !== undefined) this.feedback = feedback;
  this.runId = runId;
  this.seq = 0;
  this.at = '';
  this.v = EVENT_SCHEMA_VERSION;
}
TaskStartedEvent.prototype = Object.prototype;

function TaskSucceededEvent(this: TaskSucceeded, taskId: string, agent: string, attempt: number, attemptId: string, output: AgentOutput, usage: Usage | undefined, runId: string): void {
  this.type = 'task.succeeded';
  this.taskId = taskId;
  this.agent = agent;
  this.attempt = attempt;
  this.attemptId = attemptId;
  this.output = output;
  if (usage !== undefined) this.usage = usage;
  this.runId = runId;
  this.seq = 0;
  this.at = '';
  this.v = EVENT_SCHEMA_VERSION;
}
TaskSucceededEvent.prototype = Object.prototype;

function KeptObject(): void {}
KeptObject.prototype = Object.prototype;

function ProvenanceRecord(this: Provenance, task: string, agent: string, agentVersion: string, attempt: number, attemptId: string, at: string): void {
  this.task = task;
  this.agent = agent;
  this.agentVersion = agentVersion;
  this.attempt = attempt;
  this.attemptId = attemptId;
  this.at = at;
}
ProvenanceRecord.prototype = Object.prototype;

type Made<A extends unknown[], T> = new (...args: A) => T;

/** A `task.started` event, its stamps still to be written by the journal. */
export function taskStarted(taskId: string, agent: string, agentVersion: string, attempt: number, attemptId: string, feedback: string | undefined, runId: string): TaskStarted {
  return new (TaskStartedEvent as unknown as Made<Parameters<typeof TaskStartedEvent>, TaskStarted>)(taskId, agent, agentVersion, attempt, attemptId, feedback, runId);
}

/** A `task.succeeded` event, its stamps still to be written by the journal. */
export function taskSucceeded(taskId: string, agent: string, attempt: number, attemptId: string, output: AgentOutput, usage: Usage | undefined, runId: string): TaskSucceeded {
  return new (TaskSucceededEvent as unknown as Made<Parameters<typeof TaskSucceededEvent>, TaskSucceeded>)(taskId, agent, attempt, attemptId, output, usage, runId);
}

/** The provenance of an artifact: a delivered one is kept in its run's `run.ended`. */
export function provenance(task: string, agent: string, agentVersion: string, attempt: number, attemptId: string, at: string): Provenance {
  return new (ProvenanceRecord as unknown as Made<Parameters<typeof ProvenanceRecord>, Provenance>)(task, agent, agentVersion, attempt, attemptId, at);
}

/**
 * A shallow copy of `literal` made by `new` (see above), for an object a journal keeps that is
 * made once per run: the literal itself dies young, so its site is never tenured.
 */
export function kept<T extends object>(literal: T): T {
  // Assigning a `__proto__` key (a deliverable an integrator parsed from JSON) would set the copy's
  // prototype instead of copying the key: such an object is kept as it is.
  if (Object.hasOwn(literal, '__proto__')) return literal;
  return Object.assign(new (KeptObject as unknown as Made<[], T>)(), literal);
}
