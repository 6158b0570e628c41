import type { Usage } from '../core/types.ts';
import { addUsage } from '../core/usage-check.ts';

/**
 * Usage reports passed on from where a module runs (its worker thread, its process) as they are
 * made, so that a run's budget holds mid-attempt: the first report of a turn of the event loop is
 * sent at once, the others of that turn are added up, per attempt, and sent at the next. One
 * message per report held the orchestrator's thread for seconds when an agent reported in a
 * tight loop.
 */
export class UsagePerTurn<K> {
  /** Reported in this turn, not sent yet. */
  private readonly held = new Map<K, Usage>();
  private turn: NodeJS.Immediate | undefined;

  constructor(private readonly send: (key: K, usage: Usage) => void) {}

  report(key: K, usage: Usage): void {
    if (this.turn) {
      this.held.set(key, addUsage(this.held.get(key), usage));
      return;
    }
    this.send(key, usage);
    this.turn = setImmediate(() => {
      this.turn = undefined;
      for (const [heldKey, heldUsage] of this.held) this.send(heldKey, heldUsage);
      this.held.clear();
    });
  }

  /** What `key` reported and was not sent yet, taken: for the caller to send with its answer. */
  take(key: K): Usage | undefined {
    const usage = this.held.get(key);
    this.held.delete(key);
    return usage;
  }
}
