import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { baton, starterProject } from './run-cli.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'baton-integrator-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("baton run with a manifest's integrator that returns no deliverable", () => {
  it('ends the run partial with what its tasks made, exits with its code, and names the integrator and the field', async () => {
    const project = await starterProject(tmp, 'project', (m) => m.replace(/^( {2}deliverable: .*)$/m, '$1\n  integrator: ./integrator.ts'));
    const integrator = path.join(project, 'integrator.ts');
    writeFileSync(integrator, "export default () => ({ artifacts: null, files: ['report.html'] });\n");

    const run = await baton(['run', '--store', 'memory', '--json', 'Describe this machine'], { cwd: project });
    expect(run.code, run.stderr).toBe(EXIT.partial);
    const result = JSON.parse(run.stdout) as { status: string; reason: string; deliverable: { artifacts: Record<string, unknown> } };
    expect(result.status).toBe('partial');
    expect(result.reason).toContain(`integration failed: the integrator ${integrator}: deliverable.artifacts: expected an object with one entry per artifact type, got null`);
    expect(Object.keys(result.deliverable.artifacts)).toEqual(['machine-report']);
  });
});
