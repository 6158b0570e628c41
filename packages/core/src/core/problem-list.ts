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
