import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const consumer = mkdtempSync(path.join(tmpdir(), 'baton-consumer-'));
// Plain Node, as a user's program runs: no source condition inherited from the test run.
const plainEnv = { ...process.env, NODE_OPTIONS: '' };

beforeAll(() => {
  // What `npm pack` runs (prepack): the compiled package consumers get.
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'pipe' });
  mkdirSync(path.join(consumer, 'node_modules'), { recursive: true });
  symlinkSync(root, path.join(consumer, 'node_modules', 'batonjs'), 'dir');
}, 180_000);
afterAll(() => rmSync(consumer, { recursive: true, force: true }));

describe('the built package', () => {
  it('is importable by plain Node through its exports, with no TypeScript loader', () => {
    const script = path.join(consumer, 'use.mjs');
    writeFileSync(
      script,
      `import { createOrchestrator, defineAgent } from 'batonjs';
import { scriptedAgent } from 'batonjs/testing';
const rows = scriptedAgent({ name: 'rows', produces: ['rows'], script: [{ throw: 'flaky' }, { output: { rows: [1, 2, 3] } }] });
const total = defineAgent({ name: 'total', description: 'Adds up', consumes: ['rows'], produces: ['total'], run: (i) => ({ total: i.inputs.rows.reduce((a, b) => a + b, 0) }) });
const o = createOrchestrator({ name: 'sums', agents: [rows, total], policy: { backoff: { initialDelayMs: 1 } } });
const r = await o.run('compute the total');
console.log(JSON.stringify({ status: r.status, total: r.deliverable.artifacts.total, attempts: r.tasks.map((t) => t.attempts.length) }));
`,
    );
    const out = execFileSync(process.execPath, [script], { cwd: consumer, encoding: 'utf8', env: plainEnv });
    expect(JSON.parse(out)).toEqual({ status: 'succeeded', total: 6, attempts: [2, 1] });
  });

  it('runs the compiled CLI', () => {
    const out = execFileSync(process.execPath, [path.join(root, 'dist/cli/main.js'), 'plan', '--json', '-m', path.join(root, 'test/fixtures/cli/baton.yaml'), 'just the prices'], {
      encoding: 'utf8',
      env: plainEnv,
    });
    expect((JSON.parse(out) as { plan: { tasks: { agent: string }[] } }).plan.tasks.map((t) => t.agent)).toEqual(['prices']);
  });
});
