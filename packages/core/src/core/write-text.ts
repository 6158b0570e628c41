import { writeFile } from 'node:fs';

/**
 * Writes `text` to `file`, created or truncated, as UTF-8. Node's callback `writeFile`, not the one
 * of `fs/promises`: that one opens a `FileHandle` per file, and a three-task run with its folder
 * cost a third more CPU through it on Node 20, a tenth more on Node 24 (docs/performance.md,
 * thirty-second pass).
 */
export function writeText(file: string, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    writeFile(file, text, (e) => (e ? reject(e) : resolve()));
  });
}
