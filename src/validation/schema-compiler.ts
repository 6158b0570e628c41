import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { JsonSchema } from '../core/types.ts';

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv | Ajv2020) => void;

let draft7: Ajv | undefined;
let draft2020: Ajv2020 | undefined;
const cache = new WeakMap<JsonSchema, ValidateFunction>();

function ajvFor(schema: JsonSchema): Ajv | Ajv2020 {
  const dialect = typeof schema.$schema === 'string' ? schema.$schema : '';
  if (dialect.includes('2020-12') || dialect.includes('2019-09')) {
    if (!draft2020) {
      draft2020 = new Ajv2020({ allErrors: true, strict: false });
      addFormats(draft2020);
    }
    return draft2020;
  }
  if (!draft7) {
    draft7 = new Ajv({ allErrors: true, strict: false });
    addFormats(draft7);
  }
  return draft7;
}

/** Compiles (once per schema object) a JSON Schema; throws with ajv's message if the schema is broken. */
export function compileSchema(schema: JsonSchema): ValidateFunction {
  let fn = cache.get(schema);
  if (!fn) {
    fn = ajvFor(schema).compile(schema);
    cache.set(schema, fn);
  }
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
