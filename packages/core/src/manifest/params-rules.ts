/**
 * Load-time rules for what a run parameters' schema declares: a schema that compiles can still
 * refuse every run (a `default` its own property refuses, a required parameter that the closed
 * schema refuses as unknown). Each is a mistake of the manifest, not of the caller.
 */
import type { JsonSchema } from '../core/types.ts';
import { namesEveryParam } from '../validation/params.ts';
import { compileSchema } from '../validation/schema-compiler.ts';
import { describeValue, didYouMean, type FieldPath } from './describe.ts';
import type { Finding } from './findings.ts';
import { isRecord } from './lenient.ts';

const AT = ['orchestrator', 'params'] as const;

/** The problems of `orchestrator.params` (a schema that compiles) that would make runs fail for want of a parameter. */
export function checkParamsDeclarations(params: JsonSchema): Finding[] {
  return [...undeclaredRequired(params), ...badDefaults(params, params, [...AT])];
}

/** Required names the closed schema would refuse as unknown: no run could give them. */
function undeclaredRequired(params: JsonSchema): Finding[] {
  const required = params['required'];
  if (!namesEveryParam(params) || !Array.isArray(required)) return [];
  const known = isRecord(params['properties']) ? Object.keys(params['properties']) : [];
  const list = known.length > 0 ? `; the parameters are: ${known.join(', ')}` : '';
  return required.flatMap((name: unknown, i) =>
    typeof name === 'string' && !known.includes(name)
      ? [{ path: [...AT, 'required', i], message: `"${name}" is required but not declared under properties${didYouMean(name, known)}, so it would be refused as an unknown parameter and no run could start${list}` }]
      : [],
  );
}

/** Defaults, at any depth of `properties`, that their own property's schema refuses. */
function badDefaults(schema: JsonSchema, root: JsonSchema, path: FieldPath): Finding[] {
  const properties = schema['properties'];
  if (!isRecord(properties)) return [];
  return Object.entries(properties).flatMap(([name, property]) => {
    if (!isRecord(property)) return [];
    const at = [...path, 'properties', name];
    const why = 'default' in property ? defaultRefusal(property, root) : undefined;
    const own = why === undefined ? [] : [{ path: [...at, 'default'], message: `the default ${describeValue(property['default'])} does not fit its own schema (${why}): every run that leaves "${name}" out would fail` }];
    return [...own, ...badDefaults(property, root, at)];
  });
}

/** Why a property's schema refuses its `default`, if it does; undefined when it cannot be told alone. */
function defaultRefusal(property: JsonSchema, root: JsonSchema): string | undefined {
  // The root's dialect and definitions come along, so `$ref: '#/$defs/…'` resolves.
  const alone: JsonSchema = { ...pick(root, ['$schema', '$defs', 'definitions']), ...property };
  let validate;
  try {
    validate = compileSchema(alone);
  } catch {
    return undefined;
  }
  if (validate(property['default'])) return undefined;
  return (validate.errors ?? []).map((e) => `${e.instancePath ? `${e.instancePath} ` : ''}${e.message ?? e.keyword}`).join('; ');
}

function pick(schema: JsonSchema, keys: readonly string[]): JsonSchema {
  return Object.fromEntries(keys.filter((k) => k in schema).map((k) => [k, schema[k]]));
}
