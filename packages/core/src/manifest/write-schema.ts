/**
 * Writes the manifest's JSON Schema to docs/baton.schema.json. Run after changing `schema.ts`:
 * `npm run schema` at the repository's root (a test fails while the copy is stale).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { manifestJsonSchema, MANIFEST_SCHEMA_FILE } from './json-schema.ts';

const target = fileURLToPath(new URL(`../../../../${MANIFEST_SCHEMA_FILE}`, import.meta.url));
writeFileSync(target, `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target}`);
