import { Deadlines } from './deadlines.ts';
import type { DeadlineOwner } from './deadlines.ts';

/** The time limits of every run of this process, on one timer (a timer per run was a measurable share of a short run). */
const runDeadlines = new Deadlines();

/** Told when a run's time is up: the run, through a method, not a closure made per run. */
export interface RunClockOwner {
  runTimedOut(): void;
}

/**
 * The run's time limit (policy.runTimeoutMs), paused while the run waits for a person's decision:
 * the wait is bounded by policy.approvalTimeoutMs instead, and a run approved after a night still
 * gets its whole budget for the work.
 */
export class RunClock implements DeadlineOwner {
  private remaining: number;
  private since = 0;
  /** The clock's slot in the run deadlines while it counts. */
  private deadline: number | undefined;
  private stopped = false;

  constructor(
    limitMs: number,
    private readonly owner: RunClockOwner,
  ) {
    this.remaining = limitMs;
    this.resume();
  }

  /** Stops counting (a decision is waited for). */
  pause(): void {
    if (this.deadline === undefined) return;
    runDeadlines.cancel(this.deadline, this);
    this.deadline = undefined;
    this.remaining -= performance.now() - this.since;
  }

  /** Counts again. */
  resume(): void {
    if (this.deadline !== undefined || this.stopped) return;
    this.since = performance.now();
    this.deadline = runDeadlines.add(Math.max(0, this.remaining), this);
  }

  /** The run's time is up (told by its deadline). */
  timeUp(): void {
    this.owner.runTimedOut();
  }

  stop(): void {
    this.stopped = true;
    if (this.deadline !== undefined) runDeadlines.cancel(this.deadline, this);
    this.deadline = undefined;
  }
}
