// Run with plain Node in a project where batonjs is installed: importing it must load no native
// module (no .node addon, no node:sqlite); opening a SQLite journal then loads one.
// Usage: node native-probe.mjs <journal file> <expect: sqlite | no-sqlite>
import assert from 'node:assert/strict';

const dlopened = [];
const dlopen = process.dlopen;
process.dlopen = function (module, filename, ...rest) {
  dlopened.push(filename);
  return dlopen.call(this, module, filename, ...rest);
};
const sqliteBindings = () => process.moduleLoadList.filter((m) => /sqlite/i.test(m));
const native = () => [...dlopened, ...sqliteBindings()];

const [journal, expect] = process.argv.slice(2);
const baton = await import('batonjs');
await import('batonjs/testing');
await import('batonjs/internal');
assert.deepEqual(native(), [], `importing batonjs loaded native code: ${native().join(', ')}`);

// The library works in memory, still without native code.
const { scriptedAgent } = await import('batonjs/testing');
const rows = scriptedAgent({ name: 'rows', produces: ['rows'], script: [{ throw: 'flaky' }, { output: { rows: [1, 2, 3] } }] });
const total = baton.defineAgent({ name: 'total', description: 'Adds up', consumes: ['rows'], produces: ['total'], run: (i) => ({ total: i.inputs.rows.reduce((a, b) => a + b, 0) }) });
const result = await baton.createOrchestrator({ name: 'sums', agents: [rows, total], policy: { backoff: { initialDelayMs: 1 } } }).run('compute the total');
assert.equal(result.status, 'succeeded');
assert.equal(result.deliverable.artifacts.total, 6);
assert.deepEqual(native(), [], `a run with an in-memory journal loaded native code: ${native().join(', ')}`);

if (expect === 'sqlite') {
  const store = await baton.openStore(journal);
  await store.createRun({ runId: 'r_probe', goal: 'probe', createdAt: new Date().toISOString() });
  assert.equal((await store.getRun('r_probe'))?.status, 'running');
  await store.close();
  assert.ok(native().length > 0, 'opening a SQLite journal should have loaded SQLite');
  console.log(`ok: no native module until the journal opened; then ${native().map((m) => m.replace(/.*node_modules\//, '')).join(', ')}`);
} else {
  await assert.rejects(() => baton.openStore(journal), /npm install better-sqlite3@12/);
  console.log('ok: no native module loaded; without a SQLite driver, opening a journal says what to install');
}
