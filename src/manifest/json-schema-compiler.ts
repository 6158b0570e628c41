import { Ajv, type Options, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import type { JsonSchema } from '../core/types.ts';

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

function ajvFor(schema: JsonSchema): Ajv | Ajv2020 {
  const is2020 = typeof schema['$schema'] === 'string' && schema['$schema'].replace(/#$/, '') === DRAFT_2020;
  if (is2020) return (draft2020 ??= withFormats(new Ajv2020(OPTIONS)));
  return (draft07 ??= withFormats(new Ajv(OPTIONS)));
}

function withFormats<T extends Ajv | Ajv2020>(ajv: T): T {
  // ajv-formats is CommonJS; under NodeNext its default import is the module object.
  ajvFormats.default(ajv);
  return ajv;
}

/**
 * Compiles an artifact's JSON Schema: draft 2020-12 when its `$schema` says so, draft-07
 * otherwise, with the standard formats and all errors reported. Throws (ajv's message) when the
 * schema is broken: an invalid keyword value, an unknown keyword or format, an unresolved $ref.
 */
export function compileJsonSchema(schema: JsonSchema): ValidateFunction {
  const ajv = ajvFor(schema);
  try {
    return ajv.compile(schema);
  } finally {
    // The compiled function stands alone; keeping the schema in ajv's cache would only grow it.
    ajv.removeSchema(schema);
  }
}
