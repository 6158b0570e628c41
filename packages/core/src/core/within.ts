/** How `work` ended within a time bound: its value, its error, or nothing in time. */
export type Bounded<T> = { value: T } | { problem: 'failed'; error: unknown } | { problem: 'hung' };

/**
 * Waits for `work` at most `ms`: for what a user's code (an agent's `close()`) or an unreachable
 * service may never finish, where a process must go on without it. A `signal` that aborts ends
 * the wait at once, as if the time were up (its timer would otherwise keep the process alive).
 */
export async function within<T>(work: Promise<T> | T, ms: number, signal?: AbortSignal): Promise<Bounded<T>> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const hung = new Promise<{ problem: 'hung' }>((resolve) => {
    timer = setTimeout(() => resolve({ problem: 'hung' }), ms);
    if (!signal) return;
    onAbort = () => resolve({ problem: 'hung' });
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  const done = Promise.resolve(work).then(
    (value) => ({ value }),
    (error: unknown) => ({ problem: 'failed' as const, error }),
  );
  try {
    return await Promise.race([done, hung]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * `work`, or the signal's reason as soon as it aborts: for code (an agent, an integrator, a
 * model's provider) that may ignore its signal. A later settling of `work` is not an unhandled
 * rejection.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  work.catch(() => undefined);
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([work, aborted]).finally(() => signal.removeEventListener('abort', onAbort!));
}
