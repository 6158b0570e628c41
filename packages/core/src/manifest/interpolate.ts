/**
 * `${VAR}` and `${VAR:-default}` in string values, replaced from the environment at load time.
 * As in a shell, the default is used when the variable is unset or empty. `$${VAR}` stands for the
 * literal text `${VAR}` (for instructions that talk about placeholders).
 */
import type { FieldPath } from './describe.ts';
import type { Finding } from './findings.ts';

/** The variables `${...}` may read; `process.env` unless a loader is given another. */
export type EnvSource = Readonly<Record<string, string | undefined>>;

const PLACEHOLDER = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * A copy of `value` with placeholders in every string replaced; keys are left as written. Each
 * unset variable without a default is a finding naming the field and the variable.
 */
export function interpolateEnv(value: unknown, env: EnvSource, findings: Finding[], path: FieldPath = []): unknown {
  if (typeof value === 'string') return interpolateString(value, env, findings, path);
  if (Array.isArray(value)) return value.map((item, index) => interpolateEnv(item, env, findings, [...path, index]));
  if (isPlainObject(value)) {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      // Defined, not assigned: a key named __proto__ stays a key (the reference checks refuse it) instead of becoming the prototype.
      Object.defineProperty(copy, key, { value: interpolateEnv(item, env, findings, [...path, key]), enumerable: true, writable: true, configurable: true });
    }
    return copy;
  }
  return value;
}

function interpolateString(text: string, env: EnvSource, findings: Finding[], path: FieldPath): string {
  if (!text.includes('${')) return text;
  return text.replace(PLACEHOLDER, (match, name: string | undefined, fallback: string | undefined) => {
    if (name === undefined) return '${'; // the escape $${
    const found = env[name];
    if (found !== undefined && found !== '') return found;
    if (fallback !== undefined) return fallback;
    if (found === '') return '';
    findings.push({
      path,
      message: `environment variable ${name} is not set: set it, or write \${${name}:-default} (or $\${${name}} for the literal text)`,
    });
    return match;
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
