import type { ManifestInput } from './schema.ts';

export type { ManifestInput };

/**
 * Identity helper for a manifest written in code: the editor completes and checks its fields
 * (unknown keys included). Pass the result to `manifestFromObject` to validate it.
 *
 * @example
 * const manifest = await manifestFromObject(defineManifest({ version: 1, orchestrator: {...}, agents: {...} }), { baseDir: import.meta.dirname });
 */
export function defineManifest(manifest: ManifestInput): ManifestInput {
  return manifest;
}
