import type { RunStatus } from '../core/types.ts';

/** Process exit codes (DESIGN section 5). */
export const EXIT = {
  succeeded: 0,
  failed: 1,
  partial: 2,
  usage: 64,
  cancelled: 130,
} as const;

export function exitCodeFor(status: RunStatus): number {
  switch (status) {
    case 'succeeded':
      return EXIT.succeeded;
    case 'partial':
      return EXIT.partial;
    case 'cancelled':
      return EXIT.cancelled;
    case 'failed':
    case 'running':
      return EXIT.failed;
  }
}
