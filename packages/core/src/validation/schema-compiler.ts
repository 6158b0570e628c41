import { createRequire } from 'node:module';
import type { Ajv, ErrorObject, Options, ValidateFunction } from 'ajv';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import type ajvFormats from 'ajv-formats';
import type { JsonSchema } from '../core/types.ts';
import { isStackOverflow } from './json-depth.ts';
import { findPattern, linearRegExp, PatternError } from './linear-regexp.ts';

// ajv and its formats (~3 MB of memory) load on the first schema compiled: runs whose artifacts
// have no JSON Schema never need them. They are CommonJS, so require() loads them synchronously.
const requireCjs = createRequire(import.meta.url);

const DRAFT_2020 = 'https://json-schema.org/draft/2020-12/schema';

const OPTIONS: Options = {
  allErrors: true,
  // Unknown keywords and formats are errors (they are usually typos); style hints are not.
  strict: true,
  strictTypes: false,
  strictTuples: false,
  strictRequired: false,
  // Schemas are not registered by $id, so two artifact schemas may share one.
  addUsedSchema: false,
  // Patterns come from manifests: matched in linear time, so none can hold the process. Without
  // ajv's optimisation pass over the code it generates, a schema compiles in half the time (a
  // manifest's schemas are all compiled when it loads) and validates as fast: V8 optimises it.
  code: { regExp: linearRegExp, optimize: false },
};

// Building an ajv instance costs ~100 ms; one per dialect (and for run parameters, which get their
// `default`s filled in) is kept. Checking a schema against its dialect's meta-schema compiles that
// meta-schema first (~70 ms per instance): the instances that fill in defaults leave the check to
// the plain one of their dialect, so a process compiles each meta-schema once.
const instances = new Map<string, Ajv | Ajv2020>();
const compiled = new WeakMap<JsonSchema, ValidateFunction>();
const compiledWithDefaults = new WeakMap<JsonSchema, ValidateFunction>();

function ajvFor(schema: JsonSchema, useDefaults = false): Ajv | Ajv2020 {
  const is2020 = typeof schema['$schema'] === 'string' && schema['$schema'].replace(/#$/, '') === DRAFT_2020;
  const key = `${is2020 ? '2020' : '07'}${useDefaults ? '+defaults' : ''}`;
  let ajv = instances.get(key);
  if (!ajv) {
    const options = useDefaults ? { ...OPTIONS, useDefaults: true, validateSchema: false } : OPTIONS;
    ajv = withFormats(
      is2020
        ? new (requireCjs('ajv/dist/2020.js') as { Ajv2020: typeof Ajv2020 }).Ajv2020(options)
        : new (requireCjs('ajv') as { Ajv: typeof Ajv }).Ajv(options),
    );
    instances.set(key, ajv);
  }
  return ajv;
}

function withFormats<T extends Ajv | Ajv2020>(ajv: T): T {
  (requireCjs('ajv-formats') as typeof ajvFormats).default(ajv);
  return ajv;
}

/**
 * Compiles an artifact's JSON Schema, once per schema object: draft 2020-12 when its `$schema`
 * says so, draft-07 otherwise, with the standard formats and all errors reported, and patterns
 * matched in linear time (see `linear-regexp.ts`). Throws (ajv's message) when the schema is
 * broken: an invalid keyword value, an unknown keyword or format, an unresolved $ref, a pattern
 * RE2 cannot run (its location in the schema). The manifest loader calls it at load time, the
 * validator on every output.
 */
export function compileSchema(schema: JsonSchema): ValidateFunction {
  return compileInto(compiled, schema, false);
}

/**
 * Like {@link compileSchema}, but the function fills in the `default` of every property left out
 * (it changes the object it checks): run parameters are compiled this way.
 */
export function compileSchemaWithDefaults(schema: JsonSchema): ValidateFunction {
  return compileInto(compiledWithDefaults, schema, true);
}

function compileInto(cache: WeakMap<JsonSchema, ValidateFunction>, schema: JsonSchema, useDefaults: boolean): ValidateFunction {
  let fn = cache.get(schema);
  if (fn) return fn;
  const ajv = ajvFor(schema, useDefaults);
  let compiling = schema;
  try {
    // Throws "schema is invalid: ..." as compile does where it checks the schema itself.
    if (useDefaults) void ajvFor(schema).validateSchema(schema, true);
    compiling = withRootId(schema);
    fn = ajv.compile(compiling);
  } catch (e) {
    if (e instanceof TypeError) {
      // ajv's deep equality, comparing enum values with each other, calls an object's own
      // `toString` or `valueOf` key: {"toString": false} in an enum made compile throw this.
      throw new Error(`the schema cannot be compiled: ${e.message} (an enum or const value that is an object with its own "toString" or "valueOf" key that is not a function?)`, { cause: e });
    }
    if (isStackOverflow(e)) {
      // ajv follows a $ref to the schema it names while compiling: references that only name each other never end.
      throw new Error('the schema cannot be compiled: its $ref references go round in a cycle that reaches no schema (as #/$defs/a → #/$defs/b → #/$defs/a), or it nests too deeply', { cause: e });
    }
    if (!(e instanceof PatternError)) throw e;
    const at = findPattern(schema, e.pattern);
    throw new Error(`the pattern ${JSON.stringify(e.pattern)}${at === undefined ? '' : ` at ${at}`} ${e.reason}`, { cause: e });
  } finally {
    // The compiled function stands alone; keeping the schema in ajv's cache would only grow it.
    ajv.removeSchema(compiling);
  }
  cache.set(schema, fn);
  return fn;
}

/** The base URI given to a schema that refers to its root and has none (see {@link withRootId}). */
const ROOT_ID = 'baton:schema';

/**
 * The schema with a base URI when it refers to its root (`"$ref": "#"`: a schema that nests
 * itself, as a tree or a comment thread) and has none. ajv resolves that reference against the
 * root's id or, when the root has none, against the schema it registered under "", which
 * `addUsedSchema: false` leaves out: such a valid schema failed with "can't resolve reference #".
 */
function withRootId(schema: JsonSchema): JsonSchema {
  if (typeof schema !== 'object' || schema === null || Object.hasOwn(schema, '$id') || !refersToRoot(schema)) return schema;
  return { $id: ROOT_ID, ...schema };
}

/** True when some `$ref` in `schema` is `#` or `#/` (walked without recursion: schemas may nest deeply). */
function refersToRoot(schema: object): boolean {
  const seen = new Set<object>();
  const stack: object[] = [schema];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (seen.has(node)) continue;
    seen.add(node);
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && (value === '#' || value === '#/')) return true;
      if (typeof value === 'object' && value !== null) stack.push(value as object);
    }
  }
  return false;
}

/** Turns ajv errors into short lines that name the failing path and the rule: `/0/price is required`. */
export function describeSchemaErrors(errors: readonly ErrorObject[] | null | undefined, max = 10): string[] {
  if (!errors) return [];
  const lines: string[] = [];
  for (const e of errors) {
    const at = e.instancePath || '';
    let line: string;
    if (e.keyword === 'required') {
      line = `${at}/${String((e.params as { missingProperty?: string }).missingProperty)} is required`;
    } else if (e.keyword === 'additionalProperties') {
      line = `${at || '/'} has unexpected property '${String((e.params as { additionalProperty?: string }).additionalProperty)}'`;
    } else if (e.keyword === 'enum') {
      line = `${at || '/'} must be one of ${JSON.stringify((e.params as { allowedValues?: unknown }).allowedValues)}`;
    } else {
      line = `${at || '/'} ${e.message ?? e.keyword}`;
    }
    if (!lines.includes(line)) lines.push(line);
    if (lines.length >= max) break;
  }
  const more = errors.length - lines.length;
  if (more > 0 && lines.length >= max) lines.push(`(${more} more)`);
  return lines;
}
