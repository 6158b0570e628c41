import path from 'node:path';

/** The repository's root folder. */
export const REPO_ROOT = path.resolve(import.meta.dirname, '../../../..');
/** The `baton` command of the core package (runs the TypeScript sources in a checkout). */
export const BATON_BIN = path.join(REPO_ROOT, 'packages/core/bin/baton.js');
/** Core's test fixtures. */
export const CORE_FIXTURES = path.join(REPO_ROOT, 'packages/core/test/fixtures');
/** The sample report's folder. */
export const SALES_REPORT = path.join(REPO_ROOT, 'examples/sales-report');
/** Node flags that run a TypeScript file of this repository with Baton's packages resolved to their sources. */
export const TS_NODE_ARGS = ['--conditions=batonjs-source', '--import', 'tsx'];
