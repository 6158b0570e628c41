/** fast-check generators shared by the fuzz tests. */
import path from 'node:path';
import fc from 'fast-check';

const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * Runs of a property: modest by default so CI stays fast; BATON_FUZZ_SCALE=20 fuzzes 20 times
 * longer (a failure prints the seed and path to replay it with `fc.assert(..., { seed, path })`).
 */
export function fuzzRuns(n: number): number {
  const scale = Number(process.env['BATON_FUZZ_SCALE'] ?? 1);
  return Math.max(1, Math.round(n * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}

/** Real, valid manifests to mutate (each loads as is). */
export const VALID_MANIFESTS = [
  { file: path.join(ROOT, 'test/fixtures/manifests/valid/baton.yaml') },
  { file: path.join(ROOT, 'test/fixtures/cli/baton.yaml') },
  { file: path.join(ROOT, '../../examples/sales-report/baton.yaml') },
];

type Key = string | number;
type Json = unknown;

/** Every path to a value inside `value` (the root is `[]`). */
function pathsOf(value: Json, at: Key[] = [], out: Key[][] = []): Key[][] {
  out.push(at);
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...at, i], out));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) pathsOf(v, [...at, k], out);
  return out;
}

function parentOf(root: Json, p: Key[]): Record<string, Json> | Json[] | undefined {
  let node: Json = root;
  for (const k of p.slice(0, -1)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, Json>)[k];
  }
  return node !== null && typeof node === 'object' ? (node as Record<string, Json>) : undefined;
}

function getAt(root: Json, p: Key[]): Json {
  let node: Json = root;
  for (const k of p) node = node !== null && typeof node === 'object' ? (node as Record<string, Json>)[k] : undefined;
  return node;
}

/** Values that tend to break loaders: wrong types, edge numbers, odd strings, names of real fields. */
const hostileValue: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom<Json>('', ' ', null, true, 0, -1, 1.5, 2 ** 53, -0, [], {}, [null], { '': '' }, '${UNSET_VARIABLE}', '$${ESCAPED}', '../../../etc/passwd', '/dev/null', 'x'.repeat(5000), 'module', 'command', 'llm', 'a2a', 'data', 'report', 'version', '__proto__', 'constructor', '\u0000', '😀'),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('version', 'orchestrator', 'agents', 'policy', 'kind', 'produces', 'consumes', 'fallback', 'output', 'schema', 'command', 'module', 'url', 'model', 'tools', 'env', 'subagents', 'deliverable', 'integrator', '__proto__', 'constructor', 'prototype', 'kindd', 'Produces'),
);

type Mutation =
  | { op: 'delete'; at: number }
  | { op: 'set'; at: number; value: Json }
  | { op: 'rename'; at: number; key: string }
  | { op: 'add'; at: number; key: string; value: Json }
  | { op: 'copy'; at: number; to: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: hostileValue }),
  fc.record({ op: fc.constant('rename' as const), at: fc.nat(), key: hostileKey }),
  fc.record({ op: fc.constant('add' as const), at: fc.nat(), key: hostileKey, value: hostileValue }),
  fc.record({ op: fc.constant('copy' as const), at: fc.nat(), to: fc.nat() }),
);

function apply(root: Json, m: Mutation): Json {
  const paths = pathsOf(root);
  const p = paths[m.at % paths.length]!;
  if (p.length === 0) return m.op === 'set' ? m.value : root;
  const parent = parentOf(root, p);
  const key = p[p.length - 1]!;
  if (!parent) return root;
  switch (m.op) {
    case 'delete':
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
      return root;
    case 'set':
      (parent as Record<Key, Json>)[key] = structuredClone(m.value);
      return root;
    case 'rename': {
      if (Array.isArray(parent)) return root;
      const v = parent[key];
      delete parent[key];
      Object.defineProperty(parent, m.key, { value: v, enumerable: true, writable: true, configurable: true });
      return root;
    }
    case 'add': {
      const target = getAt(root, p);
      if (Array.isArray(target)) target.push(structuredClone(m.value));
      else if (target !== null && typeof target === 'object') Object.defineProperty(target, m.key, { value: structuredClone(m.value), enumerable: true, writable: true, configurable: true });
      return root;
    }
    case 'copy': {
      const source = getAt(root, paths[m.to % paths.length]!);
      (parent as Record<Key, Json>)[key] = structuredClone(source);
      return root;
    }
  }
}

/** A function applying 1 to 4 random mutations to a copy of a manifest object. */
export function mutatedManifest(): fc.Arbitrary<(value: Json) => Json> {
  return fc.array(mutation, { minLength: 1, maxLength: 4 }).map((ms) => {
    const f = (value: Json): Json => ms.reduce((v, m) => apply(v, m), structuredClone(value));
    f.toString = () => JSON.stringify(ms);
    return f;
  });
}
