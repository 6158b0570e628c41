import { BatonError, errorMessage } from '../core/errors.ts';

/** Prints a Baton error the way a user can act on, and returns the exit code to use. */
export function reportError(e: unknown): number {
  if (BatonError.isInstance(e)) {
    process.stderr.write(`baton: ${e.message}\n`);
    const usage = ['MANIFEST_INVALID', 'MANIFEST_NOT_FOUND', 'BAD_REQUEST', 'SUITE_INVALID', 'NOT_AWAITING_APPROVAL'];
    return usage.includes(e.code) ? 64 : 1;
  }
  process.stderr.write(`baton: unexpected error: ${e instanceof Error && e.stack ? e.stack : errorMessage(e)}\n`);
  return 1;
}
