import { describe, expect, it } from 'vitest';
import { BatonError } from '../../src/core/errors.ts';
import { dependsTransitively, findCycles, topologicalOrder } from '../../src/planning/plan-graph.ts';
import { task } from './fixtures.ts';

const ids = (tasks: { id: string }[]): string[] => tasks.map((t) => t.id);

describe('topologicalOrder', () => {
  it('puts every task after its dependencies', () => {
    const plan = {
      tasks: [
        task('c', { agent: 'x', produces: ['c'], dependsOn: ['a', 'b'] }),
        task('b', { agent: 'x', produces: ['b'], dependsOn: ['a'] }),
        task('a', { agent: 'x', produces: ['a'] }),
      ],
    };
    expect(ids(topologicalOrder(plan))).toEqual(['a', 'b', 'c']);
  });

  it('keeps plan order among tasks ready at the same time, every time', () => {
    const plan = {
      tasks: [
        task('z', { agent: 'x', produces: ['z'] }),
        task('m', { agent: 'x', produces: ['m'], dependsOn: ['z', 'y'] }),
        task('y', { agent: 'x', produces: ['y'] }),
        task('a', { agent: 'x', produces: ['a'] }),
      ],
    };
    const first = ids(topologicalOrder(plan));
    expect(first).toEqual(['z', 'y', 'm', 'a']);
    for (let i = 0; i < 5; i++) expect(ids(topologicalOrder(plan))).toEqual(first);
  });

  it('ignores dependencies on unknown tasks', () => {
    expect(ids(topologicalOrder({ tasks: [task('a', { agent: 'x', produces: ['a'], dependsOn: ['ghost'] })] }))).toEqual(['a']);
  });

  it('throws PLAN_INVALID naming the cycle', () => {
    const plan = {
      tasks: [
        task('a', { agent: 'x', produces: ['a'], dependsOn: ['c'] }),
        task('b', { agent: 'x', produces: ['b'], dependsOn: ['a'] }),
        task('c', { agent: 'x', produces: ['c'], dependsOn: ['b'] }),
      ],
    };
    let error: unknown;
    try {
      topologicalOrder(plan);
    } catch (e) {
      error = e;
    }
    expect(BatonError.isInstance(error) && error.code).toBe('PLAN_INVALID');
    expect((error as Error).message).toContain('a → c → b → a');
  });
});

describe('findCycles', () => {
  it('reports one cycle per tangle, and a task depending on itself', () => {
    const cycles = findCycles([
      task('a', { agent: 'x', produces: [], dependsOn: ['b'] }),
      task('b', { agent: 'x', produces: [], dependsOn: ['a', 'c'] }),
      task('c', { agent: 'x', produces: [], dependsOn: ['a'] }),
      task('d', { agent: 'x', produces: [], dependsOn: ['d'] }),
      task('e', { agent: 'x', produces: [], dependsOn: ['a'] }),
    ]);
    expect(cycles).toHaveLength(2);
    expect(cycles).toContainEqual(['d', 'd']);
    const tangle = cycles.find((c) => c[0] !== 'd') ?? [];
    expect(tangle[0]).toBe(tangle[tangle.length - 1]);
    expect(new Set(tangle).size).toBeGreaterThanOrEqual(2);
    expect(tangle).not.toContain('e');
  });

  it('finds none in a DAG', () => {
    expect(findCycles([task('a', { agent: 'x', produces: [] }), task('b', { agent: 'x', produces: [], dependsOn: ['a'] })])).toEqual([]);
  });
});

describe('dependsTransitively', () => {
  it('answers direct and indirect dependencies of a DAG, and nothing else', () => {
    const tasks = Array.from({ length: 70 }, (_, i) =>
      task(`t${i}`, { agent: 'x', produces: [], dependsOn: i === 0 ? [] : i === 40 ? ['t5'] : [`t${i - 1}`] }),
    );
    const dependsOn = dependsTransitively(tasks);
    expect(dependsOn('t69', 't0')).toBe(true);
    expect(dependsOn('t69', 't41')).toBe(true);
    expect(dependsOn('t69', 't39')).toBe(false);
    expect(dependsOn('t40', 't5')).toBe(true);
    expect(dependsOn('t0', 't1')).toBe(false);
    expect(dependsOn('t3', 't3')).toBe(false);
    expect(dependsOn('t3', 'ghost')).toBe(false);
  });

  it('answers the same for the tasks it is told will be asked about, and never for the others', () => {
    const tasks = Array.from({ length: 70 }, (_, i) =>
      task(`t${i}`, { agent: 'x', produces: [], dependsOn: i === 0 ? [] : i === 40 ? ['t5'] : [`t${i - 1}`] }),
    );
    const all = dependsTransitively(tasks);
    const asked = ['t0', 't5', 't39', 't41', 't63', 't64', 'ghost'];
    const some = dependsTransitively(tasks, asked);
    for (const a of tasks) for (const b of asked) expect(some(a.id, b)).toBe(all(a.id, b));
    expect(some('t69', 't0')).toBe(true);
    expect(some('t69', 't68')).toBe(false);
    expect(dependsTransitively(tasks, [])('t69', 't0')).toBe(false);
  });

  it('lists, for a task, the tasks asked about that it depends on', () => {
    const tasks = Array.from({ length: 70 }, (_, i) =>
      task(`t${i}`, { agent: 'x', produces: [], dependsOn: i === 0 ? [] : i === 40 ? ['t5'] : [`t${i - 1}`] }),
    );
    const asked = ['t0', 't5', 't39', 't41', 't63', 't64', 'ghost'];
    const some = dependsTransitively(tasks, asked);
    for (const a of tasks) expect(some.among(a.id).sort()).toEqual(asked.filter((b) => some(a.id, b)).sort());
    expect(some.among('t69').sort()).toEqual(['t0', 't41', 't5', 't63', 't64']);
    expect(some.among('ghost')).toEqual([]);
    const cyclic = dependsTransitively([task('a', { agent: 'x', produces: [], dependsOn: ['b'] }), task('b', { agent: 'x', produces: [], dependsOn: ['a'] }), task('c', { agent: 'x', produces: [], dependsOn: ['a'] })], ['b']);
    expect(cyclic.among('c')).toEqual(['b']);
    expect(cyclic('c', 'a')).toBe(false);
  });

  it('still answers for a plan with a cycle', () => {
    const dependsOn = dependsTransitively([
      task('a', { agent: 'x', produces: [], dependsOn: ['b'] }),
      task('b', { agent: 'x', produces: [], dependsOn: ['a'] }),
      task('c', { agent: 'x', produces: [], dependsOn: ['a'] }),
    ]);
    expect(dependsOn('c', 'b')).toBe(true);
    expect(dependsOn('a', 'a')).toBe(true);
    expect(dependsOn('b', 'c')).toBe(false);
  });
});
