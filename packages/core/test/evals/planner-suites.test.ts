/**
 * The repository's evaluation suites (examples/*\/evals/planner.yaml) through `runEvalSuite`, the
 * engine behind `baton eval`, with the builtin planner: at least 95% of each suite's cases pass,
 * and the cases that fail are exactly those docs/evals.md lists as known failures, so a planner
 * change that breaks a case (or fixes one) turns CI red until the docs say so.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runEvalSuite } from '../../src/testing/index.ts';
import type { EvalReport } from '../../src/testing/index.ts';

const ROOT = path.resolve(import.meta.dirname, '../../../..');
const SUITES = [
  { file: 'examples/sales-report/evals/planner.yaml', minCases: 60 },
  { file: 'examples/support-triage/evals/planner.yaml', minCases: 30 },
];
const TARGET = 0.95;
const docs = readFileSync(path.join(ROOT, 'docs/evals.md'), 'utf8');

/** The case names docs/evals.md lists under "Known failures" in the suite's section. */
function knownFailures(suite: string): string[] {
  const start = docs.indexOf(`### Suite \`${suite}\``);
  if (start < 0) throw new Error(`docs/evals.md has no section "### Suite \`${suite}\`"`);
  const end = docs.indexOf('\n### ', start + 1);
  const section = docs.slice(start, end < 0 ? undefined : end);
  const known = section.slice(section.indexOf('#### Known failures'));
  return [...known.matchAll(/^- `([^`]+)`/gm)].map((m) => m[1] as string);
}

for (const { file, minCases } of SUITES) {
  describe(file, () => {
    it(`passes at least ${TARGET * 100}% of its cases with the builtin planner, failing only the known failures`, async () => {
      const report: EvalReport = await runEvalSuite(path.join(ROOT, file), { planner: 'builtin' });
      const failed = report.cases.filter((c) => c.outcome === 'failed');
      const rate = (report.cases.length - failed.length) / report.cases.length;
      console.log(`${report.suite}: ${report.cases.length - failed.length}/${report.cases.length} passed (${(rate * 100).toFixed(1)}%)`);
      for (const c of failed) console.log(`  ✖ ${c.name}: ${c.differences.map((d) => d.message).join('; ')}`);
      expect(report.cases.length).toBeGreaterThanOrEqual(minCases);
      expect(report.cases.filter((c) => c.status !== undefined).length, 'cases that run to their end').toBeGreaterThanOrEqual(2);
      expect(rate).toBeGreaterThanOrEqual(TARGET);
      expect(failed.map((c) => c.name).sort()).toEqual(knownFailures(report.suite).sort());
    }, 600_000);
  });
}
