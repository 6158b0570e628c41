/**
 * The run's time limit (policy.runTimeoutMs), paused while the run waits for a person's decision:
 * the wait is bounded by policy.approvalTimeoutMs instead, and a run approved after a night still
 * gets its whole budget for the work.
 */
export class RunClock {
  private remaining: number;
  private since = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    limitMs: number,
    private readonly onTimeout: () => void,
  ) {
    this.remaining = limitMs;
    this.resume();
  }

  /** Stops counting (a decision is waited for). */
  pause(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.remaining -= Date.now() - this.since;
  }

  /** Counts again. */
  resume(): void {
    if (this.timer || this.stopped) return;
    this.since = Date.now();
    this.timer = setTimeout(this.onTimeout, Math.max(0, this.remaining));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
