import path from 'node:path';
import type { RunStore } from '../core/contracts.ts';
import { BatonError, errorMessage } from '../core/errors.ts';
import type { Manifest } from '../core/types.ts';
import { loadManifest } from '../manifest/index.ts';
import { openStore } from '../store/open-store.ts';

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

/** The journal: `--store`, else BATON_DATABASE_URL, else `.baton/baton.db` in the current folder. */
export async function openJournal(opts: CommonOptions): Promise<RunStore> {
  return openStore(opts.store, { cwd: process.cwd() });
}

/** Prints a Baton error the way a user can act on, and returns the exit code to use. */
export function reportError(e: unknown): number {
  if (BatonError.isInstance(e)) {
    process.stderr.write(`baton: ${e.message}\n`);
    const usage = ['MANIFEST_INVALID', 'MANIFEST_NOT_FOUND', 'BAD_REQUEST', 'SUITE_INVALID', 'NOT_AWAITING_APPROVAL'];
    return usage.includes(e.code) ? 64 : 1;
  }
  process.stderr.write(`baton: unexpected error: ${e instanceof Error && e.stack ? e.stack : errorMessage(e)}\n`);
  return 1;
}
