/** Loading and validating `baton.yaml` (DESIGN.md section 3). */
export { loadManifest, parseManifest, manifestFromObject, DEFAULT_MANIFEST_FILE, type ManifestLoadOptions } from './load.ts';
export { defineManifest, type ManifestInput } from './define.ts';
export { manifestJsonSchema } from './json-schema.ts';
export { compileJsonSchema } from './json-schema-compiler.ts';
export type { EnvSource } from './interpolate.ts';
