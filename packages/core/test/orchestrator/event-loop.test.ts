import { describe, expect, it } from 'vitest';
import { defineAgent } from '../../src/agents/define-agent.ts';
import type { Agent } from '../../src/core/contracts.ts';
import type { RunEvent } from '../../src/core/events.ts';
import type { Plan } from '../../src/core/types.ts';
import { createOrchestrator } from '../../src/create-orchestrator.ts';
import { LARGE_PLAN_TASKS } from '../../src/execution/run-driver.ts';
import { RUN_STARTS_PER_TURN } from '../../src/execution/turn-budget.ts';
import { MemoryRunStore } from '../../src/store/index.ts';

const spin = (ms: number): void => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

/**
 * A chain of `n` in-process steps, each computing for `ms` and answering in a microtask: a run of
 * it never gives the event loop a turn of its own.
 */
function busyChain(n: number, ms: number): { agents: Agent[]; plan: Plan } {
  const agents: Agent[] = [];
  const tasks: Plan['tasks'] = [];
  for (let i = 0; i < n; i++) {
    const consumes = i === 0 ? [] : [`c${i - 1}`];
    agents.push(
      defineAgent({
        name: `s${i}`,
        description: `step ${i}`,
        consumes,
        produces: [`c${i}`],
        run: async () => {
          spin(ms);
          return { [`c${i}`]: i };
        },
      }),
    );
    tasks.push({ id: `s${i}`, title: `step ${i}`, instructions: '', agent: `s${i}`, dependsOn: i === 0 ? [] : [`s${i - 1}`], consumes, produces: [`c${i}`] });
  }
  return { agents, plan: { tasks, requested: [`c${n - 1}`] } };
}

describe('a run of in-process agents that never leave the event loop', () => {
  it('stops at its run timeout', async () => {
    const { agents, plan } = busyChain(300, 1);
    // 300 steps of 1 ms each take 300 ms or more, however loaded the machine.
    const result = await createOrchestrator({ name: 'busy', agents, policy: { runTimeoutMs: 150 } }).run('count', { plan });
    expect(result.status).toBe('failed');
    expect(result.reason).toMatch(/run timed out after 150 ms/);
    expect(result.tasks.filter((t) => t.status === 'succeeded').length).toBeLessThan(300);
  });

  it('is journaled while it runs, and a cancel from a timer reaches it', async () => {
    const { agents, plan } = busyChain(300, 1);
    const store = new MemoryRunStore();
    const handle = createOrchestrator({ name: 'busy', agents, store }).start('count', { plan });
    let ended = false;
    void handle.result.then(() => (ended = true));
    // A timer that looks at the journal every 10 ms and cancels once a task is there: it reaches
    // the run only if the run gives the event loop turns (a fixed delay failed on a loaded machine,
    // whose first turn came before the first task had ended).
    const midway = await new Promise<{ endedThen: boolean; journaled: number }>((resolve, reject) => {
      const look = (): void => {
        const endedThen = ended;
        store.readEvents(handle.runId).then((events) => {
          const journaled = events.filter((e) => e.type === 'task.succeeded').length;
          if (journaled === 0 && !endedThen) return void setTimeout(look, 10);
          handle.cancel('stopped by a timer');
          resolve({ endedThen, journaled });
        }, reject);
      };
      setTimeout(look, 10);
    });
    const result = await handle.result;
    expect(midway.endedThen).toBe(false);
    expect(midway.journaled).toBeGreaterThan(0);
    expect(result.status).toBe('cancelled');
    expect(result.reason).toBe('stopped by a timer');
    expect(result.tasks.filter((t) => t.status === 'succeeded').length).toBeLessThan(300);
    expect((await store.readEvents(handle.runId)).at(-1)?.type).toBe('run.ended');
  });

  it('begins a burst of runs a turn at a time: each run ends before most of the others begin', async () => {
    const { agents, plan } = busyChain(5, 0);
    const o = createOrchestrator({ name: 'burst', agents });
    const runs = 1000;
    let inFlight = 0;
    let most = 0;
    const began: string[] = [];
    const onEvent = (e: RunEvent): void => {
      if (e.type === 'run.started') {
        began.push(e.runId);
        most = Math.max(most, ++inFlight);
      } else if (e.type === 'run.ended') {
        inFlight--;
      }
    };
    const handles = Array.from({ length: runs }, () => o.start('count', { plan, onEvent }));
    const results = await Promise.all(handles.map((h) => h.result));
    expect(results.every((r) => r.status === 'succeeded')).toBe(true);
    expect(began).toEqual(handles.map((h) => h.runId));
    // A run spans a few turns (its journal writes once per turn), so a few turns' starts overlap;
    // begun all at once, every run was in flight before the first ended.
    expect(most).toBeGreaterThanOrEqual(RUN_STARTS_PER_TURN);
    expect(most).toBeLessThan(runs / 2);
  });

  it('ends a run cancelled before its turn to begin came, and journals it', async () => {
    const { agents, plan } = busyChain(3, 0);
    const store = new MemoryRunStore();
    const o = createOrchestrator({ name: 'burst', agents, store });
    const handles = Array.from({ length: RUN_STARTS_PER_TURN + 10 }, () => o.start('count', { plan }));
    const last = handles.at(-1)!;
    expect(await store.getRun(last.runId)).toBeUndefined();
    last.cancel('not wanted');
    const results = await Promise.all(handles.map((h) => h.result));
    expect(results.slice(0, -1).every((r) => r.status === 'succeeded')).toBe(true);
    expect(results.at(-1)!.status).toBe('cancelled');
    expect(results.at(-1)!.reason).toBe('not wanted');
    expect((await store.readEvents(last.runId)).at(-1)?.type).toBe('run.ended');
  });
});

/** `n` independent in-process steps. */
function wide(n: number): { agents: Agent[]; plan: Plan } {
  const agents = [defineAgent({ name: 'step', description: 'a step', produces: ['out'], run: async () => ({ out: 1 }) })];
  const tasks: Plan['tasks'] = Array.from({ length: n }, (_, i) => ({ id: `t${i}`, title: `step ${i}`, instructions: '', agent: 'step', dependsOn: [], consumes: [], produces: ['out'] }));
  return { agents, plan: { tasks, requested: [] } };
}

describe('the start of a run of a large plan', () => {
  /** Whether a callback set for the next turn when the plan is journaled runs before the first task starts. */
  async function aTurnBeforeTheFirstTask(n: number, given: boolean): Promise<boolean> {
    const { agents, plan } = wide(n);
    const o = createOrchestrator({ name: 'wide', agents, planner: { name: 'fixed', plan: async () => ({ plan, planner: 'fixed' }) } });
    let turned = false;
    let before: boolean | undefined;
    const onEvent = (e: RunEvent): void => {
      if (e.type === 'plan.created') setImmediate(() => (turned = true));
      if (e.type === 'task.started' && before === undefined) before = turned;
    };
    const result = await o.run('do them all', given ? { plan, onEvent } : { onEvent });
    expect(result.status).toBe('succeeded');
    expect(result.tasks).toHaveLength(n);
    return before!;
  }

  it(`gives the event loop turns between its steps from ${LARGE_PLAN_TASKS} tasks on, planned or given`, async () => {
    expect(await aTurnBeforeTheFirstTask(LARGE_PLAN_TASKS, false)).toBe(true);
    expect(await aTurnBeforeTheFirstTask(LARGE_PLAN_TASKS, true)).toBe(true);
  });

  it('starts a smaller plan within the turn it was journaled in', async () => {
    expect(await aTurnBeforeTheFirstTask(LARGE_PLAN_TASKS - 1, false)).toBe(false);
  });
});
