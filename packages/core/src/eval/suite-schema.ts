/**
 * The shape of an evaluation suite file (DESIGN.md section 10) as zod schemas. Rules across fields
 * (a plan case needs a goal, `run: false` cannot expect a status...) live in `suite-rules.ts`;
 * rules that need the manifest (agent and artifact names) in `suite-manifest-rules.ts`.
 */
import { z } from 'zod';
import { describeValue } from '../manifest/describe.ts';
import { isRecord } from '../manifest/lenient.ts';

const nonEmptyString = () => z.string().min(1);
const nameList = () => z.array(nonEmptyString());
const mapping = () => z.record(z.string(), z.unknown());

/**
 * A mapping keyed by names the suite checks against the manifest (artifacts, inputs, parameters).
 * z.record assigns each key to its output, so an own `__proto__` key (YAML and JSON keep one)
 * would vanish and what it holds go unchecked; it is refused instead: nothing may be named so.
 */
function namedMapping<V extends z.ZodType>(value: V, what: 'an artifact' | 'a parameter') {
  const record = z.record(z.string(), value);
  return z.preprocess<unknown, typeof record, z.input<typeof record>>((input, ctx) => {
    if (isRecord(input) && Object.hasOwn(input, '__proto__')) {
      ctx.addIssue({ code: 'custom', path: ['__proto__'], input, message: `"__proto__" cannot name ${what}: it is a member of every JavaScript object (Object.prototype)` });
    }
    return input;
  }, record);
}

/**
 * What is wrong with a `rubric` of neither shape (zod says only "Invalid input"). A string or a
 * list of strings reaches its own branch, which words an empty one itself.
 */
function rubricProblem(input: unknown): string {
  const wanted = 'expected a rubric (text) or a list of rubrics';
  const items: unknown[] = Array.isArray(input) ? input : [];
  const bad = items.findIndex((r) => typeof r !== 'string');
  return bad < 0 ? `${wanted}, got ${describeValue(input)}` : `${wanted}: item ${bad} is ${describeValue(items[bad])}, not text`;
}

export const RUN_STATUSES = ['succeeded', 'partial', 'failed', 'cancelled'] as const;

export const expectSchema = z.strictObject({
  agents: nameList().optional().describe('Exactly these agents in the plan.'),
  include: nameList().optional().describe('At least these agents in the plan.'),
  exclude: nameList().optional().describe('None of these agents in the plan.'),
  refused: z.boolean().optional().describe('true: the planner must refuse this goal.'),
  status: z.enum(RUN_STATUSES).optional().describe('The RunResult status (cases that run).'),
  artifacts: namedMapping(mapping(), 'an artifact').optional().describe('A JSON Schema each named final artifact must satisfy.'),
  rubric: z
    .union([nonEmptyString(), z.array(nonEmptyString()).min(1)], { error: (issue) => rubricProblem(issue.input) })
    .optional()
    .describe("Judged by the orchestrator's model."),
  output: namedMapping(z.unknown(), 'an artifact').optional().describe("Agent cases: the agent's expected output."),
  match: z.enum(['partial', 'exact']).optional().describe('Agent cases: how output is compared (default partial).'),
});

export const caseSchema = z.strictObject({
  name: nonEmptyString(),
  goal: z.string().optional(),
  params: namedMapping(z.unknown(), 'a parameter').optional().describe('Run parameters.'),
  run: z.boolean().optional().describe('false: plan only (default true: run to the end).'),
  agent: nonEmptyString().optional().describe('Test this agent alone with `inputs`, without planning.'),
  inputs: namedMapping(z.unknown(), 'an artifact').optional().describe('Agent cases: the artifacts the agent consumes.'),
  expect: expectSchema.prefault({}),
});

const suiteFields = {
  $schema: z.string().optional(),
  suite: nonEmptyString().describe('The name of the suite.'),
  description: z.string().optional(),
  manifest: nonEmptyString().optional().describe('The manifest, relative to the suite file (default: the -m manifest).'),
  agent: nonEmptyString().optional().describe('Every case tests this agent alone.'),
};

/** The suite's own fields; each case is checked on its own, so one bad case hides no problem of another. */
export const suiteHeadSchema = z.strictObject({
  ...suiteFields,
  cases: z.array(z.unknown()).min(1, { error: 'expected at least one case, got an empty list' }),
});

export const suiteSchema = z.strictObject({ ...suiteFields, cases: z.array(caseSchema).min(1) });

/** The cases that passed their shape check, with their index in the file. */
export interface ParsedSuite {
  /** The suite's own fields, when they passed their shape check. */
  head?: Omit<z.output<typeof suiteHeadSchema>, 'cases'>;
  /** `agent:` at the suite level, read leniently when the head is malformed. */
  agent?: string;
  cases: { index: number; parsed: ParsedCase }[];
}
export type ParsedCase = z.output<typeof caseSchema>;
/** A suite written as a JavaScript object: what `runEvalSuite` accepts besides a file path. */
export type EvalSuiteInput = z.input<typeof suiteSchema>;
