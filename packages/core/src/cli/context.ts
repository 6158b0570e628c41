import path from 'node:path';
import type { RunStore } from '../core/contracts.ts';
import { BatonError } from '../core/errors.ts';
import type { Manifest } from '../core/types.ts';
import { loadManifest } from '../manifest/index.ts';
import { MemoryRunStore } from '../store/memory-store.ts';
import { openStore } from '../store/open-store.ts';
import { sqliteAvailable, sqliteUnavailableReason } from '../store/sqlite-driver.ts';

/** Options shared by commands that read a manifest or the journal. */
export interface CommonOptions {
  manifest?: string;
  store?: string;
}

export function manifestPath(opts: CommonOptions): string {
  return path.resolve(opts.manifest ?? 'baton.yaml');
}

export async function readManifest(opts: CommonOptions): Promise<Manifest> {
  return loadManifest(manifestPath(opts));
}

/**
 * The journal: `--store`, else BATON_DATABASE_URL, else `.baton/baton.db` in the current folder.
 * With `memoryFallback` (`baton run`), a default journal that cannot be SQLite (Node 20 without
 * better-sqlite3) becomes an in-memory one, with a one-line warning; a journal asked for
 * explicitly never falls back.
 */
export async function openJournal(opts: CommonOptions, options: { memoryFallback?: boolean } = {}): Promise<RunStore> {
  const asked = opts.store ?? process.env['BATON_DATABASE_URL']?.trim();
  if (options.memoryFallback && !asked && !sqliteAvailable()) {
    process.stderr.write(`baton: warning: ${sqliteUnavailableReason()}; this run is journaled in memory only (install better-sqlite3@12, or use Node 22.13+, to keep runs)\n`);
    return new MemoryRunStore();
  }
  return openStore(opts.store, { cwd: process.cwd() });
}

/** Prints a Baton error the way a user can act on, and returns the exit code to use. */
export function reportError(e: unknown): number {
  if (BatonError.isInstance(e)) {
    process.stderr.write(`baton: ${e.message}\n`);
    return e.code === 'MANIFEST_INVALID' || e.code === 'MANIFEST_NOT_FOUND' || e.code === 'BAD_REQUEST' ? 64 : 1;
  }
  process.stderr.write(`baton: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
  return 1;
}
