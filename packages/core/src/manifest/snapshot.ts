import { createHash } from 'node:crypto';
import type { ManifestSnapshot } from '../core/events.ts';
import type { Manifest } from '../core/types.ts';

const snapshots = new WeakMap<Manifest, ManifestSnapshot>();

/**
 * The manifest as a run journals it, with a digest of its content. Computed once per manifest
 * object: an orchestrator's manifest does not change while it runs.
 */
export function snapshotOf(manifest: Manifest): ManifestSnapshot {
  let s = snapshots.get(manifest);
  if (!s) {
    const copy = JSON.parse(JSON.stringify(manifest)) as Manifest;
    s = { digest: digestOf(copy), manifest: copy };
    snapshots.set(manifest, s);
    snapshots.set(copy, s);
  }
  return s;
}

/** sha256 of the manifest's canonical JSON (keys sorted), so the same content always has the same digest. */
export function digestOf(manifest: Manifest): string {
  return createHash('sha256').update(canonicalJson(manifest)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
