import type { Redis } from 'ioredis';
import { cancelChannel, cancelledKey } from './names.ts';

/**
 * How long a cancel stays recorded past its attempt's timeout (ms). A worker stops an agent on its
 * own 5 s past the attempt's timeout, so the record outlives any run of the job it could still
 * reach, with room for a job taken just as it was cancelled.
 */
export const CANCEL_KEPT_PAST_TIMEOUT_MS = 10 * 60_000;

/** The timeout assumed for an attempt whose canceller cannot say what it was (ms). */
export const UNKNOWN_TIMEOUT_MS = 24 * 60 * 60_000;

/**
 * Asks the workers to abort job `jobId`: records the cancel in Redis for the attempt's
 * `timeoutMs` plus {@link CANCEL_KEPT_PAST_TIMEOUT_MS}, and publishes it on the cancel channel, in
 * one transaction. The message stops the agent at once; the record reaches a worker whose
 * subscriber was reconnecting when the message went (pub/sub keeps nothing for it).
 */
export async function publishCancel(connection: Redis, prefix: string, jobId: string, timeoutMs: number): Promise<void> {
  const keptMs = Math.ceil((Number.isFinite(timeoutMs) && timeoutMs > 0 ? timeoutMs : UNKNOWN_TIMEOUT_MS) + CANCEL_KEPT_PAST_TIMEOUT_MS);
  await connection.multi().set(cancelledKey(prefix, jobId), '1', 'PX', keptMs).publish(cancelChannel(prefix), jobId).exec();
}
