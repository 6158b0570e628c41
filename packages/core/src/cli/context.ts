import { existsSync } from 'node:fs';
import path from 'node:path';
import { BatonError } from '../core/errors.ts';
import type { RunStore } from '../core/contracts.ts';
import type { Manifest } from '../core/types.ts';
import { openStore, sqliteJournalFile } from '../store/open-store.ts';
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
  // Loaded here: commands that only read the journal never load the manifest's parser and schemas.
  const { loadManifest } = await import('../manifest/index.ts');
  return loadManifest(manifestPath(opts));
}

/** The journal: `--store`, else BATON_DATABASE_URL, else `.baton/baton.db` in the current folder. */
export async function openJournal(opts: CommonOptions): Promise<RunStore> {
  return openStore(opts.store, { cwd: process.cwd() });
}

/**
 * The journal's SQLite file when it does not exist. Commands that read or decide on runs check this
 * before opening the journal, which would create the file (and its folders): a mistyped `--store`
 * would leave an empty journal behind and report "no runs yet" or "not in the journal".
 */
export function missingJournalFile(opts: CommonOptions): string | undefined {
  const file = sqliteJournalFile(opts.store, { cwd: process.cwd() });
  return file !== undefined && !existsSync(file) ? file : undefined;
}

/** What a command that needs run `runId` says when the journal file does not exist. */
export function noJournalError(runId: string, file: string): BatonError {
  return new BatonError('RUN_NOT_FOUND', `no run ${runId}: there is no journal at ${file} (check --store or BATON_DATABASE_URL, or run the command in the folder the run was started from)`, {
    runId,
    retryable: false,
  });
}

/** The journal, for a command about run `runId`: refused, not created, when its file does not exist. */
export async function openJournalOfRun(runId: string, opts: CommonOptions): Promise<RunStore> {
  const missing = missingJournalFile(opts);
  if (missing !== undefined) throw noJournalError(runId, missing);
  return openJournal(opts);
}

/**
 * The journal `baton run` uses: `--store` as given, except that a default journal that cannot be
 * SQLite (Node 20 without better-sqlite3) becomes `memory`, with a one-line warning. A journal
 * asked for explicitly (`--store`, BATON_DATABASE_URL) never falls back.
 */
export function runJournalSpec(opts: CommonOptions): string | undefined {
  const asked = opts.store ?? process.env['BATON_DATABASE_URL']?.trim();
  if (asked || sqliteAvailable()) return opts.store;
  process.stderr.write(`baton: warning: ${sqliteUnavailableReason()}; this run is journaled in memory only (install better-sqlite3@12, or use Node 22.13+, to keep runs)\n`);
  return 'memory';
}
