import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';

const require = createRequire(import.meta.url);
const nodeMajor = Number(process.versions.node.split('.')[0]);

// better-sqlite3 13.x (prebuilt) runs on Node >= 22 and crashes on Node 20; 12.x runs on Node 20
// but on Node 24 can abort the process at exit (a statement finalized during the environment's
// teardown). Each Node gets the one that works on it.
const Driver = (nodeMajor >= 22 ? require('better-sqlite3-13') : require('better-sqlite3')) as typeof Database;

/** Opens a SQLite database with the better-sqlite3 build that suits this Node version. */
export function openDatabase(file: string, options?: Database.Options): Database.Database {
  return new Driver(file, options);
}
