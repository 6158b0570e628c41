/**
 * Rubric checks (`output.<artifact>.checks`) are judged by the orchestrator's model. Without one,
 * the run goes on with the outputs checked against their schemas only, and the user is told which
 * checks nobody judges, instead of the rubrics being dropped in silence.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { baton, starterProject } from './run-cli.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'baton-unjudged-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const withChecks = (m: string): string =>
  m.replace(
    'output: { machine-report: { schema: ./schemas/machine-report.json } }',
    'output: { machine-report: { schema: ./schemas/machine-report.json, checks: [{ rubric: Names the processor count }] } }',
  );

describe('rubric checks without a model', () => {
  it('`baton run` warns, naming the checks and the setting, and still runs to its end', async () => {
    const project = await starterProject(tmp, 'checked', withChecks);
    const r = await baton(['run', '--json', '--store', 'memory', 'describe this machine'], { cwd: project });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('baton: warning: rubric checks are not judged without a model: agents.report.output.machine-report.checks in baton.yaml');
    expect(r.stderr).toContain('orchestrator.model');
    expect((JSON.parse(r.stdout) as { status: string }).status).toBe('succeeded');
  });

  it('says nothing when no artifact has checks', async () => {
    const project = await starterProject(tmp, 'unchecked', (m) => m);
    const r = await baton(['run', '--json', '--store', 'memory', 'describe this machine'], { cwd: project });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('warning');
  });
});
