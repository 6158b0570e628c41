import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RunResult } from '../core/types.ts';
import { DELIVERABLE_MD, renderDeliverable } from '../integration/default-deliverable.ts';
import { color } from './format.ts';

/** A deliverable longer than this many lines is shown by its first PREVIEW_LINES and its path. */
export const SHORT_DELIVERABLE_LINES = 40;
const PREVIEW_LINES = 20;

function runOf(result: RunResult): Parameters<typeof renderDeliverable>[0] {
  return {
    runId: result.runId,
    goal: result.goal,
    status: result.status,
    ...(result.reason === undefined ? {} : { reason: result.reason }),
    ...(result.endedAt === undefined ? {} : { endedAt: result.endedAt }),
  };
}

/** The run's `deliverable.md` file, when it wrote one and it is still there. */
export function deliverableFile(result: RunResult): string | undefined {
  return result.deliverable.files.find((f) => path.basename(f) === DELIVERABLE_MD);
}

/** The deliverable as text: its `deliverable.md` when the run wrote one, else rendered from the result. */
export function deliverableText(result: RunResult): string {
  const file = deliverableFile(result);
  if (file) {
    try {
      return readFileSync(path.resolve(file), 'utf8');
    } catch {
      // Pruned or moved: render it from the journal instead.
    }
  }
  return renderDeliverable(runOf(result), result.deliverable);
}

/**
 * What `baton run` shows at its end: the whole deliverable when it is short, else its first
 * lines and the path of the file that has the rest.
 */
export function deliverablePreview(result: RunResult): string | undefined {
  const file = deliverableFile(result);
  if (!file) return undefined;
  const text = deliverableText(result).trimEnd();
  const lines = text.split('\n');
  if (lines.length <= SHORT_DELIVERABLE_LINES) return `${text}\n`;
  return `${lines.slice(0, PREVIEW_LINES).join('\n')}\n${color.dim(`… ${lines.length - PREVIEW_LINES} more lines in ${file}`)}\n`;
}
