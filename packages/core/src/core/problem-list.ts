import type { ManifestProblem } from './errors.ts';

/** Problems told in a message, and kept in an error's `details`: a plan can have one per task, parameters one per key. */
export const PROBLEMS_TOLD = 50;
export const PROBLEMS_KEPT = 100;

/** `(N problems):` and the lines of the first {@link PROBLEMS_TOLD}, then how many more, one per line. */
export function problemList<P>(problems: readonly P[], line: (problem: P) => string): string {
  const told = problems.slice(0, PROBLEMS_TOLD).map(line);
  const more = problems.length - told.length;
  if (more > 0) told.push(`... and ${more} more problem${more === 1 ? '' : 's'}`);
  return `(${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${told.join('\n  ')}`;
}

/**
 * `invalid <what> (N problems):` and a line per problem (`file:line:column: field: message`): the
 * first 50 told (all are in `problems`), so a file of 30 000 unknown keys is not a 5 MB message.
 */
export function formatFileProblems(what: string, problems: readonly ManifestProblem[]): string {
  return `invalid ${what} ${problemList(problems, (p) => {
    const where = p.line === undefined ? p.file : `${p.file}:${p.line}${p.column === undefined ? '' : `:${p.column}`}`;
    return `${where}: ${p.path || '(root)'}: ${p.message}`;
  })}`;
}
