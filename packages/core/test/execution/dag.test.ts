import { describe, expect, it } from 'vitest';
import type { PlanTask } from '../../src/core/types.ts';
import { DagState } from '../../src/execution/dag.ts';

const task = (id: string, dependsOn: string[] = []): PlanTask => ({ id, title: id, instructions: '', agent: 'a', dependsOn, consumes: [], produces: [id] });

describe('DagState', () => {
  it('releases a join only when every branch has succeeded', () => {
    const dag = new DagState([task('plan'), task('b1', ['plan']), task('b2', ['plan']), task('join', ['b1', 'b2'])]);
    expect(dag.takeReady()).toBe('plan');
    expect(dag.takeReady()).toBeUndefined();
    expect(dag.succeed('plan')).toBe(2);
    expect([dag.takeReady(), dag.takeReady()]).toEqual(['b1', 'b2']);
    expect(dag.succeed('b1')).toBe(0);
    expect(dag.succeed('b2')).toBe(1);
    expect(dag.takeReady()).toBe('join');
    expect(dag.isDone()).toBe(false);
    dag.succeed('join');
    expect(dag.isDone()).toBe(true);
  });

  it('works out the links of a plan made afresh on every run from that plan, not from another of its size and ends', () => {
    const chain = (): PlanTask[] => [task('a'), task('b', ['a']), task('c', ['b']), task('d', ['c'])];
    // The same content in new objects three times: the links are worked out once, then reused.
    for (let i = 0; i < 3; i++) {
      const dag = new DagState(chain());
      expect(dag.takeReady()).toBe('a');
      expect(dag.succeed('a')).toBe(1);
    }
    // Same size, same first and last ids, other links: b and c no longer wait for a.
    const fan = new DagState([task('a'), task('b'), task('c'), task('d', ['a', 'b', 'c'])]);
    expect([fan.takeReady(), fan.takeReady(), fan.takeReady(), fan.takeReady()]).toEqual(['a', 'b', 'c', undefined]);
    expect(fan.succeed('a')).toBe(0);
    expect(fan.succeed('b')).toBe(0);
    expect(fan.succeed('c')).toBe(1);
    expect(fan.takeReady()).toBe('d');
  });

  it('skips everything downstream of a failure and lets independent branches go on', () => {
    const dag = new DagState([task('a'), task('b', ['a']), task('c', ['b']), task('x'), task('y', ['x'])]);
    dag.takeReady();
    dag.takeReady();
    expect(dag.fail('a').sort()).toEqual(['b', 'c']);
    expect(dag.stateOf('c')).toBe('skipped');
    expect(dag.succeed('x')).toBe(1);
    expect(dag.takeReady()).toBe('y');
    dag.succeed('y');
    expect(dag.isDone()).toBe(true);
  });

  it('restores finished tasks on resume so only the rest become ready', () => {
    const dag = new DagState([task('a'), task('b', ['a']), task('c', ['b'])]);
    dag.restore('a', 'succeeded');
    expect(dag.takeReady()).toBe('b');
    expect(dag.unfinished().sort()).toEqual(['b', 'c']);
  });

  it('rejects a dependency on an unknown task', () => {
    expect(() => new DagState([task('a', ['ghost'])])).toThrow(/unknown task ghost/);
  });

  it('keeps the state of each run apart when runs share one plan object', () => {
    const tasks = [task('a'), task('b', ['a'])];
    const runs = [new DagState(tasks), new DagState(tasks), new DagState(tasks)];
    expect(runs[0]!.takeReady()).toBe('a');
    runs[0]!.succeed('a');
    expect(runs[1]!.stateOf('a')).toBe('ready');
    expect(runs[2]!.takeReady()).toBe('a');
    expect(runs[2]!.fail('a')).toEqual(['b']);
    expect(runs[0]!.takeReady()).toBe('b');
  });

  it('follows a plan object changed after earlier runs used it', () => {
    const tasks = [task('a'), task('b'), task('c', ['a'])];
    for (let i = 0; i < 3; i++) new DagState(tasks);
    tasks[2]!.dependsOn.push('b');
    const dag = new DagState(tasks);
    expect([dag.takeReady(), dag.takeReady(), dag.takeReady()]).toEqual(['a', 'b', undefined]);
    expect(dag.succeed('a')).toBe(0);
    expect(dag.succeed('b')).toBe(1);
  });

  it('rejects a task id used twice', () => {
    expect(() => new DagState([task('a'), task('a')])).toThrow(/task a appears twice/);
  });
});

