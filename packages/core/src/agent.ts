/**
 * What an agent's own module (or an integrator's) needs of Baton when it runs, and nothing else:
 * `import { UnrecoverableAgentError } from 'batonjs/agent'`. A `kind: module` agent runs in a
 * worker thread of its own, which imports the module and all it imports before the agent can
 * report its version, and a run starts its first task only once each agent of its plan has. This
 * entry is 6 of Baton's modules; the main entry is 114, which cost each agent's thread 230-300 ms.
 * (A TypeScript integrator is imported into a namespace of its own, where the main entry would be
 * loaded a second time.) Type imports load nothing, from either entry. The classes and functions
 * are the main entry's own: in one program, an error made from either entry is an instance of the
 * same class.
 *
 * @packageDocumentation
 */
export { defineAgent } from './agents/define-agent.ts';
export type { AgentDefinition } from './agents/define-agent.ts';
export { BatonError, MAX_RETRY_AFTER_MS, UnrecoverableAgentError, errorMessage, retryAfterHeaderMs } from './core/errors.ts';
export type { BatonErrorCode, BatonErrorOptions } from './core/errors.ts';
export type { Agent, AgentContext, IntegrationInput, Integrator } from './core/contracts.ts';
export type { AgentInput, AgentOutput, AgentSpec, Deliverable, JsonSchema, Provenance, Usage } from './core/types.ts';
// The SQLite driver Baton chose (better-sqlite3, else node:sqlite), for an agent that reads a database.
export { openSqlite, sqliteAvailable, sqliteErrorCode } from './store/sqlite-driver.ts';
export type { OpenSqliteOptions, SqliteDatabase, SqliteStatement, SqlValue } from './store/sqlite-driver.ts';
