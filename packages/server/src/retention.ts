import type { Logger, RunStore } from 'batonjs/internal';
import { pruneRuns, retentionOf } from 'batonjs/internal';

/** How long a server keeps ended runs (`baton serve --retention 7d`). */
export interface RetentionPolicy {
  /** Ended runs created longer ago than this are deleted, journal rows and files together (ms). */
  olderThanMs: number;
  /** Always keep this many of the newest runs (default 0). */
  keep?: number;
  /** How often to prune (default: a tenth of `olderThanMs`, between 1 minute and 1 hour). */
  everyMs?: number;
}

/** The pruning interval a policy gets when it names none. */
export function pruneInterval(policy: RetentionPolicy): number {
  return policy.everyMs ?? Math.min(3_600_000, Math.max(60_000, Math.round(policy.olderThanMs / 10)));
}

/**
 * Prunes the journal now and then every interval, until stopped. A failed prune is logged and
 * tried again at the next interval: it never stops the server. Prunes never overlap.
 */
export function startRetention(store: RunStore, policy: RetentionPolicy, logger: Logger): { stop(): Promise<void> } {
  const journal = retentionOf(store);
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const prune = async (): Promise<void> => {
    try {
      const report = await pruneRuns(journal, { olderThanMs: policy.olderThanMs, keep: policy.keep ?? 0 });
      if (report.deleted.length > 0) {
        logger.info({ deleted: report.deleted.length, runs: report.deleted.map((d) => d.runId), space: report.space }, 'retention: pruned old runs');
      }
      for (const d of report.deleted) if (d.filesError) logger.warn({ runId: d.runId, outDir: d.outDir, err: d.filesError }, 'retention: some files of a pruned run could not be removed');
    } catch (e) {
      logger.error({ err: e }, 'retention: pruning failed; trying again at the next interval');
    }
  };
  const tick = (): void => {
    if (stopped) return;
    running = running.then(prune);
  };
  tick();
  const timer = setInterval(tick, pruneInterval(policy));
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
