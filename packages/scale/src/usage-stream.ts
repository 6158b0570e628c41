import type { Job } from 'bullmq';
import type { Usage } from 'batonjs/internal';
import type { UsageNote } from './payload.ts';

/**
 * Sends a job's usage total so far as its progress, as the agent reports it: the orchestrator
 * counts it even when the attempt never returns (timed out, cancelled, its worker lost). One write
 * at a time; totals reported meanwhile are folded into the next, the latest only.
 */
export class UsageStream {
  private latest: Usage | undefined;
  private sending = false;
  private stopped = false;

  constructor(
    private readonly job: Job,
    private readonly run: string,
  ) {}

  report(total: Usage): void {
    this.latest = total;
    if (!this.sending && !this.stopped) void this.send();
  }

  /** Sends nothing more: what follows (the result, a failure note) carries the total. */
  stop(): void {
    this.stopped = true;
  }

  private async send(): Promise<void> {
    this.sending = true;
    while (this.latest && !this.stopped) {
      const note: UsageNote = { usage: this.latest, run: this.run };
      this.latest = undefined;
      await this.job.updateProgress(note).catch(() => undefined);
    }
    this.sending = false;
  }
}
