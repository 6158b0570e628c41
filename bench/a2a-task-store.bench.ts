/**
 * What the A2A task store of `baton serve` has V8 promote per task: a stream of tasks, each saved
 * three times (submitted, working, completed: what the SDK saves as a task moves) and read twice,
 * ~1 KB of history each, through the default bound of held tasks. The store's Map once kept every
 * version of every task through its old tables: 2,672 B promoted per task, 1,605 since, most of it
 * the held tasks themselves, which live through a minor GC or two at the default bound (25 B with
 * a bound of 100; docs/performance.md, twenty-ninth pass).
 *
 * `node --import tsx bench/a2a-task-store.bench.ts` prints one JSON line: the bytes promoted per
 * task (from a child process that prints each GC, `--trace-gc-nvp`) and µs per task, with the
 * default bound of held tasks (1,000) and with 100.
 */
import { execFileSync } from 'node:child_process';
import { TaskState } from '@a2a-js/sdk';
import type { Task } from '@a2a-js/sdk';
import { textPart } from '../packages/server/src/a2a/a2a-agent.ts';
import { agentMessage, DEFAULT_MAX_HELD_TASKS, RunTaskStore } from '../packages/server/src/a2a/run-tasks.ts';
import { measuredWindow, promotedIn } from './promoted.ts';

const WARM_UP = 20_000;
const TASKS = 50_000;

const TEXT = 'x'.repeat(200);

async function tasks(store: RunTaskStore, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i++) {
    const id = `a2a-t${i}`;
    const contextId = `c${i}`;
    const task: Task = { id, contextId, status: { state: TaskState.TASK_STATE_SUBMITTED, message: undefined, timestamp: undefined }, history: [agentMessage(id, contextId, [textPart(TEXT)])], artifacts: [], metadata: {} };
    await store.save(task);
    task.status = { state: TaskState.TASK_STATE_WORKING, message: undefined, timestamp: undefined };
    task.history.push(agentMessage(id, contextId, [textPart(TEXT)]));
    await store.save(task);
    await store.load(id);
    task.status = { state: TaskState.TASK_STATE_COMPLETED, message: undefined, timestamp: undefined };
    task.history.push(agentMessage(id, contextId, [textPart(TEXT)]));
    await store.save(task);
    await store.load(id);
  }
}

if (process.argv[2] === 'child') {
  // Reads nothing from a journal: every task read here is held.
  const store = new RunTaskStore({ result: () => Promise.resolve(undefined) }, Number(process.argv[3]));
  await tasks(store, 0, WARM_UP);
  process.stdout.write('measuring\n');
  const t0 = performance.now();
  await tasks(store, WARM_UP, TASKS);
  const usPerTask = ((performance.now() - t0) * 1000) / TASKS;
  process.stdout.write(`measured ${usPerTask}\n`);
} else {
  const figures: Record<string, number> = {};
  // The default bound, whose held tasks live through a minor GC or two of their own, and a bound
  // of 100, whose held tasks die young: the floor, what the store promotes of its own.
  for (const held of [DEFAULT_MAX_HELD_TASKS, 100]) {
    const { promotedPerTaskB, usPerTask } = promotedPerTask(held);
    figures[`promotedPerTaskB${held}`] = promotedPerTaskB;
    figures[`usPerTask${held}`] = usPerTask;
  }
  process.stdout.write(`${JSON.stringify({ case: 'a2a-task-store', ...figures })}\n`);
}

function promotedPerTask(held: number): { promotedPerTaskB: number; usPerTask: number } {
  const out = execFileSync(process.execPath, ['--trace-gc-nvp', '--import', 'tsx', import.meta.filename, 'child', String(held)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 });
  const { lines, end } = measuredWindow(out, 'a2a-task-store');
  return { promotedPerTaskB: promotedIn(lines).bytes / TASKS, usPerTask: Number(end.slice('measured '.length)) };
}
