import { randomBytes } from 'node:crypto';

const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolAt = 0;

/** Two hex digits per byte value: `Buffer#toString('hex', ...)` on a slice costs a call into C++ per id. */
const HEX_PAIRS = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** Five random bytes as ten hex digits, cut from a pool refilled 4 KiB at a time (one call per run cost ~3% of a run). */
function randomHex5(): string {
  if (poolAt + 5 > pool.length) {
    pool = randomBytes(POOL_BYTES);
    poolAt = 0;
  }
  const p = pool;
  const at = poolAt;
  poolAt += 5;
  return HEX_PAIRS[p[at]!]! + HEX_PAIRS[p[at + 1]!]! + HEX_PAIRS[p[at + 2]!]! + HEX_PAIRS[p[at + 3]!]! + HEX_PAIRS[p[at + 4]!]!;
}

let prefixMs = -1;
let prefix = '';

/** A sortable, unique run id: `r_` + time (base36) + random. */
export function newRunId(): string {
  const ms = Date.now();
  // Runs started in the same millisecond share the formatted time (base 36 formatting is a runtime call).
  if (ms !== prefixMs) {
    prefixMs = ms;
    prefix = `r_${ms.toString(36)}`;
  }
  // join() makes one flat string, as the ids are kept in every event of the run.
  return [prefix, randomHex5()].join('');
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
