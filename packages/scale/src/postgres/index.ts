/** The PostgreSQL journal: `import { PostgresRunStore } from 'batonjs-scale/postgres'`. */
import type { RunStore } from 'batonjs/internal';
import { PostgresRunStore } from './postgres-store.ts';

export { PostgresRunStore, redactUrl } from './postgres-store.ts';
export type { PostgresRunStoreOptions } from './postgres-store.ts';
export { POSTGRES_MIGRATIONS, POSTGRES_SCHEMA_VERSION } from './postgres-migrations.ts';
export type { PostgresMigration } from './postgres-migrations.ts';

/** Connects to the PostgreSQL journal at `url` (migrating it to this Baton's schema). */
export function openPostgresStore(url: string): Promise<RunStore> {
  return PostgresRunStore.connect(url);
}
