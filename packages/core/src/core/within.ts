/** How `work` ended within a time bound: its value, its error, or nothing in time. */
export type Bounded<T> = { value: T } | { problem: 'failed'; error: unknown } | { problem: 'hung' };

/**
 * Waits for `work` at most `ms`: for what a user's code (an agent's `close()`) or an unreachable
 * service may never finish, where a process must go on without it.
 */
export async function within<T>(work: Promise<T> | T, ms: number): Promise<Bounded<T>> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<{ problem: 'hung' }>((resolve) => {
    timer = setTimeout(() => resolve({ problem: 'hung' }), ms);
  });
  const done = Promise.resolve(work).then(
    (value) => ({ value }),
    (error: unknown) => ({ problem: 'failed' as const, error }),
  );
  try {
    return await Promise.race([done, hung]);
  } finally {
    clearTimeout(timer);
  }
}
