import { MAX_TIMER_MS } from '../core/defaults.ts';

/**
 * What a deadline tells when it passes. An object, not a callback: the owner (an attempt, a run's
 * clock) is told through its method, so no closure is made per deadline.
 */
export interface DeadlineOwner {
  timeUp(): void;
}

/**
 * Deadlines sharing one timer, armed for the earliest of them. A timer per attempt (its Timeout
 * object, its insertion in Node's timer lists, its removal) was a measurable share of what an
 * attempt costs, and with many attempts in flight, of what each one holds. A deadline is a slot in
 * parallel arrays, not an object: an entry per attempt, with its two times boxed, was ~80 B of
 * every attempt in flight.
 *
 * A deadline fires once `ms` have passed, as a `setTimeout(() => owner.timeUp(), ms)` made at the
 * same moment would (never earlier: the timer is armed for the remaining time, and every
 * comparison uses the monotonic clock, so a wall-clock jump neither fires nor delays one). While no
 * deadline is pending the timer does not keep the process alive.
 */
export class Deadlines {
  /** The owner of each slot's deadline; undefined once it fired or was cancelled (the slot is free). */
  private owners: (DeadlineOwner | undefined)[] = [];
  /** When each slot's deadline passes, in `performance.now()` milliseconds. */
  private dues: number[] = [];
  private free: number[] = [];
  private live = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The deadline the timer is armed for (Infinity when it is not). */
  private armedFor = Infinity;

  /**
   * Calls `owner.timeUp()` once `ms` have passed, unless cancelled first. Returns the deadline's
   * slot, which {@link cancel} takes with the same owner.
   */
  add(ms: number, owner: DeadlineOwner): number {
    const due = performance.now() + ms;
    const slot = this.free.length > 0 ? this.free.pop()! : this.owners.length;
    this.owners[slot] = owner;
    this.dues[slot] = due;
    if (this.live++ === 0) this.timer?.ref();
    if (due < this.armedFor) this.arm(due, ms);
    return slot;
  }

  /**
   * Forgets the deadline of `owner` in `slot`: it will not fire. Cancelling twice, or after it
   * fired, does nothing (the slot may hold another owner's deadline by then).
   */
  cancel(slot: number, owner: DeadlineOwner): void {
    if (this.owners[slot] !== owner) return;
    this.release(slot);
    // Left armed (the next deadline is likely later, so it is not re-armed), but not holding the process.
    if (this.live === 0) this.timer?.unref();
  }

  // The arrays keep their length when the last deadline goes: emptied, they gave back their
  // backing stores, and a chain of attempts, one at a time, made three new ones per attempt.
  private release(slot: number): void {
    this.owners[slot] = undefined;
    this.live--;
    this.free.push(slot);
  }

  private arm(at: number, ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.armedFor = at;
    // A deadline past what a timer holds is armed for that, and re-armed for the rest when it fires.
    this.timer = setTimeout(this.onTimer, Math.min(MAX_TIMER_MS, Math.max(1, ms)));
    if (this.live === 0) this.timer.unref();
  }

  private readonly onTimer = (): void => {
    // Not "the deadline it was armed for": a timer can fire up to a millisecond early, since libuv
    // counts its delay from the event loop's cached time. What is not due yet is armed again.
    const due = performance.now();
    this.timer = undefined;
    this.armedFor = Infinity;
    const fired: { owner: DeadlineOwner; due: number }[] = [];
    let next = Infinity;
    for (let slot = 0; slot < this.owners.length; slot++) {
      const owner = this.owners[slot];
      if (!owner) continue;
      const at = this.dues[slot]!;
      if (at <= due) {
        fired.push({ owner, due: at });
        this.release(slot);
      } else if (at < next) {
        next = at;
      }
    }
    if (next !== Infinity) this.arm(next, next - performance.now());
    // Earliest first, as timers of their own would have fired.
    fired.sort((a, b) => a.due - b.due);
    let failure: { error: unknown } | undefined;
    for (const { owner } of fired) {
      try {
        owner.timeUp();
      } catch (error) {
        // The others still fire; the first error is thrown as a timer's own callback would.
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  };
}

/** The deadlines of every attempt of this process. */
export const attemptDeadlines = new Deadlines();
