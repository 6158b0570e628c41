import { errorMessage } from '../core/errors.ts';
import type { AgentOutput, AgentSpec } from '../core/types.ts';
import { outputCopy } from './output-size.ts';
import { compileSchema, describeSchemaErrors } from './schema-compiler.ts';

export type OutputCheck =
  | { ok: true; output: AgentOutput }
  | { ok: false; problems: string[] };

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') {
    for (const _ in value) return false;
    return true;
  }
  return false;
}

function hasKeys(record: object): boolean {
  for (const _ in record) return true;
  return false;
}

/** How a value is named in messages: `null`, `an array`, `an object`, `a string`... */
export function kindOf(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Checks one agent output: a JSON object holding every artifact the task expects, none empty,
 * each valid against the artifact's JSON Schema when the manifest gives one. The output is
 * normalised through JSON so what is journaled is exactly what downstream agents receive;
 * `producer` is the `run` function that answered (an answer Baton parsed from its JSON text needs no copy).
 */
export function checkOutput(spec: AgentSpec, expected: readonly string[], raw: unknown, options: { maxOutputBytes?: number } = {}, producer?: object): OutputCheck {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, problems: [`expected a JSON object with ${describeKeys(expected)}, got ${kindOf(raw)}`] };
  }
  let output: AgentOutput;
  try {
    output = outputCopy(raw, options.maxOutputBytes, producer) as AgentOutput;
  } catch (e) {
    return { ok: false, problems: [errorMessage(e)] };
  }
  if (output === undefined) {
    return { ok: false, problems: [`expected a JSON object with ${describeKeys(expected)}, got a value that JSON turns into nothing`] };
  }
  // A Date, a boxed primitive or a toJSON() can turn an object into something else in JSON.
  if (typeof output !== 'object' || output === null || Array.isArray(output)) {
    return { ok: false, problems: [`expected a JSON object with ${describeKeys(expected)}, got a value that JSON turns into ${kindOf(output)}`] };
  }
  // Made on the first problem: most outputs have none.
  let problems: string[] | undefined;
  // Looking up an artifact in an empty `output` is a miss per artifact (slow with many agents).
  const schemas = hasKeys(spec.output) ? spec.output : undefined;
  for (const artifact of expected) {
    // Own keys only: an artifact named like an Object.prototype member ('constructor') is not there by inheritance.
    const value = Object.hasOwn(output, artifact) ? output[artifact] : undefined;
    if (value === undefined) {
      (problems ??= []).push(`artifact '${artifact}' is missing (expected ${describeKeys(expected)})`);
      continue;
    }
    if (isEmpty(value)) {
      (problems ??= []).push(`artifact '${artifact}' is empty`);
      continue;
    }
    const schema = schemas?.[artifact]?.schema;
    if (!schema) continue;
    let validate: ReturnType<typeof compileSchema>;
    let valid: boolean;
    try {
      validate = compileSchema(schema);
      valid = validate(value) as boolean;
    } catch (e) {
      // ajv's deep equality (enum, const, uniqueItems) calls an object's own `valueOf` key when it
      // has one: JSON like {"valueOf": ""} makes it throw, and such a key in the schema's own enum
      // makes its compile throw. A clear problem beats a crash.
      (problems ??= []).push(`artifact '${artifact}' could not be checked against its schema: ${errorMessage(e)}`);
      continue;
    }
    if (!valid) {
      for (const line of describeSchemaErrors(validate.errors)) (problems ??= []).push(`artifact '${artifact}': ${line}`);
    }
  }
  return problems ? { ok: false, problems } : { ok: true, output };
}

function describeKeys(keys: readonly string[]): string {
  return keys.length === 1 ? `key '${keys[0]}'` : `keys ${keys.map((k) => `'${k}'`).join(', ')}`;
}
