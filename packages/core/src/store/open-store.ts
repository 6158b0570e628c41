import { resolve } from 'node:path';
import type { RunStore } from '../core/contracts.ts';
import { BatonError } from '../core/errors.ts';
import { importOptional } from '../core/optional.ts';
import { MemoryRunStore } from './memory-store.ts';
import type { MemoryRunStoreOptions } from './memory-store.ts';
import { SqliteRunStore } from './sqlite-store.ts';

/** The journal file used when nothing else is configured, relative to the working folder. */
export const DEFAULT_DATABASE_FILE = '.baton/baton.db';

export interface OpenStoreOptions {
  /** Folder relative SQLite paths are resolved against (default: process.cwd()). */
  cwd?: string;
  /** Where BATON_DATABASE_URL is read from (default: process.env). */
  env?: Record<string, string | undefined>;
  /** What the `memory` journal keeps of ended runs (see {@link MemoryRunStoreOptions}); other journals ignore it. */
  memory?: MemoryRunStoreOptions;
}

const POSTGRES_URL = /^postgres(ql)?:\/\//i;
const ANY_URL = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Opens the journal a spec names: `memory`; a `postgres://` or `postgresql://` URL; anything
 * else is a SQLite file path, resolved against `cwd`. Without a spec, BATON_DATABASE_URL is
 * used, else `.baton/baton.db` under `cwd`.
 */
export async function openStore(spec: string | undefined, options: OpenStoreOptions = {}): Promise<RunStore> {
  const cwd = options.cwd ?? process.cwd();
  const chosen = chosenJournal(spec, options);
  if (chosen === 'memory') return new MemoryRunStore(options.memory);
  if (POSTGRES_URL.test(chosen)) {
    // Loaded on demand: most runs never need the PostgreSQL driver; and not BullMQ with it.
    return (await importOptional('batonjs-scale/postgres', 'a PostgreSQL journal')).openPostgresStore(chosen);
  }
  if (ANY_URL.test(chosen)) {
    const scheme = chosen.slice(0, chosen.indexOf(':'));
    throw new BatonError(
      'BAD_REQUEST',
      `unsupported journal database ${scheme}://...: use 'memory', a postgres:// or postgresql:// URL, or a SQLite file path (default ${DEFAULT_DATABASE_FILE})`,
      { retryable: false },
    );
  }
  return new SqliteRunStore({ file: resolve(cwd, chosen) });
}

/** The journal spec in force: `spec`, else BATON_DATABASE_URL, else the default file. */
function chosenJournal(spec: string | undefined, options: OpenStoreOptions): string {
  const configured = spec ?? (options.env ?? process.env)['BATON_DATABASE_URL'];
  return configured === undefined || configured.trim() === '' ? DEFAULT_DATABASE_FILE : configured.trim();
}

/**
 * The absolute path of the SQLite file the journal spec names (as {@link openStore} reads the
 * spec); undefined for `memory` and URLs.
 */
export function sqliteJournalFile(spec: string | undefined, options: OpenStoreOptions = {}): string | undefined {
  const chosen = chosenJournal(spec, options);
  if (chosen === 'memory' || ANY_URL.test(chosen)) return undefined;
  return resolve(options.cwd ?? process.cwd(), chosen);
}
