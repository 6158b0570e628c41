/**
 * A second process on one SQLite journal: `sqlite-writer.ts <file> <runId> <batches>` creates the
 * run if needed and appends <batches> batches of 3 events after what the journal holds, then
 * prints the run record as JSON.
 */
import type { RunEvent } from '../../../src/core/events.ts';
import { SqliteRunStore } from '../../../src/store/sqlite-store.ts';

const [file, runId, batchesText] = process.argv.slice(2);
if (!file || !runId || !batchesText) throw new Error('usage: sqlite-writer.ts <file> <runId> <batches>');
const store = new SqliteRunStore({ file });
try {
  if (!(await store.getRun(runId))) await store.createRun({ runId, goal: `written by pid ${process.pid}`, createdAt: new Date().toISOString() });
  for (let b = 0; b < Number(batchesText); b++) {
    const count = (await store.getRun(runId))?.eventCount ?? 0;
    const events: RunEvent[] = [1, 2, 3].map((i) => ({
      type: 'task.skipped',
      taskId: `t${count + i}`,
      reason: `pid ${process.pid}`,
      runId,
      seq: count + i,
      at: new Date().toISOString(),
    }));
    await store.append(runId, events);
  }
  process.stdout.write(`${JSON.stringify(await store.getRun(runId))}\n`);
} finally {
  await store.close();
}
