/** Loading and validating `baton.yaml` (DESIGN.md section 3). */
export { loadManifest, parseManifest, manifestFromObject, DEFAULT_MANIFEST_FILE, type ManifestLoadOptions } from './load.ts';
export { defineManifest, type ManifestInput } from './define.ts';
export { manifestJsonSchema } from './json-schema.ts';
export { compileSchema as compileJsonSchema } from '../validation/schema-compiler.ts';
export type { EnvSource } from './interpolate.ts';
