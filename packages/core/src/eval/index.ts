/** Evaluation suites (DESIGN.md section 10) and agent examples: `runEvalSuite` and its reports. */
export { runEvalSuite, runLoadedSuite } from './run-suite.ts';
export type { EvalOptions, EvalProgress, EvalStart } from './run-suite.ts';
export { readSuite, resolveSuite } from './load-suite.ts';
export { examplesSuite } from './agent-examples.ts';
export { SuiteError } from './suite-error.ts';
export type { SuiteProblem } from './suite-error.ts';
export type { EvalSuiteInput } from './suite-schema.ts';
export { formatReport, summaryLine } from './text-report.ts';
export type { TextReportOptions } from './text-report.ts';
export { junitXml } from './junit-report.ts';
export type { AgentCase, AgentExpectations, CaseOutcome, CaseReport, Difference, EvalCase, EvalReport, EvalSuite, PlanCase, PlanExpectations } from './types.ts';
