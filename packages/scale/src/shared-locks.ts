/**
 * The BullMQ locks a worker holds, in memory shared with its heartbeat thread, which extends them
 * on every beat. Writing a lock here wakes no thread: a message per job start and per job end
 * did (~20-25 µs of the main thread each, three quarters of what the worker added to a no-op job),
 * while the thread only needs the locks once a beat. Writes are synchronous, so a job whose agent
 * blocks the event loop right after it starts still has its lock extended.
 *
 * Layout: two header ints (slots, slot bytes), then per slot three ints (sequence, key bytes, total
 * bytes), then the slots' bytes (lock key then token, UTF-8). A slot whose total is 0 is free. The
 * writer makes the sequence odd while it changes a slot; the reader skips a slot whose sequence is
 * odd or changed while it copied it, and finds it again at the next beat. Whatever a reader could
 * still misread is harmless: the thread extends a lock only while Redis holds the same token.
 */
export class SharedLocks {
  readonly buffer: SharedArrayBuffer;
  private readonly ints: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly free: number[] = [];
  private readonly held = new Map<string, { slot: number; token: string }>();

  /**
   * @param slots - locks held at once without falling back to messages (the worker's concurrency).
   * @param slotBytes - room for one lock key and its token; a longer pair falls back to a message.
   */
  constructor(
    readonly slots: number,
    readonly slotBytes = 512,
  ) {
    if (!Number.isInteger(slots) || slots < 1 || !Number.isInteger(slotBytes) || slotBytes < 8) {
      throw new RangeError(`SharedLocks needs integer slots >= 1 and slotBytes >= 8, got ${slots} and ${slotBytes}`);
    }
    this.buffer = new SharedArrayBuffer(HEADER_INTS * 4 + slots * SLOT_INTS * 4 + slots * slotBytes);
    this.ints = new Int32Array(this.buffer, 0, HEADER_INTS + slots * SLOT_INTS);
    this.bytes = new Uint8Array(this.buffer, (HEADER_INTS + slots * SLOT_INTS) * 4);
    this.ints[0] = slots;
    this.ints[1] = slotBytes;
    for (let slot = slots - 1; slot >= 0; slot--) this.free.push(slot);
  }

  /** Writes a lock (in place of the key's earlier token, if any); false when no slot is free or the pair does not fit one (send it otherwise). */
  hold(lockKey: string, token: string): boolean {
    const earlier = this.held.get(lockKey);
    if (earlier) this.release(lockKey, earlier.token);
    const slot = this.free.pop();
    if (slot === undefined) return false;
    const at = HEADER_INTS + slot * SLOT_INTS;
    const room = this.bytes.subarray(slot * this.slotBytes, (slot + 1) * this.slotBytes);
    Atomics.add(this.ints, at, 1);
    const key = encoder.encodeInto(lockKey, room);
    const value = encoder.encodeInto(token, room.subarray(key.written));
    const fits = key.read === lockKey.length && value.read === token.length;
    if (fits) {
      Atomics.store(this.ints, at + 1, key.written);
      Atomics.store(this.ints, at + 2, key.written + value.written);
    }
    Atomics.add(this.ints, at, 1);
    if (!fits) {
      this.free.push(slot);
      return false;
    }
    this.held.set(lockKey, { slot, token });
    return true;
  }

  /**
   * Frees the slot of a lock held with `token`; false when there is none. A job taken again by
   * this worker has the same key and a new token: the first run's release must not end the second's.
   */
  release(lockKey: string, token: string): boolean {
    const lock = this.held.get(lockKey);
    if (lock?.token !== token) return false;
    this.held.delete(lockKey);
    const { slot } = lock;
    const at = HEADER_INTS + slot * SLOT_INTS;
    Atomics.add(this.ints, at, 1);
    Atomics.store(this.ints, at + 2, 0);
    Atomics.add(this.ints, at, 1);
    this.free.push(slot);
    return true;
  }

  /** Locks held in slots now. */
  get size(): number {
    return this.held.size;
  }
}

const HEADER_INTS = 2;
const SLOT_INTS = 3;
const encoder = new TextEncoder();

/**
 * The reader, as source: the heartbeat thread's code is evaluated from a string, and the tests
 * evaluate the same text. `readSharedLocks(buffer, into)` adds every lock held in `buffer` to the
 * map `into` (lock key → token).
 */
export const READ_SHARED_LOCKS = `function readSharedLocks(buffer, into) {
  const header = new Int32Array(buffer, 0, ${HEADER_INTS});
  const slots = header[0];
  const slotBytes = header[1];
  const ints = new Int32Array(buffer, 0, ${HEADER_INTS} + slots * ${SLOT_INTS});
  const bytes = new Uint8Array(buffer, (${HEADER_INTS} + slots * ${SLOT_INTS}) * 4);
  const decoder = new TextDecoder();
  for (let slot = 0; slot < slots; slot++) {
    const at = ${HEADER_INTS} + slot * ${SLOT_INTS};
    const sequence = Atomics.load(ints, at);
    // The bit, not % 2: the sequence wraps to negative numbers after 2^31 changes.
    if ((sequence & 1) !== 0) continue;
    const keyBytes = Atomics.load(ints, at + 1);
    const total = Atomics.load(ints, at + 2);
    if (total === 0 || total > slotBytes || keyBytes > total) continue;
    // A copy, checked once made: the slot may change under a decode.
    const copy = bytes.slice(slot * slotBytes, slot * slotBytes + total);
    // A read-modify-write, not a load: it orders the copy before it, as a load need not.
    if (Atomics.compareExchange(ints, at, sequence, sequence) !== sequence) continue;
    into.set(decoder.decode(copy.subarray(0, keyBytes)), decoder.decode(copy.subarray(keyBytes)));
  }
  return into;
}`;
