import { BatonError } from '../core/errors.ts';
import type { ApprovalDecision } from '../core/types.ts';

const MAX_BY = 200;
const MAX_TEXT = 4000;

/**
 * Checks a decision as given (from the CLI, HTTP, A2A or a program) before it is acted on.
 * @throws BatonError `BAD_REQUEST` naming the field and what was expected.
 */
export function checkDecision(d: ApprovalDecision): void {
  const bad = (message: string): never => {
    throw new BatonError('BAD_REQUEST', `decision: ${message}`, { retryable: false });
  };
  if (d.decision !== 'approved' && d.decision !== 'rejected') bad(`decision must be "approved" or "rejected", got ${JSON.stringify(d.decision)}`);
  if (typeof d.by !== 'string' || d.by.trim() === '' || d.by.length > MAX_BY) bad(`by must name who decides (1 to ${MAX_BY} characters)`);
  if (d.taskId !== undefined && (typeof d.taskId !== 'string' || d.taskId === '')) bad('taskId must be a task id');
  for (const field of ['reason', 'note'] as const) {
    const v = d[field];
    if (v !== undefined && (typeof v !== 'string' || v.length > MAX_TEXT)) bad(`${field} must be text of at most ${MAX_TEXT} characters`);
  }
  if (d.plan !== undefined && d.decision === 'rejected') bad('an edited plan goes with an approval, not a rejection');
}
