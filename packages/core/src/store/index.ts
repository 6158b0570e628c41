export { MemoryRunStore, DEFAULT_MAX_FINISHED_RUNS } from './memory-store.ts';
export type { MemoryRunStoreOptions } from './memory-store.ts';
export { SqliteRunStore } from './sqlite-store.ts';
export type { SqliteRunStoreOptions } from './sqlite-store.ts';
export { openStore, DEFAULT_DATABASE_FILE } from './open-store.ts';
export type { OpenStoreOptions } from './open-store.ts';
export { SQLITE_MIGRATIONS, SQLITE_SCHEMA_VERSION } from './sqlite-migrations.ts';
export type { SqliteMigration } from './sqlite-migrations.ts';
export { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from './journal-rules.ts';
