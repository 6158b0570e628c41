import { describe, expect, it } from 'vitest';
import { SlotMap } from '../../src/core/slot-map.ts';

describe('SlotMap', () => {
  it('reads, replaces and deletes entries as a Map does, keeping their order', () => {
    const m = new SlotMap<string, { n: number }>();
    const a = { n: 1 };
    m.set('a', a);
    m.set('b', { n: 2 });
    expect(m.size).toBe(2);
    expect(m.get('a')).toBe(a);
    expect(m.has('b')).toBe(true);
    m.set('a', { n: 3 });
    expect(m.get('a')).toEqual({ n: 3 });
    expect([...m.keys()]).toEqual(['a', 'b']);
    expect(m.values()).toEqual([{ n: 3 }, { n: 2 }]);
    expect(m.delete('a')).toBe(true);
    expect(m.delete('a')).toBe(false);
    expect(m.get('a')).toBeUndefined();
    expect(m.has('a')).toBe(false);
    expect(m.size).toBe(1);
    m.set('a', a);
    expect([...m.keys()]).toEqual(['b', 'a']);
  });

  it('moves an entry last with setLast, the most recently used, and adds a new one last', () => {
    const m = new SlotMap<string, number>();
    m.set('a', 1);
    m.set('b', 2);
    m.setLast('a', 3);
    expect([...m.keys()]).toEqual(['b', 'a']);
    expect(m.get('a')).toBe(3);
    m.setLast('c', 4);
    expect([...m.keys()]).toEqual(['b', 'a', 'c']);
    expect(m.values()).toEqual([2, 3, 4]);
    expect(m.entries()).toEqual([
      ['b', 2],
      ['a', 3],
      ['c', 4],
    ]);
    m.delete('a');
    expect(m.entries()).toEqual([
      ['b', 2],
      ['c', 4],
    ]);
    m.clear();
    expect(m.size).toBe(0);
    expect(m.get('b')).toBeUndefined();
    expect(m.entries()).toEqual([]);
  });
});
