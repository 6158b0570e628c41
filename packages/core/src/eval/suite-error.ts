import { BatonError } from '../core/errors.ts';
import type { ManifestProblem } from '../core/errors.ts';
import { formatFileProblems } from '../core/problem-list.ts';

/** One problem of a suite file: the file, the line, the field and what was expected. */
export type SuiteProblem = ManifestProblem;

/** A suite file that cannot be run; `problems` lists every issue found. `baton eval` exits 64. */
export class SuiteError extends BatonError {
  readonly problems: SuiteProblem[];

  constructor(problems: SuiteProblem[]) {
    super('SUITE_INVALID', formatFileProblems('eval suite', problems), { retryable: false, details: problems });
    this.name = 'SuiteError';
    this.problems = problems;
  }
}
