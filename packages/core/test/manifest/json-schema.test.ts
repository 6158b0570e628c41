import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { manifestJsonSchema } from '../../src/manifest/index.ts';
import { fixture } from './helpers.ts';

const committed = fileURLToPath(new URL('../../../../docs/baton.schema.json', import.meta.url));

async function validator() {
  return new Ajv2020({ strict: false, allErrors: true }).compile(manifestJsonSchema());
}

describe('manifestJsonSchema', () => {
  it('matches the committed docs/baton.schema.json (run packages/core/src/manifest/write-schema.ts after schema changes)', async () => {
    expect(JSON.parse(await readFile(committed, 'utf8'))).toStrictEqual(manifestJsonSchema());
  });

  it('accepts the valid fixtures, ${VAR} placeholders included', async () => {
    const validate = await validator();
    for (const file of ['valid/baton.yaml', 'valid/baton.json']) {
      const manifest = parseYaml(await readFile(fixture(file), 'utf8')) as unknown;
      expect(validate(manifest), JSON.stringify(validate.errors)).toBe(true);
    }
  });

  it('flags unknown keys, bad kinds and bad models for the editor', async () => {
    const validate = await validator();
    for (const file of ['bad/unknown-key.yaml', 'bad/bad-kind.yaml', 'bad/bad-model.yaml', 'bad/orchestrator-tools.yaml', 'bad/kind-fields.yaml']) {
      const manifest = parseYaml(await readFile(fixture(file), 'utf8')) as unknown;
      expect(validate(manifest), file).toBe(false);
    }
  });
});
