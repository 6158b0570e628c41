import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { baton, starterProject } from './run-cli.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'baton-closing-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('baton run with an agent whose close() throws', () => {
  it("exits with the run's own code and says which agent could not be closed", async () => {
    const project = await starterProject(tmp, 'closing', (m) => m.replace('module: ./agents/report.ts', 'module: ./agents/closing.ts\n    isolation: none'));
    writeFileSync(
      path.join(project, 'agents', 'closing.ts'),
      "import report from './report.ts';\nexport default { run: report, close: async () => { throw new Error('the connection was already gone'); } };\n",
    );

    const run = await baton(['run', '--store', 'memory', '--json', 'Describe this machine'], { cwd: project });
    expect(run.code, run.stderr).toBe(EXIT.succeeded);
    expect((JSON.parse(run.stdout) as { status: string }).status).toBe('succeeded');
    expect(run.stderr).toContain("closing: could not close agent 'report': its close() failed: the connection was already gone");
  });
});
