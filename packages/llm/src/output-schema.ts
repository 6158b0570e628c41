/**
 * The one JSON Schema an `llm` agent's reply must follow: an object with one key per artifact
 * it produces, each holding that artifact's declared schema (any JSON when none is declared).
 */
import type { AgentSpec, JsonSchema } from 'batonjs/internal';

/** The reply schema of an agent that must produce `produces`. */
export function replySchemaOf(spec: Pick<AgentSpec, 'output'>, produces: readonly string[]): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const artifact of produces) properties[artifact] = nestSchema(spec.output[artifact]?.schema, artifact);
  return { type: 'object', properties, required: [...produces], additionalProperties: false };
}

/**
 * An artifact schema placed under `properties.<artifact>`: meta keys dropped, and local
 * references (`#/$defs/x`) rewritten to point inside the new location.
 */
function nestSchema(schema: JsonSchema | undefined, artifact: string): JsonSchema {
  if (!schema) return {};
  const { $schema: _schema, $id: _id, ...rest } = schema;
  const prefix = `#/properties/${artifact.replace(/~/g, '~0').replace(/\//g, '~1')}`;
  return rewriteRefs(rest, prefix) as JsonSchema;
}

function rewriteRefs(value: unknown, prefix: string): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, prefix));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    // "#/" names the root as "#" does (as ajv, which checks the reply, reads it).
    out[key] = key === '$ref' && typeof v === 'string' && v.startsWith('#') ? `${prefix}${v === '#/' ? '' : v.slice(1)}` : rewriteRefs(v, prefix);
  }
  return out;
}
