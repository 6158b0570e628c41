import { describe, expect, it } from 'vitest';
import { READ_SHARED_LOCKS, SharedLocks } from '../src/shared-locks.ts';

/** The heartbeat thread's reader, evaluated from the very text the thread evaluates. */
const readSharedLocks = new Function(`${READ_SHARED_LOCKS}; return readSharedLocks;`)() as (buffer: SharedArrayBuffer, into: Map<string, string>) => Map<string, string>;

const read = (locks: SharedLocks): Map<string, string> => readSharedLocks(locks.buffer, new Map());

describe('SharedLocks', () => {
  it('shows the reader every lock held, and none released', () => {
    const locks = new SharedLocks(4);
    expect(locks.hold('baton:agent:noop:r1.t1.1:lock', 'a1b2-c3:1')).toBe(true);
    expect(locks.hold('baton:agent:noop:r1.t2.1:lock', 'a1b2-c3:2')).toBe(true);
    expect(locks.hold('baton:agent:naïve ☃:r1.t3.1:lock', 'tök€n:3')).toBe(true);
    expect(read(locks)).toEqual(
      new Map([
        ['baton:agent:noop:r1.t1.1:lock', 'a1b2-c3:1'],
        ['baton:agent:noop:r1.t2.1:lock', 'a1b2-c3:2'],
        ['baton:agent:naïve ☃:r1.t3.1:lock', 'tök€n:3'],
      ]),
    );
    expect(locks.release('baton:agent:noop:r1.t2.1:lock', 'a1b2-c3:2')).toBe(true);
    expect(locks.release('baton:agent:noop:r1.t2.1:lock', 'a1b2-c3:2')).toBe(false);
    expect([...read(locks).keys()]).toEqual(['baton:agent:noop:r1.t1.1:lock', 'baton:agent:naïve ☃:r1.t3.1:lock']);
    expect(locks.size).toBe(2);
  });

  it('gives a freed slot to the next lock, and a lock held again its new token only', () => {
    const locks = new SharedLocks(2);
    locks.hold('k1:lock', 'long-token-of-the-first-job:1');
    locks.hold('k2:lock', 't2');
    locks.release('k1:lock', 'long-token-of-the-first-job:1');
    // The shorter record in the reused slot must not carry the tail of the longer one.
    expect(locks.hold('k3:lock', 't3')).toBe(true);
    expect(locks.hold('k2:lock', 't2-again')).toBe(true);
    expect(read(locks)).toEqual(new Map([['k3:lock', 't3'], ['k2:lock', 't2-again']]));
    expect(locks.size).toBe(2);
  });

  it('says when it has no room, so the caller sends the lock another way', () => {
    const locks = new SharedLocks(1, 24);
    expect(locks.hold('a-key-too-long-for-24-bytes:lock', 'token')).toBe(false);
    expect(locks.hold('k:lock', 'a-token-past-the-slot-end')).toBe(false);
    expect(read(locks).size).toBe(0);
    expect(locks.hold('k1:lock', 't1')).toBe(true);
    expect(locks.hold('k2:lock', 't2')).toBe(false);
    expect(read(locks)).toEqual(new Map([['k1:lock', 't1']]));
    // A pair that filled the slot's bytes exactly still fits.
    locks.release('k1:lock', 't1');
    expect(locks.hold('exactly-twenty-:lock', 'abcd')).toBe(true);
    expect(read(locks)).toEqual(new Map([['exactly-twenty-:lock', 'abcd']]));
  });

  it('skips a slot being written, or written again while it was read', () => {
    const locks = new SharedLocks(2);
    locks.hold('k1:lock', 't1');
    locks.hold('k2:lock', 't2');
    // The writer marks a slot it changes with an odd sequence number (slot 0 is the first lock's).
    const ints = new Int32Array(locks.buffer);
    Atomics.add(ints, 2, 1);
    expect(read(locks)).toEqual(new Map([['k2:lock', 't2']]));
    Atomics.add(ints, 2, 1);
    expect(read(locks)).toEqual(new Map([['k1:lock', 't1'], ['k2:lock', 't2']]));

    // A reader whose copy overlaps a release and a new hold of slot 0 must not use that copy.
    const sliced = Uint8Array.prototype.slice;
    let raced = false;
    Uint8Array.prototype.slice = function (this: Uint8Array, ...args: [number?, number?]) {
      if (!raced) {
        raced = true;
        locks.release('k1:lock', 't1');
        locks.hold('k3:lock', 't3');
      }
      return sliced.apply(this, args);
    };
    try {
      expect(read(locks)).toEqual(new Map([['k2:lock', 't2']]));
    } finally {
      Uint8Array.prototype.slice = sliced;
    }
    expect(read(locks)).toEqual(new Map([['k3:lock', 't3'], ['k2:lock', 't2']]));
  });

  it('keeps a lock taken again with a new token when the first holder releases it', () => {
    const locks = new SharedLocks(2);
    locks.hold('job-7:lock', 'first-run:1');
    // The same worker takes the job again (its lock had lapsed) while the first run is finishing.
    locks.hold('job-7:lock', 'second-run:2');
    expect(locks.release('job-7:lock', 'first-run:1')).toBe(false);
    expect(read(locks)).toEqual(new Map([['job-7:lock', 'second-run:2']]));
    expect(locks.release('job-7:lock', 'second-run:2')).toBe(true);
    expect(read(locks).size).toBe(0);
  });

  it('skips a slot being written after its sequence number has wrapped past 2^31', () => {
    const locks = new SharedLocks(1);
    const ints = new Int32Array(locks.buffer);
    Atomics.store(ints, 2, 2 ** 31 - 2);
    locks.hold('k:lock', 't');
    expect(Atomics.load(ints, 2)).toBeLessThan(0);
    expect(read(locks)).toEqual(new Map([['k:lock', 't']]));
    Atomics.add(ints, 2, 1);
    expect(read(locks).size).toBe(0);
  });

  it('refuses a table with no slot', () => {
    expect(() => new SharedLocks(0)).toThrow(/slots >= 1/);
    expect(() => new SharedLocks(1.5)).toThrow(RangeError);
  });
});
