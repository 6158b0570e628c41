import { Ajv, type Options, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import type { JsonSchema } from '../core/types.ts';

const DRAFT_2020 = 'https://json-schema.org/draft/2020-12/schema';

const OPTIONS: Options = {
  allErrors: true,
  // Unknown keywords and formats are errors (they are usually typos); type and tuple hints are not.
  strict: true,
  strictTypes: false,
  strictTuples: false,
};

/**
 * Compiles an artifact's JSON Schema: draft 2020-12 when its `$schema` says so, draft-07
 * otherwise, with the standard formats. Throws (ajv's message) when the schema is broken.
 * A fresh ajv per schema, so two schemas may use the same `$id`.
 */
export function compileJsonSchema(schema: JsonSchema): ValidateFunction {
  const is2020 = typeof schema['$schema'] === 'string' && schema['$schema'].replace(/#$/, '') === DRAFT_2020;
  const ajv = is2020 ? new Ajv2020(OPTIONS) : new Ajv(OPTIONS);
  // ajv-formats is CommonJS; under NodeNext its default import is the module object.
  ajvFormats.default(ajv);
  return ajv.compile(schema);
}
