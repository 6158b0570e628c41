import { BatonError } from '../core/errors.ts';
import type { ManifestProblem } from '../core/errors.ts';
import { problemList } from '../core/problem-list.ts';

/** One problem of a suite file: the file, the line, the field and what was expected. */
export type SuiteProblem = ManifestProblem;

/** A suite file that cannot be run; `problems` lists every issue found. `baton eval` exits 64. */
export class SuiteError extends BatonError {
  readonly problems: SuiteProblem[];

  constructor(problems: SuiteProblem[]) {
    super('SUITE_INVALID', formatProblems(problems), { retryable: false, details: problems });
    this.name = 'SuiteError';
    this.problems = problems;
  }
}

function formatProblems(problems: SuiteProblem[]): string {
  // The first 50 told (all are in `problems`): a file of 30 000 unknown keys is not a 5 MB message.
  return `invalid eval suite ${problemList(problems, (p) => {
    const where = p.line === undefined ? p.file : `${p.file}:${p.line}${p.column === undefined ? '' : `:${p.column}`}`;
    return `${where}: ${p.path || '(root)'}: ${p.message}`;
  })}`;
}
