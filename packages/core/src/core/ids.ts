import { randomBytes } from 'node:crypto';

const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolAt = 0;

/** `bytes` random bytes as hex, cut from a pool refilled 4 KiB at a time (one call per run cost ~3% of a run). */
function randomHex(bytes: number): string {
  if (poolAt + bytes > pool.length) {
    pool = randomBytes(POOL_BYTES);
    poolAt = 0;
  }
  const hex = pool.toString('hex', poolAt, poolAt + bytes);
  poolAt += bytes;
  return hex;
}

/** A sortable, unique run id: `r_` + time (base36) + random. */
export function newRunId(): string {
  return ['r_', Date.now().toString(36), randomHex(5)].join('');
}

// One random tag per process plus a counter: unique across processes without a syscall per attempt.
const processTag = randomBytes(4).toString('hex');
let attemptCounter = 0;

/** A unique attempt id: results carrying an attempt id the orchestrator gave up on are ignored. */
export function newAttemptId(runId: string, taskId: string, n: number): string {
  // join() makes one flat string; a template literal makes a chain of rope nodes (~200 bytes per
  // id) that every journaled attempt would keep.
  return [runId, taskId, n, `${processTag}${(attemptCounter++).toString(36)}`].join(':');
}
