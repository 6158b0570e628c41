import { BatonError } from '../../src/core/errors.ts';

/** The BatonError `fn` throws; any other error is rethrown, and not throwing fails the test. */
export function thrown(fn: () => unknown): BatonError {
  try {
    fn();
  } catch (e) {
    if (BatonError.isInstance(e)) return e;
    throw e;
  }
  throw new Error('expected a BatonError');
}
