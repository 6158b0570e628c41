/**
 * A Map of entries that come and go, for a structure that lives as long as its process: the runs
 * in flight, their controls and approvals, the memory journal's runs, the A2A tasks held, the
 * attempts a dispatcher awaits and a worker runs, the calls to an agent's thread or to the
 * launcher of command agents. V8 keeps a rewritten Map's old tables, and everything they held,
 * through minor GCs once one of them is in the old generation: a plain Map of runs in flight had
 * every run it ever held promoted, its result and journal with it (5.5-8.1 KB per W1 run with 100
 * runs in flight; docs/performance.md, twenty-ninth pass). Here each value sits in a slot of its
 * own, refilled when the value is replaced and emptied when the entry is deleted, so an old table
 * holds empty slots.
 */
export class SlotMap<K, V> {
  private readonly slots = new Map<K, { value: V | undefined }>();

  get size(): number {
    return this.slots.size;
  }

  get(key: K): V | undefined {
    return this.slots.get(key)?.value;
  }

  has(key: K): boolean {
    return this.slots.has(key);
  }

  /** Sets the value, where the key already is or, for a new key, last (as a Map does). */
  set(key: K, value: V): void {
    const slot = this.slots.get(key);
    if (slot) slot.value = value;
    else this.slots.set(key, { value });
  }

  /** Sets the value and moves its key last: the most recently used, for a bound that drops the least. */
  setLast(key: K, value: V): void {
    const slot = this.slots.get(key) ?? { value };
    this.slots.delete(key);
    slot.value = value;
    this.slots.set(key, slot);
  }

  /** Empties the entry's slot, then deletes it. */
  delete(key: K): boolean {
    const slot = this.slots.get(key);
    if (!slot) return false;
    slot.value = undefined;
    return this.slots.delete(key);
  }

  /** Empties every slot, then deletes every entry. */
  clear(): void {
    for (const slot of this.slots.values()) slot.value = undefined;
    this.slots.clear();
  }

  keys(): IterableIterator<K> {
    return this.slots.keys();
  }

  /** The entries, in insertion order. */
  entries(): [K, V][] {
    const out: [K, V][] = [];
    for (const [key, slot] of this.slots) out.push([key, slot.value!]);
    return out;
  }

  /** The values, in insertion order. */
  values(): V[] {
    const out: V[] = [];
    for (const slot of this.slots.values()) out.push(slot.value!);
    return out;
  }
}
