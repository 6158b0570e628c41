import type { ErrorObject } from 'ajv';
import { MAX_JSON_DEPTH } from '../core/defaults.ts';
import { BatonError } from '../core/errors.ts';
import type { JsonSchema, Manifest } from '../core/types.ts';
import { describeValue, didYouMean } from '../manifest/describe.ts';
import { isStackOverflow, nestsDeeperThan } from './json-depth.ts';
import { compileSchemaWithDefaults } from './schema-compiler.ts';

/** One thing wrong with the parameters a run was given: the field and what was expected. */
export interface ParamProblem {
  /** `params.city`, `params.range.from`. */
  field: string;
  message: string;
}

const closed = new WeakMap<JsonSchema, JsonSchema>();

const tooDeep: ParamProblem = { field: 'params', message: `the parameters nest arrays and objects more than ${MAX_JSON_DEPTH} levels deep, past what Baton takes` };

/**
 * The schema parameters are checked against: the manifest's `orchestrator.params`, where a schema
 * that says nothing about other properties refuses them (a misspelt parameter is a mistake to
 * report, not a value to ignore). Made once per schema object, so ajv compiles it once.
 */
function checkedSchema(schema: JsonSchema): JsonSchema {
  let c = closed.get(schema);
  if (!c) {
    const open = 'additionalProperties' in schema || 'unevaluatedProperties' in schema || 'patternProperties' in schema;
    c = open ? schema : { ...schema, additionalProperties: false };
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
  const schema = manifest.orchestrator.params;
  if (given !== undefined && !isPlainObject(given)) {
    throw paramsError([{ field: 'params', message: `expected a mapping of parameter names to values, got ${describeValue(given)}` }]);
  }
  const names = Object.keys(given ?? {});
  if (!schema) {
    if (names.length === 0) return {};
    const where = manifest.file ? ` in ${manifest.file}` : '';
    throw paramsError(names.map((n) => ({ field: `params.${n}`, message: `unknown parameter "${n}": this orchestrator takes no parameters (declare them under orchestrator.params${where})` })));
  }
  let params: Record<string, unknown>;
  try {
    params = JSON.parse(JSON.stringify(given ?? {})) as Record<string, unknown>;
  } catch (e) {
    if (isStackOverflow(e)) throw paramsError([tooDeep]);
    throw paramsError([{ field: 'params', message: `the parameters must be JSON values: ${(e as Error).message}` }]);
  }
  if (nestsDeeperThan(params, MAX_JSON_DEPTH)) throw paramsError([tooDeep]);
  const validate = compileSchemaWithDefaults(checkedSchema(schema));
  if (validate(params) as boolean) return params;
  throw paramsError(describeParamErrors(validate.errors ?? [], schema, params));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function paramsError(problems: ParamProblem[]): BatonError {
  const lines = problems.map((p) => `${p.field}: ${p.message}`);
  const head = problems.length === 1 ? 'invalid run parameter' : `invalid run parameters (${problems.length} problems)`;
  return new BatonError('BAD_REQUEST', `${head}:\n  ${lines.join('\n  ')}`, { retryable: false, details: problems });
}

/** The field of an ajv error: `/range/from` → `params.range.from`. */
function fieldOf(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) parts.push(extra);
  return ['params', ...parts].join('.');
}

/** The schema of the property at an instance path, to say what it expects. */
function propertySchema(schema: JsonSchema, path: string[]): JsonSchema | undefined {
  let at: unknown = schema;
  for (const p of path) {
    const props = (at as { properties?: Record<string, unknown> } | undefined)?.properties;
    at = props?.[p];
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

function describeParamErrors(errors: readonly ErrorObject[], schema: JsonSchema, params: Record<string, unknown>): ParamProblem[] {
  const problems: ParamProblem[] = [];
  const seen = new Set<string>();
  const add = (p: ParamProblem): void => {
    const key = `${p.field}\n${p.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    problems.push(p);
  };
  for (const e of errors) {
    const path = e.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (e.keyword === 'required') {
      const name = String((e.params as { missingProperty?: string }).missingProperty);
      const want = expected(propertySchema(schema, [...path, name]));
      add({ field: fieldOf(e.instancePath, name), message: `missing required parameter "${name}"${want ? ` (expected ${want})` : ''}` });
    } else if (e.keyword === 'additionalProperties') {
      const name = String((e.params as { additionalProperty?: string }).additionalProperty);
      const known = Object.keys((propertySchema(schema, path) ?? (path.length === 0 ? schema : {}))['properties'] ?? {});
      const list = known.length > 0 ? `; the parameters are: ${known.join(', ')}` : '';
      add({ field: fieldOf(e.instancePath, name), message: `unknown parameter "${name}"${didYouMean(name, known)}${list}` });
    } else if (e.keyword === 'type' || e.keyword === 'enum' || e.keyword === 'const') {
      const want = e.keyword === 'const' ? JSON.stringify((e.params as { allowedValue?: unknown }).allowedValue) : expected(propertySchema(schema, path)) ?? e.message ?? e.keyword;
      add({ field: fieldOf(e.instancePath), message: `expected ${want}, got ${describeValue(valueAt(params, path))}` });
    } else {
      add({ field: fieldOf(e.instancePath), message: `${e.message ?? e.keyword}, got ${describeValue(valueAt(params, path))}` });
    }
  }
  return problems;
}

function valueAt(params: Record<string, unknown>, path: readonly string[]): unknown {
  let at: unknown = params;
  for (const p of path) at = isPlainObject(at) || Array.isArray(at) ? (at as Record<string, unknown>)[p] : undefined;
  return at;
}
