import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { BatonError, ManifestError } from '../../src/core/errors.ts';
import type { Manifest } from '../../src/core/types.ts';
import { loadManifest, parseManifest } from '../../src/manifest/index.ts';
import { fuzzRuns, mutatedManifest, VALID_MANIFESTS } from './arbitraries.ts';

// The loader never crashes: whatever the text, it gives a Manifest or a ManifestError whose every
// problem names the file, the field and what was expected.

const ENV = { REPLICA_URL: 'postgres://replica/sales', CHARTS_URL: 'http://127.0.0.1:4100' };
const tmp = mkdtempSync(path.join(tmpdir(), 'baton-fuzz-manifest-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Loads; returns the manifest or the error. Fails the property on anything but a ManifestError. */
async function outcomeOf(loading: Promise<Manifest>, file: string): Promise<Manifest | ManifestError> {
  let error: unknown;
  try {
    return await loading;
  } catch (e) {
    error = e;
  }
  if (!(error instanceof ManifestError)) {
    throw new Error(`the loader threw ${BatonError.isInstance(error) ? `BatonError ${error.code}` : (error as Error)?.name} instead of a ManifestError: ${(error as Error)?.message}`);
  }
  expect(error.problems.length).toBeGreaterThan(0);
  for (const p of error.problems) {
    expect(p.file).toBe(file);
    expect(typeof p.path).toBe('string');
    expect(p.message.trim().length).toBeGreaterThan(5);
    if (p.line !== undefined) expect(p.line).toBeGreaterThanOrEqual(1);
  }
  return error;
}

function expectManifestShape(m: Manifest): void {
  expect(m.version).toBe(1);
  expect(typeof m.orchestrator.name).toBe('string');
  for (const name of m.orchestrator.subagents) expect(m.agents[name]).toBeDefined();
}

/** YAML-looking text: tokens of the manifest language glued at random. */
const yamlish = fc
  .array(
    fc.oneof(
      fc.constantFrom('version: 1', 'orchestrator:', 'agents:', '  ', '    ', '\n', '- ', ': ', '[', ']', '{', '}', ',', '&a ', '*a', '<<: ', '!!str ', '!!binary ', '"', "'", '#', '|', '>', '---', '...', '${X}', '$${Y}', 'kind: command', 'produces: [x]', 'name: n'),
      fc.string({ maxLength: 12 }),
    ),
    { maxLength: 60 },
  )
  .map((parts) => parts.join(''));

describe('manifest loader under fuzzing', () => {
  it('never crashes on arbitrary text', async () => {
    const file = path.join(tmp, 'text.yaml');
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ unit: 'binary', maxLength: 400 }), yamlish, fc.json({ maxDepth: 4 })), async (text) => {
        const out = await outcomeOf(parseManifest(text, { file, baseDir: tmp, env: ENV }), file);
        if (!(out instanceof ManifestError)) expectManifestShape(out);
      }),
      { numRuns: fuzzRuns(400) },
    );
  });

  it('never crashes on arbitrary values where a manifest object is expected', async () => {
    const file = path.join(tmp, 'values.yaml');
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 5 }), async (value) => {
        await outcomeOf(parseManifest(stringifyYaml(value), { file, baseDir: tmp, env: ENV }), file);
      }),
      { numRuns: fuzzRuns(300) },
    );
  });

  it('gives a manifest or located problems for mutated valid manifests', async () => {
    const bases = VALID_MANIFESTS.map((m) => ({ ...m, value: parseYaml(readFileSync(m.file, 'utf8')) as unknown }));
    let valid = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat(bases.length - 1), mutatedManifest(), fc.boolean(), async (which, mutate, asJson) => {
        const base = bases[which]!;
        const value = mutate(base.value);
        const text = asJson ? JSON.stringify(value) : stringifyYaml(value);
        const out = await outcomeOf(parseManifest(text, { file: base.file, baseDir: path.dirname(base.file), env: ENV }), base.file);
        if (!(out instanceof ManifestError)) {
          expectManifestShape(out);
          valid++;
        }
      }),
      { numRuns: fuzzRuns(200) },
    );
    // Some mutations (a changed description, an extra capability) keep the manifest valid.
    expect(valid).toBeGreaterThan(0);
  });

  it('turns YAML that cannot become data (alias bombs, unknown aliases, deep nesting) into problems', async () => {
    const file = path.join(tmp, 'hostile.yaml');
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...['b', 'c', 'd', 'e'].map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcd'[i]}`).join(', ')}]`)].join('\n');
    for (const text of [bomb, 'version: *nowhere', `${'['.repeat(20_000)}${']'.repeat(20_000)}`, `${'- '.repeat(5_000)}x`, '!!binary aGVsbG8=']) {
      await outcomeOf(parseManifest(text, { file, baseDir: tmp, env: ENV }), file);
    }
  });

  it('loads files of arbitrary bytes without crashing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.nat(1000), async (bytes, n) => {
        const file = path.join(tmp, `bytes-${n}.yaml`);
        writeFileSync(file, bytes);
        await outcomeOf(loadManifest(file, { env: ENV }), file);
      }),
      { numRuns: fuzzRuns(100) },
    );
  });
});
