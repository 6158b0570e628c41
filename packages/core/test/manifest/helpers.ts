import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { ManifestError, type ManifestProblem } from '../../src/core/errors.ts';

/** Absolute path of a file under test/fixtures/manifests. */
export function fixture(relativePath: string): string {
  return fileURLToPath(new URL(`../fixtures/manifests/${relativePath}`, import.meta.url));
}

/** The problems a load rejects with; fails the test when it does not reject with a ManifestError. */
export async function problemsOf(loading: Promise<unknown>): Promise<ManifestProblem[]> {
  const error = await loading.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ManifestError);
  return (error as ManifestError).problems;
}

/** A small valid manifest as YAML lines, to edit in tests that need one problem at a time. */
export const SMALL_MANIFEST = [
  'version: 1',
  'orchestrator:',
  '  name: reports',
  '  description: Builds reports',
  '  subagents: [data, charts]',
  'agents:',
  '  data:',
  '    description: Extracts sales data',
  '    produces: [sales-dataset]',
  '    kind: command',
  '    command: [node, data.js]',
  '  charts:',
  '    description: Draws charts',
  '    consumes: [sales-dataset]',
  '    produces: [charts]',
  '    kind: a2a',
  '    url: http://127.0.0.1:4100',
];
