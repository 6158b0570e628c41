/**
 * Loading a suite: YAML text or an object → shape (zod) → rules across fields → rules against the
 * manifest → `EvalSuite`. Every problem is reported at once, with its file, line and field.
 */
import { dirname, resolve } from 'node:path';
import type { z } from 'zod';
import { errorMessage } from '../core/errors.ts';
import { NotUtf8Error, readTextFile } from '../core/read-text.ts';
import type { Manifest } from '../core/types.ts';
import { closest, type FieldPath } from '../manifest/describe.ts';
import type { Finding } from '../manifest/findings.ts';
import { errorMap } from '../manifest/shape.ts';
import { locate, parseManifestText, toProblems, type ManifestSource } from '../manifest/source.ts';
import { SuiteError } from './suite-error.ts';
import { checkSuiteAgainstManifest } from './suite-manifest-rules.ts';
import { checkCaseNames, checkSuiteRules } from './suite-rules.ts';
import { isRecord } from '../manifest/lenient.ts';
import { caseSchema, suiteHeadSchema, type EvalSuiteInput, type ParsedCase, type ParsedSuite } from './suite-schema.ts';
import type { EvalCase, EvalSuite } from './types.ts';

/** A suite read and checked on its own, not yet against a manifest. */
export interface ReadSuite {
  parsed: ParsedSuite;
  /** Problems found so far (shape, rules): reported with the manifest's, all at once. */
  findings: Finding[];
  /** How problems name the suite: its absolute path, or `(suite object)`. */
  file: string;
  /** Absolute path of the file, when it came from one. */
  path?: string;
  /** Folder the suite's `manifest` resolves against. */
  baseDir: string;
  source?: ManifestSource;
}

/**
 * Reads a suite file (YAML or JSON), or takes a suite object, and checks its shape and rules; the
 * problems are kept for {@link resolveSuite} to report with those found against the manifest.
 * @throws SuiteError when the file cannot be read or is not YAML.
 */
export async function readSuite(input: string | EvalSuiteInput, baseDir = process.cwd()): Promise<ReadSuite> {
  if (typeof input !== 'string') return checked(input, { file: '(suite object)', baseDir: resolve(baseDir) });
  const path = resolve(baseDir, input);
  let text: string;
  try {
    text = await readTextFile(path, undefined, { strict: true });
  } catch (e) {
    if (e instanceof NotUtf8Error) throw new SuiteError([{ file: path, path: '', line: e.line, column: e.column, message: `the suite is ${e.message}` }]);
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new SuiteError([{ file: path, path: '', message: missing ? 'suite file not found: expected a YAML file with suite: and cases:' : `cannot read the suite: ${errorMessage(e)}` }]);
  }
  const parsed = parseManifestText(text, path);
  if (!parsed.ok) throw new SuiteError(parsed.problems);
  return checked(parsed.value, { file: path, path, baseDir: dirname(path), source: parsed.source });
}

/** The manifest the suite names, as an absolute path. */
export function suiteManifestPath(suite: ReadSuite): string | undefined {
  const written = suite.parsed.head?.manifest;
  return written === undefined ? undefined : resolve(suite.baseDir, written);
}

/** Throws the problems found in the suite alone, if any (when its manifest cannot be loaded). */
export function assertSuiteAlone(suite: ReadSuite): void {
  if (suite.findings.length > 0) throw problemsOf(suite.findings, suite);
}

/**
 * Checks a read suite against the manifest it runs on and gives the cases to run.
 * @throws SuiteError listing every problem of the suite, each with its line and field.
 */
export function resolveSuite(suite: ReadSuite, manifest: Manifest): EvalSuite {
  const findings = [...suite.findings, ...checkSuiteAgainstManifest(suite.parsed, manifest, manifest.file ?? 'the manifest')];
  const { head, agent, cases } = suite.parsed;
  if (findings.length > 0 || head === undefined) throw problemsOf(findings, suite);
  return {
    name: head.suite,
    ...(suite.path === undefined ? {} : { file: suite.path }),
    ...(manifest.file === undefined ? {} : { manifest: manifest.file }),
    cases: cases.map(({ index, parsed }) => toCase(parsed, agent, suite.source === undefined ? undefined : locate(suite.source, ['cases', index], 'value')?.line)),
  };
}

function checked(value: unknown, where: Omit<ReadSuite, 'parsed' | 'findings'>): ReadSuite {
  if (value === null || value === undefined) throw new SuiteError([{ file: where.file, path: '', message: 'the suite is empty: expected suite: NAME and cases: [...]' }]);
  const knownKeys = new WeakMap<object, readonly string[]>();
  const findings: Finding[] = [];
  const check = <T>(schema: z.ZodType<T>, input: unknown, prefix: FieldPath): T | undefined => {
    const result = schema.safeParse(input, { reportInput: true, error: errorMap(knownKeys) });
    if (result.success) return result.data;
    findings.push(...result.error.issues.flatMap((issue) => toFindings(issue, knownKeys, prefix)));
    return undefined;
  };
  const head = check(suiteHeadSchema, value, []);
  const raw = isRecord(value) ? value : {};
  const rawCases = Array.isArray(raw['cases']) ? (raw['cases'] as unknown[]) : [];
  const parsed: ParsedSuite = {
    cases: rawCases.flatMap((c, index) => {
      const ok = check(caseSchema, c, ['cases', index]);
      return ok === undefined ? [] : [{ index, parsed: ok }];
    }),
  };
  if (head) {
    const { cases: _cases, ...fields } = head;
    parsed.head = fields;
  }
  const agent = head?.agent ?? (typeof raw['agent'] === 'string' ? raw['agent'] : undefined);
  if (agent !== undefined) parsed.agent = agent;
  findings.push(...checkCaseNames(rawCases), ...checkSuiteRules(parsed));
  return { ...where, parsed, findings };
}

function toFindings(issue: z.core.$ZodIssue, knownKeys: WeakMap<object, readonly string[]>, prefix: FieldPath): Finding[] {
  const path = [...prefix, ...issue.path.map((segment) => (typeof segment === 'number' ? segment : String(segment)))];
  if (issue.code !== 'unrecognized_keys') return [{ path, message: issue.message }];
  const known = knownKeys.get(issue.input ?? {}) ?? [];
  return issue.keys.map((key) => {
    const meant = closest(key, known);
    const message = meant === undefined ? `unknown key "${key}"; expected one of: ${known.join(', ')}` : `unknown key "${key}" (did you mean "${meant}"?)`;
    return { path: [...path, key], at: 'key' as const, message };
  });
}

function problemsOf(findings: Finding[], where: Pick<ReadSuite, 'file' | 'source'>): SuiteError {
  const problems = toProblems(findings, where.file, where.source);
  problems.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0));
  return new SuiteError(problems);
}

const asList = (rubric: string | string[] | undefined): string[] | undefined => (rubric === undefined ? undefined : Array.isArray(rubric) ? rubric : [rubric]);

function toCase(c: ParsedCase, suiteAgent: string | undefined, line: number | undefined): EvalCase {
  const common = { name: c.name, ...(line === undefined ? {} : { line }), ...(c.params === undefined ? {} : { params: c.params }) };
  const { expect } = c;
  const rubric = asList(expect.rubric);
  const agent = c.agent ?? suiteAgent;
  if (agent !== undefined) {
    return {
      ...common,
      kind: 'agent',
      agent,
      ...(c.goal === undefined ? {} : { goal: c.goal }),
      inputs: c.inputs ?? {},
      expect: { match: expect.match ?? 'partial', ...defined({ output: expect.output, artifacts: expect.artifacts, rubric }) },
    };
  }
  return {
    ...common,
    kind: 'plan',
    goal: c.goal ?? '',
    run: c.run ?? true,
    expect: { refused: expect.refused ?? false, ...defined({ agents: expect.agents, include: expect.include, exclude: expect.exclude, status: expect.status, artifacts: expect.artifacts, rubric }) },
  };
}

type Defined<T> = { [K in keyof T]: Exclude<T[K], undefined> };

function defined<T extends object>(value: T): Partial<Defined<T>> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<Defined<T>>;
}
