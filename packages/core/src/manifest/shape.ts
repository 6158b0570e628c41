/**
 * Field-by-field validation of a manifest with zod, turning every issue into a finding whose
 * message says what was expected and what was found.
 */
import { z } from 'zod';
import { closest, describeValue, didYouMean, formatPath, type FieldPath } from './describe.ts';
import type { Finding } from './findings.ts';
import { isRecord } from './lenient.ts';
import { agentCommonFields, FIELD_KIND, manifestSchema, type ParsedManifest } from './schema.ts';

type RawIssue = z.core.$ZodRawIssue;
type Issue = z.core.$ZodIssue;

/** Used when an agent's kind is missing or wrong, to still report problems in its common fields. */
const agentCommonSchema = z.looseObject(agentCommonFields);

export interface ShapeResult {
  /** The manifest with defaults applied, when it has no shape problems. */
  manifest?: ParsedManifest;
  findings: Finding[];
}

/** Validates the manifest's shape: types, required fields, unknown keys, per-kind fields. */
export function validateShape(value: unknown): ShapeResult {
  const knownKeys = new WeakMap<object, readonly string[]>();
  const result = manifestSchema.safeParse(value, { reportInput: true, error: errorMap(knownKeys) });
  if (result.success) return { manifest: result.data, findings: [] };
  const findings = result.error.issues.flatMap((issue) => toFindings(issue, [], knownKeys));
  // A misspelt key is reported once, as unknown with its suggestion, not also as a missing field.
  const meant = new Set(findings.flatMap((f) => (f.meant === undefined ? [] : [formatPath([...f.path.slice(0, -1), f.meant])])));
  return { findings: findings.filter((f) => !(f.missing === true && meant.has(formatPath(f.path)))) };
}

interface ShapeFinding extends Finding {
  /** The value is absent (a required field). */
  missing?: boolean;
  /** For an unknown key: the known key it is a near miss of. */
  meant?: string;
}

function toFindings(issue: Issue, prefix: FieldPath, knownKeys: WeakMap<object, readonly string[]>): ShapeFinding[] {
  const path = [...prefix, ...issue.path.map((segment) => (typeof segment === 'number' ? segment : String(segment)))];
  if (issue.code === 'unrecognized_keys') {
    const input = issue.input ?? {};
    const known = knownKeys.get(input) ?? [];
    return issue.keys.map((key) => ({ path: [...path, key], at: 'key', ...unknownKey(path, key, known, input) }));
  }
  if (issue.code === 'invalid_union' && issue.discriminator !== undefined && path[0] === 'agents' && path.length === 3) {
    // Without a valid kind zod checks nothing else in the agent; check the fields all kinds share.
    const agentPath = path.slice(0, -1);
    const common = agentCommonSchema.safeParse(issue.input, { reportInput: true, error: errorMap(knownKeys) });
    const more = common.success ? [] : common.error.issues.flatMap((inner) => toFindings(inner, agentPath, knownKeys));
    return [{ path, message: issue.message }, ...more];
  }
  return [{ path, message: issue.message, missing: issue.input === undefined }];
}

function unknownKey(objectPath: FieldPath, key: string, known: readonly string[], input: Record<string, unknown>): { message: string; meant?: string } {
  if (objectPath.length === 1 && objectPath[0] === 'orchestrator' && key === 'tools') {
    return {
      message:
        'the orchestrator never calls tools: it plans, routes, validates and integrates. Give the tools to a sub-agent of kind llm (agents.<name>.tools)',
    };
  }
  const ownerKind = FIELD_KIND.get(key);
  if (objectPath.length === 2 && objectPath[0] === 'agents' && ownerKind !== undefined) {
    return { message: `${key} is only for agents of kind ${ownerKind}, and this agent is kind ${String(input['kind'])}: remove ${key} or change kind` };
  }
  const meant = closest(key, known);
  if (meant === undefined) return { message: `unknown key "${key}"; expected one of: ${known.join(', ')}` };
  return { message: `unknown key "${key}" (did you mean "${meant}"?)`, meant };
}

/**
 * Messages in the form "expected X, got Y" for every issue a schema does not word itself. Unknown
 * keys record the keys their object knows in `knownKeys`, for "did you mean" suggestions.
 */
export function errorMap(knownKeys: WeakMap<object, readonly string[]>): z.core.$ZodErrorMap {
  return (issue: RawIssue) => {
    const got = describeValue(issue.input);
    switch (issue.code) {
      case 'invalid_type': {
        const expected = EXPECTED_TYPE[issue.expected] ?? `a ${issue.expected}`;
        if (issue.input === undefined) return `missing: expected ${expected}`;
        const quoteHint =
          issue.expected === 'string' && (typeof issue.input === 'number' || typeof issue.input === 'boolean')
            ? ` (quote it to mean the text "${String(issue.input)}")`
            : '';
        return `expected ${expected}, got ${got}${quoteHint}`;
      }
      case 'invalid_value': {
        const options = issue.values.map((v) => String(v));
        if (issue.input === undefined) return `missing: expected ${options.join(' | ')}`;
        const expected = options.length === 1 ? options.join('') : `one of ${options.join(' | ')}`;
        const hint = typeof issue.input === 'string' ? didYouMean(issue.input, options) : '';
        return `expected ${expected}, got ${got}${hint}`;
      }
      case 'invalid_union': {
        const listed: unknown = issue['options'];
        if (issue.discriminator === undefined || !Array.isArray(listed)) return undefined;
        const options = listed.map((v) => String(v));
        const found = isRecord(issue.input) ? issue.input[issue.discriminator] : undefined;
        if (found === undefined) return `missing: expected one of ${options.join(' | ')}`;
        const hint = typeof found === 'string' ? didYouMean(found, options) : '';
        return `expected one of ${options.join(' | ')}, got ${describeValue(found)}${hint}`;
      }
      case 'too_small':
        return `expected ${bound('at least', 'greater than', issue.origin, issue.minimum, issue.inclusive)}, got ${got}`;
      case 'too_big':
        return `expected ${bound('at most', 'less than', issue.origin, issue.maximum, issue.inclusive)}, got ${got}`;
      case 'invalid_format':
        return issue.format === 'regex' && issue.pattern !== undefined
          ? `expected text matching ${issue.pattern}, got ${got}`
          : `expected a valid ${issue.format}, got ${got}`;
      case 'unrecognized_keys':
        if (isRecord(issue.input) && issue.inst instanceof z.ZodObject) knownKeys.set(issue.input, Object.keys(issue.inst.shape));
        return `unknown keys: ${issue.keys.join(', ')}`;
      // zod words these well enough itself.
      case 'custom':
      case 'invalid_element':
      case 'invalid_key':
      case 'not_multiple_of':
        return undefined;
    }
  };
}

const EXPECTED_TYPE: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

function bound(inclusiveWord: string, exclusiveWord: string, origin: string, limit: number | bigint, inclusive?: boolean): string {
  const word = inclusive === false ? exclusiveWord : inclusiveWord;
  if (origin === 'array') return `${word} ${limit} item${limit === 1 ? '' : 's'}`;
  if (origin === 'string') return word === 'at least' && limit === 1 ? 'a non-empty string' : `${word} ${limit} characters`;
  return `a number ${word} ${limit}`;
}
