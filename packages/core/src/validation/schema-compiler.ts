import { createRequire } from 'node:module';
import type { Ajv, ErrorObject, Options, ValidateFunction } from 'ajv';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import type ajvFormats from 'ajv-formats';
import type { JsonSchema } from '../core/types.ts';

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
};

// Building an ajv instance costs ~100 ms; one per dialect is kept.
let draft07: Ajv | undefined;
let draft2020: Ajv2020 | undefined;
const compiled = new WeakMap<JsonSchema, ValidateFunction>();

function ajvFor(schema: JsonSchema): Ajv | Ajv2020 {
  const is2020 = typeof schema['$schema'] === 'string' && schema['$schema'].replace(/#$/, '') === DRAFT_2020;
  if (is2020) return (draft2020 ??= withFormats(new (requireCjs('ajv/dist/2020.js') as { Ajv2020: typeof Ajv2020 }).Ajv2020(OPTIONS)));
  return (draft07 ??= withFormats(new (requireCjs('ajv') as { Ajv: typeof Ajv }).Ajv(OPTIONS)));
}

function withFormats<T extends Ajv | Ajv2020>(ajv: T): T {
  (requireCjs('ajv-formats') as typeof ajvFormats).default(ajv);
  return ajv;
}

/**
 * Compiles an artifact's JSON Schema, once per schema object: draft 2020-12 when its `$schema`
 * says so, draft-07 otherwise, with the standard formats and all errors reported. Throws (ajv's
 * message) when the schema is broken: an invalid keyword value, an unknown keyword or format, an
 * unresolved $ref. The manifest loader calls it at load time, the validator on every output.
 */
export function compileSchema(schema: JsonSchema): ValidateFunction {
  let fn = compiled.get(schema);
  if (fn) return fn;
  const ajv = ajvFor(schema);
  try {
    fn = ajv.compile(schema);
  } finally {
    // The compiled function stands alone; keeping the schema in ajv's cache would only grow it.
    ajv.removeSchema(schema);
  }
  compiled.set(schema, fn);
  return fn;
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
