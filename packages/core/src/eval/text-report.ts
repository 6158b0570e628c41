/** The plain-text report of a suite: what differed in each failing case, then one summary line. */
import { basename } from 'node:path';
import { visibleText as visible } from '../core/visible-text.ts';
import type { CaseReport, EvalReport } from './types.ts';

export interface TextReportOptions {
  /** Wraps a mark in colour (identity without a terminal). */
  paint?: { red(s: string): string; green(s: string): string; yellow(s: string): string; dim(s: string): string };
  /** List the cases that passed too (default: only failed and skipped ones). */
  all?: boolean;
  /** The word the summary line starts with (default `eval`). */
  label?: string;
}

const plain = { red: (s: string) => s, green: (s: string) => s, yellow: (s: string) => s, dim: (s: string) => s };

/** `eval: 58 passed, 2 failed` (`, 1 skipped` when some were): always the last line of `baton eval`. */
export function summaryLine(report: Pick<EvalReport, 'passed' | 'failed' | 'skipped'>, label = 'eval'): string {
  return `${label}: ${report.passed} passed, ${report.failed} failed${report.skipped > 0 ? `, ${report.skipped} skipped` : ''}`;
}

/** Failing cases with what differed, skipped cases with why, then the summary line. */
export function formatReport(report: EvalReport, options: TextReportOptions = {}): string {
  const paint = options.paint ?? plain;
  const lines: string[] = [];
  for (const c of report.cases) {
    if (c.outcome === 'failed') lines.push(...describeFailure(c, report, paint), '');
    else if (c.outcome === 'skipped') lines.push(`${paint.yellow('○')} ${visible(c.name)}${where(c, report)}: ${visible(c.skipped ?? 'skipped')}`);
    else if (options.all) lines.push(`${paint.green('✔')} ${visible(c.name)} ${paint.dim(`(${c.durationMs} ms)`)}`);
  }
  if (lines.length > 0 && lines.at(-1) !== '') lines.push('');
  lines.push(summaryLine(report, options.label));
  return `${lines.join('\n')}\n`;
}

// Names, goals and messages come from suites, manifests, agents and models: printed with their
// control characters made visible (see visibleText).
function describeFailure(c: CaseReport, report: EvalReport, paint: typeof plain): string[] {
  const lines = [`${paint.red('✖')} ${visible(c.name)}${where(c, report)}`];
  if (c.goal !== undefined) lines.push(`    goal: ${visible(c.goal)}`);
  if (c.agent !== undefined) lines.push(`    agent: ${visible(c.agent)}`);
  for (const d of c.differences) lines.push(`    ${d.expectation}: ${visible(d.message)}`);
  if (c.planAgents) lines.push(paint.dim(`    planned: ${visible(c.planAgents.join(', ')) || '(nothing)'}${c.planner && c.planner !== report.planner ? ` (by the ${c.planner} planner)` : ''}`));
  for (const note of c.planNotes ?? []) lines.push(paint.dim(`    note: ${visible(note)}`));
  if (c.status !== undefined && !c.differences.some((d) => d.expectation === 'status')) {
    lines.push(paint.dim(`    run: ${c.status}${c.reason ? `: ${visible(c.reason)}` : ''}`));
  }
  if (c.skipped !== undefined) lines.push(paint.dim(`    also: ${visible(c.skipped)}`));
  return lines;
}

function where(c: CaseReport, report: EvalReport): string {
  return c.line !== undefined && report.file !== undefined ? ` (${visible(basename(report.file))}:${c.line})` : '';
}
