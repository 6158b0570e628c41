import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { defineAgent } from '../../src/agents/define-agent.ts';
import type { RunEvent } from '../../src/core/events.ts';
import { createOrchestrator } from '../../src/create-orchestrator.ts';
import { MemoryRunStore } from '../../src/store/index.ts';
import { scriptedAgent } from '../../src/testing/index.ts';

/** An orchestrator of one task whose agent answers after `delayMs`. */
function oneTask(delayMs = 0) {
  const agent = scriptedAgent({ name: 'maker', produces: ['thing'], script: [{ delayMs, output: { thing: 1 } }] });
  return createOrchestrator({ name: 'listeners', agents: [agent], deliverable: ['thing'] });
}

const typesOf = (events: RunEvent[]): string[] => events.map((e) => e.type);

describe('Orchestrator.on', () => {
  it('tells every listener each event, even when a listener stops listening while the event is told', async () => {
    const o = oneTask();
    const stopsItself = o.on((e) => {
      if (e.type === 'task.started') stopsItself();
    });
    const after: RunEvent[] = [];
    o.on((e) => after.push(e));
    const result = await o.run('make a thing');
    expect(result.status).toBe('succeeded');
    expect(typesOf(after)).toEqual(typesOf(await o.store.readEvents(result.runId)));
    expect(typesOf(after)).toContain('task.started');
  });

  it.each([
    ['of every run', undefined],
    ['of its run', 'r_removed'],
  ])('tells an event to a listener %s that a listener of every run removes meanwhile, and nothing after it', async (_, runId) => {
    const o = oneTask();
    let stopLast: () => void = () => undefined;
    o.on((e) => {
      if (e.type === 'task.started') stopLast();
    });
    const last: RunEvent[] = [];
    stopLast = o.on((e) => last.push(e), runId === undefined ? {} : { runId });
    await o.run('make a thing', runId === undefined ? {} : { runId });
    expect(typesOf(last).at(-1)).toBe('task.started');
    expect(typesOf(last)).toEqual(['run.started', 'plan.created', 'task.started']);
  });

  it('tells the listeners of every run first, then those of the run, then its onEvent, each in the order added', async () => {
    const o = oneTask();
    const order: string[] = [];
    const note = (who: string) => (e: RunEvent) => {
      if (e.type === 'task.started') order.push(who);
    };
    o.on(note('run 1'), { runId: 'r_order' });
    o.on(note('every 1'));
    o.on(note('run 2'), { runId: 'r_order' });
    o.on(note('every 2'));
    await o.run('make a thing', { runId: 'r_order', onEvent: note('own') });
    expect(order).toEqual(['every 1', 'every 2', 'run 1', 'run 2', 'own']);
  });

  it('tells a listener of one run only that run’s events, all of them, in order', async () => {
    const o = oneTask(20);
    const everything: RunEvent[] = [];
    o.on((e) => everything.push(e));
    const first = o.start('first');
    const second = o.start('second');
    const ofFirst: RunEvent[] = [];
    o.on((e) => ofFirst.push(e), { runId: first.runId });
    const [a, b] = await Promise.all([first.result, second.result]);
    expect(a.status).toBe('succeeded');
    expect(b.status).toBe('succeeded');

    expect(ofFirst[0]?.type).toBe('run.started');
    expect(ofFirst.every((e) => e.runId === first.runId)).toBe(true);
    expect(ofFirst).toEqual(everything.filter((e) => e.runId === first.runId && e.seq >= ofFirst[0]!.seq));
    expect(ofFirst.map((e) => e.seq)).toEqual(ofFirst.map((_, i) => ofFirst[0]!.seq + i));
    expect(ofFirst.at(-1)?.type).toBe('run.ended');
    expect(everything.some((e) => e.runId === second.runId)).toBe(true);
  });

  it('tells listeners added while a run goes on, including a run started with its own onEvent', async () => {
    const o = oneTask(30);
    const own: RunEvent[] = [];
    const handle = o.start('make a thing', { onEvent: (e) => own.push(e) });
    const later: RunEvent[] = [];
    const ofRun: RunEvent[] = [];
    await new Promise((r) => setTimeout(r, 5));
    o.on((e) => later.push(e));
    o.on((e) => ofRun.push(e), { runId: handle.runId });
    await handle.result;
    expect(typesOf(later)).toContain('task.succeeded');
    expect(typesOf(later).at(-1)).toBe('run.ended');
    expect(ofRun).toEqual(later);
    expect(own.at(-1)?.type).toBe('run.ended');
  });

  it('removes a listener once, however often its remover is called', async () => {
    const o = oneTask();
    let told = 0;
    const listener = (): void => void told++;
    const stopOne = o.on(listener, { runId: 'r_fixed' });
    const stopOther = o.on(listener, { runId: 'r_fixed' });
    stopOne();
    stopOne();
    const r = await o.run('make a thing', { runId: 'r_fixed' });
    expect(r.status).toBe('succeeded');
    expect(told).toBe((await o.store.readEvents('r_fixed')).length);
    stopOther();
    told = 0;
    await o.run('make a thing', { runId: 'r_fixed_again' });
    const ofAgain = o.on(listener, { runId: 'r_fixed_later' });
    ofAgain();
    await o.run('make a thing', { runId: 'r_fixed_later' });
    expect(told).toBe(0);
  });

  it('lets the listeners of a run go once it has ended, and a later run of the same id has its own', async () => {
    const agent = scriptedAgent({ name: 'maker', produces: ['thing'], script: [{ output: { thing: 1 } }] });
    // A journal that keeps no ended run, so its id can be used again.
    const o = createOrchestrator({ name: 'listeners', agents: [agent], deliverable: ['thing'], store: new MemoryRunStore({ maxFinishedRuns: 0 }) });
    const never: RunEvent[] = [];
    o.on((e) => void never.push(e), { runId: 'r_ended' });
    await o.run('make a thing', { runId: 'r_ended' });
    expect(never.at(-1)?.type).toBe('run.ended');
    const first = never.length;
    await o.run('make a thing again', { runId: 'r_ended' });
    expect(never).toHaveLength(first);

    // The same function, added again for the run that takes the id: the first remover is not its.
    const told: RunEvent[] = [];
    const listener = (e: RunEvent): void => void told.push(e);
    const stopFirst = o.on(listener, { runId: 'r_again' });
    await o.run('make a thing', { runId: 'r_again' });
    const ofFirst = told.length;
    o.on(listener, { runId: 'r_again' });
    stopFirst();
    await o.run('make a thing again', { runId: 'r_again' });
    expect(told.slice(ofFirst)[0]?.type).toBe('run.started');
    expect(told.at(-1)?.type).toBe('run.ended');
  });

  it('says which runs are in progress here', async () => {
    const o = oneTask(20);
    const handle = o.start('make a thing');
    expect(o.isActive(handle.runId)).toBe(true);
    expect(o.isActive('r_unknown')).toBe(false);
    await handle.result;
    expect(o.isActive(handle.runId)).toBe(false);
  });

  it('refuses at once to start a run under the id of one running here, which stays active and cancellable', async () => {
    const o = oneTask(5_000);
    const first = o.start('make a thing', { runId: 'r_twice' });
    let refused: unknown;
    try {
      o.start('make another thing', { runId: 'r_twice' });
    } catch (e) {
      refused = e;
    }
    expect(refused).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('r_twice is already running in this process') });
    expect(o.isActive('r_twice')).toBe(true);
    expect(o.activeRuns()).toEqual(['r_twice']);
    expect(o.cancel('r_twice')).toBe(true);
    expect((await first.result).status).toBe('cancelled');
    expect(o.isActive('r_twice')).toBe(false);
    expect((await o.store.readEvents('r_twice')).filter((e) => e.type === 'run.started')).toHaveLength(1);
  });
});

describe('Orchestrator.on with stored: true', () => {
  it('tells each event once the store holds it, all of them in order, and run.ended whole', async () => {
    const store = new MemoryRunStore();
    // The highest seq the store has accepted, as a listener sees it when told.
    let storedUpTo = 0;
    const append = store.append.bind(store);
    store.append = async (runId, events, options) => {
      await append(runId, events, options);
      storedUpTo = Math.max(storedUpTo, ...events.map((e) => e.seq));
    };
    const create = store.createRunWithEvents.bind(store);
    store.createRunWithEvents = async (record, events) => {
      await create(record, events);
      storedUpTo = Math.max(storedUpTo, ...events.map((e) => e.seq));
    };
    const agent = scriptedAgent({ name: 'maker', produces: ['thing'], script: [{ output: { thing: { big: 'x'.repeat(50) } } }] });
    const o = createOrchestrator({ name: 'listeners', agents: [agent], deliverable: ['thing'], store });
    const stored: RunEvent[] = [];
    const early: number[] = [];
    o.on((e) => {
      if (e.seq > storedUpTo) early.push(e.seq);
      stored.push(e);
    }, { runId: 'r_stored', stored: true });
    const emitted: RunEvent[] = [];
    o.on((e) => emitted.push(e), { runId: 'r_stored' });
    const result = await o.run('make a thing', { runId: 'r_stored' });
    expect(result.status).toBe('succeeded');
    expect(early).toEqual([]);
    expect(stored).toEqual(emitted);
    expect(stored.map((e) => e.seq)).toEqual((await store.readEvents('r_stored')).map((e) => e.seq));
    const end = stored.at(-1);
    expect(end?.type === 'run.ended' && end.deliverable.artifacts['thing']).toEqual({ big: 'x'.repeat(50) });
  });

  it('is never told an event the store refused because another process took the run over', async () => {
    const store = new MemoryRunStore();
    let letAnswer!: () => void;
    const gate = new Promise<void>((resolve) => (letAnswer = resolve));
    let started!: () => void;
    const working = new Promise<void>((resolve) => (started = resolve));
    const agent = defineAgent({
      name: 'maker',
      description: 'makes a thing once let through',
      produces: ['thing'],
      run: async () => {
        started();
        await gate;
        return { thing: 1 };
      },
    });
    const o = createOrchestrator({ name: 'listeners', agents: [agent], deliverable: ['thing'], store });
    const stored: RunEvent[] = [];
    const emitted: RunEvent[] = [];
    o.on((e) => stored.push(e), { stored: true });
    o.on((e) => emitted.push(e));
    const handle = o.start('make a thing');
    await working;
    const held = (await store.ownership(handle.runId))!;
    const gone = { id: `${hostname()}:4194303:gone`, host: hostname(), pid: 4_194_303, startedAt: 0 };
    expect(await store.claim(handle.runId, gone, held.fence)).toBe(held.fence + 1);
    letAnswer();
    await handle.result.catch(() => undefined);
    const journal = await store.readEvents(handle.runId);
    expect(emitted.length).toBeGreaterThan(journal.length);
    expect(stored).toEqual(journal);
  });

  it('is told a batch whose write failed once a later batch is stored, which proves the store took it (a connection lost after its commit)', async () => {
    const store = new MemoryRunStore();
    const append = store.append.bind(store);
    let appends = 0;
    store.append = async (runId, events, options) => {
      await append(runId, events, options);
      if (++appends === 1) throw new Error('connection terminated unexpectedly (after its commit)');
    };
    const agent = scriptedAgent({ name: 'maker', produces: ['thing'], script: [{ delayMs: 20, output: { thing: 1 } }] });
    const o = createOrchestrator({ name: 'listeners', agents: [agent], deliverable: ['thing'], store });
    const stored: number[] = [];
    o.on((e) => stored.push(e.seq), { stored: true });
    await o.run('make a thing', { runId: 'r_unconfirmed' }).catch(() => undefined);
    const journal = (await store.readEvents('r_unconfirmed')).map((e) => e.seq);
    expect(journal.length).toBeGreaterThan(3);
    expect(stored).toEqual(journal);
  });
});
