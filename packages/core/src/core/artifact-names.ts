/**
 * Names no artifact may have: the members of every JavaScript object (`__proto__`, `constructor`,
 * `toString`...) and `prototype`. Artifacts are kept in objects keyed by name (agent inputs,
 * outputs, the deliverable); such a name would reach a prototype instead of a value.
 */
export const RESERVED_ARTIFACT_NAMES: ReadonlySet<string> = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

/** Why `name` cannot name an artifact, or undefined when it can. */
export function reservedArtifactName(name: string): string | undefined {
  if (!RESERVED_ARTIFACT_NAMES.has(name)) return undefined;
  const instead = `${name.replace(/^_+|_+$/g, '')}-data`;
  return `"${name}" cannot name an artifact: it is a member of every JavaScript object (Object.prototype); choose another name, e.g. "${instead}"`;
}

/**
 * Sets `record[key] = value` as an own property of a plain object, even for a key such as
 * `__proto__` (an assignment would set the object's prototype instead). For the objects handed
 * to users keyed by artifact name (agent inputs, the deliverable): plain objects, as JSON makes.
 */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  // An assignment makes the same own property for any other name, and defining one is a slow path.
  if (RESERVED_ARTIFACT_NAMES.has(key)) Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}

/**
 * `record[key]` when `record` has it as its own entry, else undefined: a name from outside (a
 * workflow or agent named in a request, a plan, a suite) such as `toString` or `__proto__` must
 * not find what every object inherits.
 */
export function ownValue<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

/** A plain object with the own entries of `record` (which may have no prototype), set with {@link setOwn}. */
export function ownCopy<T>(record: Readonly<Record<string, T>> | undefined): Record<string, T> {
  const copy: Record<string, T> = {};
  if (!record) return copy;
  for (const key in record) if (Object.hasOwn(record, key)) setOwn(copy, key, record[key] as T);
  return copy;
}
