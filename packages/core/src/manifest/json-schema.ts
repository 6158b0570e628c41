import { z } from 'zod';
import { manifestSchema } from './schema.ts';

/** Where the committed copy lives, relative to the repository root. */
export const MANIFEST_SCHEMA_FILE = 'docs/baton.schema.json';

/**
 * A JSON Schema (2020-12) of the manifest format, for editors (e.g. the YAML language server's
 * `# yaml-language-server: $schema=...`). It describes fields one at a time; rules across fields
 * (references, cycles, files) are checked only by the loader.
 */
export function manifestJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(manifestSchema, {
    io: 'input',
    target: 'draft-2020-12',
    override: ({ jsonSchema }) => allowPlaceholders(jsonSchema),
  });
}

/**
 * A string with a format or pattern (urls, provider:model) may be written as `${VAR}` and checked
 * by the loader after substitution, so the editor accepts either form.
 */
function allowPlaceholders(schema: Record<string, unknown>): void {
  if (schema['type'] !== 'string' || (schema['format'] === undefined && schema['pattern'] === undefined)) return;
  const { description, ...checked } = schema;
  for (const key of Object.keys(schema)) delete schema[key];
  if (description !== undefined) schema['description'] = description;
  schema['anyOf'] = [checked, { type: 'string', pattern: '\\$\\{' }];
}
