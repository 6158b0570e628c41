import { emptyUsage } from './types.ts';
import type { AttemptRecord, IntegrationRecord, RunResult, TaskResult } from './types.ts';

/*
 * Why the records of a RunResult are made by `new`, not by literals: the fields a record gains
 * after it is made (an attempt's status and end, a task's output, a run's integration and end,
 * the integration's end) do not fit in an object literal, which V8 sizes to the literal's own
 * keys, so each record that gained one had a property array of its own (40 B; 22 per W1 run, a
 * sixth of a result its caller holds). An object made by `new` is given room for the fields its
 * first instances gained before V8 settled its size ("slack tracking", over the first seven
 * made): the records made when this module loads below gain the usual ones, since a plan's tasks
 * are all made before any has an output. They are still plain objects: their prototype is
 * Object.prototype and their keys own, enumerable and in the literals' order.
 */

function AttemptRecordObject(this: AttemptRecord, n: number, attemptId: string, agent: string, agentVersion: string, startedAt: string): void {
  this.n = n;
  this.attemptId = attemptId;
  this.agent = agent;
  this.agentVersion = agentVersion;
  this.startedAt = startedAt;
}
AttemptRecordObject.prototype = Object.prototype;

function TaskResultObject(this: TaskResult, id: string, agent: string): void {
  this.id = id;
  this.agent = agent;
  this.status = 'pending';
  this.attempts = [];
}
TaskResultObject.prototype = Object.prototype;

function RunResultObject(this: RunResult, runId: string, goal: string, params: Record<string, unknown>, startedAt: string): void {
  this.runId = runId;
  this.goal = goal;
  this.status = 'running';
  this.planner = 'builtin';
  this.params = params;
  this.plan = { tasks: [] };
  this.tasks = [];
  this.deliverable = { artifacts: {}, files: [], provenance: {} };
  this.usage = emptyUsage();
  this.startedAt = startedAt;
  this.approvals = [];
}
RunResultObject.prototype = Object.prototype;

function IntegrationRecordObject(this: IntegrationRecord, integrator: string, startedAt: string): void {
  this.integrator = integrator;
  this.startedAt = startedAt;
}
IntegrationRecordObject.prototype = Object.prototype;

type Made<A extends unknown[], T> = new (...args: A) => T;

/** The record of an attempt as it starts. */
export function startedAttempt(n: number, attemptId: string, agent: string, agentVersion: string, startedAt: string): AttemptRecord {
  return new (AttemptRecordObject as unknown as Made<Parameters<typeof AttemptRecordObject>, AttemptRecord>)(n, attemptId, agent, agentVersion, startedAt);
}

/** The record of a task not started yet. */
export function pendingTask(id: string, agent: string): TaskResult {
  return new (TaskResultObject as unknown as Made<Parameters<typeof TaskResultObject>, TaskResult>)(id, agent);
}

/** A run's result as its `run.started` makes it. */
export function startedRun(runId: string, goal: string, params: Record<string, unknown>, startedAt: string): RunResult {
  return new (RunResultObject as unknown as Made<Parameters<typeof RunResultObject>, RunResult>)(runId, goal, params, startedAt);
}

/** The record of a run's integration as it starts. */
export function startedIntegration(integrator: string, startedAt: string): IntegrationRecord {
  return new (IntegrationRecordObject as unknown as Made<Parameters<typeof IntegrationRecordObject>, IntegrationRecord>)(integrator, startedAt);
}

// The fields records usually gain, gained once by the first record of each kind (see above).
{
  const attempt = startedAttempt(0, '', '', '', '');
  attempt.status = 'succeeded';
  attempt.endedAt = '';
  pendingTask('', '').output = {};
  const run = startedRun('', '', {}, '');
  const integration = startedIntegration('', '');
  integration.endedAt = '';
  integration.ok = true;
  integration.durationMs = 0;
  run.integration = integration;
  run.endedAt = '';
}
