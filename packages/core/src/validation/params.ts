import type { ErrorObject } from 'ajv';
import { MAX_JSON_DEPTH } from '../core/defaults.ts';
import { BatonError } from '../core/errors.ts';
import { PROBLEMS_KEPT, problemList } from '../core/problem-list.ts';
import type { JsonSchema, Manifest } from '../core/types.ts';
import { describeValue, didYouMean, formatPath, type FieldPath, type PathSegment } from '../manifest/describe.ts';
import { isStackOverflow, nestsDeeperThan } from './json-depth.ts';
import { compileSchemaWithDefaults } from './schema-compiler.ts';

/** One thing wrong with the parameters a run was given: the field and what was expected. */
export interface ParamProblem {
  /** `params.city`, `params.range.from`. */
  field: string;
  message: string;
}

/** A {@link ParamProblem} at its path below `params` (`['range', 'from']`, `['tags', 1]`). */
export interface LocatedParamProblem {
  path: FieldPath;
  message: string;
}

const closed = new WeakMap<JsonSchema, JsonSchema>();

const tooDeep: LocatedParamProblem = { path: [], message: `the parameters nest arrays and objects more than ${MAX_JSON_DEPTH} levels deep, past what Baton takes` };

/**
 * Keywords of a schema's top level that let properties other than those of its `properties` in
 * (or declare them elsewhere): a schema with one of them is taken as written, not closed.
 */
const OPENING_KEYWORDS = [
  'additionalProperties',
  'unevaluatedProperties',
  'patternProperties',
  'allOf',
  'anyOf',
  'oneOf',
  '$ref',
  '$dynamicRef',
  '$recursiveRef',
  'if',
  'then',
  'else',
  'dependentSchemas',
  'dependencies',
] as const;

/**
 * True when a parameters schema names every parameter in its top-level `properties` (no
 * composition, reference, conditional or pattern keyword there): such a schema refuses any other
 * parameter, as a misspelt one. Other schemas are checked as written.
 */
export function namesEveryParam(schema: JsonSchema): boolean {
  return !OPENING_KEYWORDS.some((k) => k in schema);
}

/**
 * The schema parameters are checked against: the manifest's `orchestrator.params`, closed to
 * other properties when it names every parameter (see {@link namesEveryParam}): a misspelt
 * parameter is a mistake to report, not a value to ignore. Made once per schema object, so ajv
 * compiles it once.
 */
function checkedSchema(schema: JsonSchema): JsonSchema {
  let c = closed.get(schema);
  if (!c) {
    c = namesEveryParam(schema) ? { ...schema, additionalProperties: false } : schema;
    closed.set(schema, c);
  }
  return c;
}

/**
 * The parameters a run gets: `given` checked against the manifest's `orchestrator.params`, with
 * every `default` of the schema filled in. `{}` when the manifest declares none and none are given.
 * The caller's object is not changed.
 *
 * @throws BatonError `BAD_REQUEST` naming each field and what was expected; `details` holds the
 * `ParamProblem[]`.
 */
export function resolveParams(manifest: Manifest, given: unknown): Record<string, unknown> {
  const checked = checkParams(manifest, given);
  if ('problems' in checked) throw paramsError(checked.problems);
  return checked.params;
}

/**
 * What {@link resolveParams} does, with the problems returned at their paths rather than thrown:
 * for callers that report them as their own fields (an eval case's `params`).
 */
export function checkParams(manifest: Manifest, given: unknown): { params: Record<string, unknown> } | { problems: LocatedParamProblem[] } {
  const schema = manifest.orchestrator.params;
  if (given !== undefined && !isPlainObject(given)) {
    return { problems: [{ path: [], message: `expected a mapping of parameter names to values, got ${describeParam(given)}` }] };
  }
  const names = Object.keys(given ?? {});
  if (!schema) {
    if (names.length === 0) return { params: {} };
    const where = manifest.file ? ` in ${manifest.file}` : '';
    return { problems: names.map((n) => ({ path: [n], message: `unknown parameter "${n}": this orchestrator takes no parameters (declare them under orchestrator.params${where})` })) };
  }
  let params: Record<string, unknown>;
  try {
    params = JSON.parse(JSON.stringify(given ?? {})) as Record<string, unknown>;
  } catch (e) {
    if (isStackOverflow(e)) return { problems: [tooDeep] };
    return { problems: [{ path: [], message: `the parameters must be JSON values: ${(e as Error).message}` }] };
  }
  if (nestsDeeperThan(params, MAX_JSON_DEPTH)) return { problems: [tooDeep] };
  // JSON turns Infinity and NaN into null: said as such, not as an empty value nobody gave.
  const unwritable = notJsonNumbers(given, params);
  const validate = compileSchemaWithDefaults(checkedSchema(schema));
  if ((validate(params) as boolean) && unwritable.length === 0) return { params };
  const fields = new Set(unwritable.map((p) => formatPath(p.path)));
  const others = describeParamErrors(validate.errors ?? [], schema, params).filter((p) => !fields.has(formatPath(p.path)));
  return { problems: [...unwritable, ...others] };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `null` for null: a parameter given as null was given (describeValue words YAML's empty value). */
function describeParam(value: unknown): string {
  return value === null ? 'null' : describeValue(value);
}

/**
 * The numbers of `given` that JSON cannot write (Infinity, NaN: `--param n=1e400`), found where
 * its JSON copy `copy` holds null instead.
 */
function notJsonNumbers(given: unknown, copy: unknown, path: PathSegment[] = [], found: LocatedParamProblem[] = []): LocatedParamProblem[] {
  if (copy === null) {
    if (typeof given === 'number' && Number.isNaN(given)) found.push({ path: [...path], message: 'got NaN, which is not a JSON number' });
    else if (typeof given === 'number' && !Number.isFinite(given)) {
      found.push({ path: [...path], message: `the number is too ${given > 0 ? 'large' : 'small'} to be a JSON number (got ${given}; JSON numbers go from about -1.8e308 to 1.8e308)` });
    }
    return found;
  }
  if (Array.isArray(copy) && Array.isArray(given)) {
    copy.forEach((item, i) => {
      path.push(i);
      notJsonNumbers(given[i], item, path, found);
      path.pop();
    });
  } else if (isPlainObject(copy) && isPlainObject(given)) {
    for (const key of Object.keys(copy)) {
      path.push(key);
      notJsonNumbers(given[key], copy[key], path, found);
      path.pop();
    }
  }
  return found;
}

function paramsError(located: LocatedParamProblem[]): BatonError {
  const problems: ParamProblem[] = located.map((p) => ({ field: formatPath(['params', ...p.path]), message: p.message }));
  const line = (p: ParamProblem): string => `${p.field}: ${p.message}`;
  // The first 50 told, the first 100 kept: a document of 200 000 unknown keys is one mistake, not 15 MB of error.
  const text = problems.length === 1 ? `invalid run parameter:\n  ${line(problems[0]!)}` : `invalid run parameters ${problemList(problems, line)}`;
  return new BatonError('BAD_REQUEST', text, { retryable: false, details: problems.slice(0, PROBLEMS_KEPT) });
}

/** The path of an ajv error below `params`: `/range/from` → `['range', 'from']`, `/tags/1` → `['tags', 1]`. */
function pathOf(instancePath: string, params: Record<string, unknown>): PathSegment[] {
  const path: PathSegment[] = [];
  let at: unknown = params;
  for (const raw of instancePath.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const segment = Array.isArray(at) ? Number(key) : key;
    path.push(segment);
    at = isPlainObject(at) || Array.isArray(at) ? (at as Record<PathSegment, unknown>)[segment] : undefined;
  }
  return path;
}

/** The schema of the value at a path (through `properties` and `items`), to say what it expects. */
function propertySchema(schema: JsonSchema, path: readonly PathSegment[]): JsonSchema | undefined {
  let at: unknown = schema;
  for (const p of path) {
    const s = at as { properties?: Record<string, unknown>; items?: unknown; prefixItems?: unknown } | undefined;
    if (typeof p === 'number') {
      const tuple = Array.isArray(s?.prefixItems) ? s.prefixItems : Array.isArray(s?.items) ? s.items : undefined;
      at = tuple ? (p < tuple.length ? tuple[p] : undefined) : s?.items;
    } else {
      at = s?.properties !== undefined && Object.hasOwn(s.properties, p) ? s.properties[p] : undefined;
    }
    if (at === undefined) return undefined;
  }
  return isPlainObject(at) ? at : undefined;
}

/** "a string", "an integer", "one of "c", "f"": what a property's schema expects, when it says. */
function expected(s: JsonSchema | undefined): string | undefined {
  if (!s) return undefined;
  if (Array.isArray(s['enum'])) return `one of ${s['enum'].map((v) => JSON.stringify(v)).join(', ')}`;
  const t = s['type'];
  const one = (x: unknown): string => `${/^[aeiou]/.test(String(x)) ? 'an' : 'a'} ${String(x)}`;
  if (typeof t === 'string') return one(t);
  if (Array.isArray(t)) return t.map(one).join(' or ');
  return undefined;
}

function describeParamErrors(errors: readonly ErrorObject[], schema: JsonSchema, params: Record<string, unknown>): LocatedParamProblem[] {
  const problems: LocatedParamProblem[] = [];
  const seen = new Set<string>();
  const add = (p: LocatedParamProblem): void => {
    const key = `${formatPath(p.path)}\n${p.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    problems.push(p);
  };
  for (const e of errors) {
    const path = pathOf(e.instancePath, params);
    const got = (): string => describeParam(valueAt(params, path));
    if (e.keyword === 'required') {
      const name = String((e.params as { missingProperty?: string }).missingProperty);
      const want = expected(propertySchema(schema, [...path, name]));
      add({ path: [...path, name], message: `missing required parameter "${name}"${want ? ` (expected ${want})` : ''}` });
    } else if (e.keyword === 'additionalProperties') {
      const name = String((e.params as { additionalProperty?: string }).additionalProperty);
      const known = Object.keys((propertySchema(schema, path) ?? (path.length === 0 ? schema : {}))['properties'] ?? {});
      const list = known.length > 0 ? `; the parameters are: ${known.join(', ')}` : '';
      add({ path: [...path, name], message: `unknown parameter "${name}"${didYouMean(name, known)}${list}` });
    } else if (e.keyword === 'type' || e.keyword === 'enum' || e.keyword === 'const') {
      // ajv's own words ("must be string") do not follow "expected": say it from its params instead.
      const { type, allowedValues, allowedValue } = e.params as { type?: unknown; allowedValues?: unknown; allowedValue?: unknown };
      const want = e.keyword === 'const' ? JSON.stringify(allowedValue) : expected(propertySchema(schema, path)) ?? expected({ type, enum: allowedValues }) ?? e.message ?? e.keyword;
      add({ path, message: `expected ${want}, got ${got()}` });
    } else {
      add({ path, message: `${e.message ?? e.keyword}, got ${got()}` });
    }
  }
  return problems;
}

function valueAt(params: Record<string, unknown>, path: readonly PathSegment[]): unknown {
  let at: unknown = params;
  for (const p of path) at = isPlainObject(at) || Array.isArray(at) ? (at as Record<PathSegment, unknown>)[p] : undefined;
  return at;
}
