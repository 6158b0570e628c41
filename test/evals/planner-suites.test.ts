/**
 * The repository's evaluation suites (examples/*\/evals/planner.yaml) against the builtin planner:
 * at least 95% of each suite's cases pass, and the cases that fail are exactly those docs/evals.md
 * lists as known failures, so a planner change that breaks a case (or fixes one) shows here.
 * The cases that run are run to their end and checked (status, artifact schemas).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPlan, planCase, readSuite, runCase, type Suite } from './suite-check.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SUITES = ['examples/sales-report/evals/planner.yaml', 'examples/support-triage/evals/planner.yaml'];
const TARGET = 0.95;
const docs = readFileSync(path.join(ROOT, 'docs/evals.md'), 'utf8');
const tmp = mkdtempSync(path.join(tmpdir(), 'baton-suites-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The case names docs/evals.md lists under "Known failures" in the suite's section. */
function knownFailures(suite: string): string[] {
  const start = docs.indexOf(`## Suite \`${suite}\``);
  if (start < 0) throw new Error(`docs/evals.md has no section "## Suite \`${suite}\`"`);
  const end = docs.indexOf('\n## ', start + 1);
  const section = docs.slice(start, end < 0 ? undefined : end);
  const known = section.slice(section.indexOf('### Known failures'));
  return [...known.matchAll(/^- `([^`]+)`/gm)].map((m) => m[1] as string);
}

for (const file of SUITES) {
  describe(file, () => {
    let suite: Suite;
    beforeAll(async () => {
      suite = await readSuite(path.join(ROOT, file));
    });

    it(`the builtin planner passes at least ${TARGET * 100}% of the cases, and fails only the known failures`, async () => {
      const failures: { name: string; problems: string[] }[] = [];
      for (const c of suite.cases) {
        const problems = checkPlan(c, await planCase(c, suite.manifest), suite.manifest);
        if (problems.length > 0) failures.push({ name: c.name, problems });
      }
      const passed = suite.cases.length - failures.length;
      const rate = passed / suite.cases.length;
      console.log(`${suite.suite}: ${passed}/${suite.cases.length} passed (${(rate * 100).toFixed(1)}%)`);
      for (const f of failures) console.log(`  ✖ ${f.name}: ${f.problems.join('; ')}`);
      expect(suite.cases.length).toBeGreaterThanOrEqual(file.includes('sales-report') ? 60 : 30);
      expect(rate).toBeGreaterThanOrEqual(TARGET);
      expect(failures.map((f) => f.name).sort()).toEqual(knownFailures(suite.suite).sort());
    });

    it('the cases that run end as expected, with every artifact meeting its schema', async () => {
      const running = suite.cases.filter((c) => c.run);
      expect(running.length).toBeGreaterThanOrEqual(2);
      for (const [i, c] of running.entries()) {
        const { problems } = await runCase(c, suite.manifest, path.join(tmp, `${suite.suite}-${i}`));
        expect(problems, c.name).toEqual([]);
      }
    }, 300_000);
  });
}
