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
