/**
 * What a deadline tells when it passes. An object, not a callback: the owner (an attempt, a run's
 * clock) is told through its method, so no closure is made per deadline.
 */
export interface DeadlineOwner {
  timeUp(): void;
}

/** A deadline registered with {@link Deadlines}; `owner` is dropped once it fired or was cancelled. */
export interface Deadline {
  /** When it passes, in `Date.now()` milliseconds (what an agent is told). */
  readonly at: number;
  /** When it passes, in `performance.now()` milliseconds: what it is scheduled by, so a wall-clock jump moves nothing. */
  readonly due: number;
  owner: DeadlineOwner | undefined;
}

/**
 * Deadlines sharing one timer, armed for the earliest of them. A timer per attempt (its Timeout
 * object, its insertion in Node's timer lists, its removal) was a measurable share of what an
 * attempt costs, and with many attempts in flight, of what each one holds.
 *
 * A deadline fires once `ms` have passed, as a `setTimeout(() => owner.timeUp(), ms)` made at the
 * same moment would (never earlier: the timer is armed for the remaining time, and every
 * comparison uses the monotonic clock, so a wall-clock jump neither fires nor delays one). While no
 * deadline is pending the timer does not keep the process alive.
 */
export class Deadlines {
  private entries: Deadline[] = [];
  private live = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The deadline the timer is armed for (Infinity when it is not). */
  private armedFor = Infinity;

  /** Calls `owner.timeUp()` once `ms` have passed, unless cancelled first. */
  add(ms: number, owner: DeadlineOwner): Deadline {
    const entry: Deadline = { at: Date.now() + ms, due: performance.now() + ms, owner };
    this.entries.push(entry);
    if (this.live++ === 0) this.timer?.ref();
    if (entry.due < this.armedFor) this.arm(entry.due, ms);
    return entry;
  }

  /** Forgets `entry`: it will not fire. Cancelling twice, or after it fired, does nothing. */
  cancel(entry: Deadline): void {
    if (!entry.owner) return;
    entry.owner = undefined;
    if (--this.live === 0) {
      this.entries.length = 0;
      // Left armed (the next deadline is likely later, so it is not re-armed), but not holding the process.
      this.timer?.unref();
    } else if (this.entries.length > 2 * this.live + 16) {
      this.entries = this.entries.filter((e) => e.owner !== undefined);
    }
  }

  private arm(at: number, ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.armedFor = at;
    this.timer = setTimeout(this.onTimer, Math.max(1, ms));
    if (this.live === 0) this.timer.unref();
  }

  private readonly onTimer = (): void => {
    // The timer ran its whole delay, so the deadline it was armed for has passed.
    const due = Math.max(this.armedFor, performance.now());
    this.timer = undefined;
    this.armedFor = Infinity;
    const fired: Deadline[] = [];
    const kept: Deadline[] = [];
    let next = Infinity;
    for (const e of this.entries) {
      if (!e.owner) continue;
      if (e.due <= due) fired.push(e);
      else {
        kept.push(e);
        if (e.due < next) next = e.due;
      }
    }
    this.entries = kept;
    this.live = kept.length;
    if (next !== Infinity) this.arm(next, next - performance.now());
    let failure: { error: unknown } | undefined;
    for (const e of fired) {
      const owner = e.owner!;
      e.owner = undefined;
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
