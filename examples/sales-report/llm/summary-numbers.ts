/**
 * The check that keeps an LLM-written summary honest: every number it quotes must come from the
 * metrics. Each finding lists its evidence (text as quoted, JSON pointer into the metrics, value,
 * format); the check reads the metrics at each pointer, formats the value the report's way and
 * compares, and it flags any number in the text that no evidence backs.
 */
import type { Finding, Metrics, Summary } from '../lib/artifacts.ts';
import { formatNumber } from '../lib/format.ts';
import { valueAt } from '../lib/summary-text.ts';

// `$14.2M`, `22.8%`, `0.5 pts`, `1,234`, `-3.1%`.
const NUMBER = /[-+]?\$?\d+(?:,\d{3})*(?:\.\d+)?(?:\s?(?:%|pts|[KMB]\b))?/g;

/** Problems with the numbers of a summary, worded as feedback for the writer (empty when all are backed). */
export function checkSummaryNumbers(summary: Summary, metrics: Metrics): string[] {
  const problems: string[] = [];
  const allowed = allowedNumbers(summary, metrics);
  const sections: [string, Finding[]][] = [
    ['headline', [summary.headline]],
    ['findings', summary.findings],
    ['risks', summary.risks],
    ['actions', summary.actions],
  ];
  for (const [section, findings] of sections) {
    findings.forEach((finding, i) => {
      const where = section === 'headline' ? 'headline' : `${section}[${i}]`;
      let rest = finding.text;
      for (const e of finding.evidence) {
        const actual = valueAt(metrics, e.pointer);
        if (actual === undefined) {
          problems.push(`${where}: evidence pointer ${e.pointer} is not a number in the metrics; use a pointer such as /kpis/revenue/value`);
          continue;
        }
        const expected = formatNumber(actual, e.format);
        if (Math.abs(actual - e.value) > 1e-9 * Math.max(1, Math.abs(actual))) {
          problems.push(`${where}: evidence ${e.pointer} says ${e.value}, but the metrics hold ${actual} (write it as "${expected}")`);
        } else if (e.text !== expected) {
          problems.push(`${where}: ${e.pointer} with format ${e.format} must be written "${expected}", not "${e.text}"`);
        }
        if (!finding.text.includes(e.text)) problems.push(`${where}: the text does not contain the evidence "${e.text}"; quote it exactly`);
        rest = rest.split(e.text).join(' ');
      }
      for (const n of rest.match(NUMBER) ?? []) {
        if (!allowed.has(n.replace(/^[-+]/, ''))) problems.push(`${where}: "${n.trim()}" is not backed by evidence from the metrics; add its evidence or remove it`);
      }
    });
  }
  return problems;
}

/** Numbers that may appear without evidence: those of period labels (years, quarters, dates) and of names ("ViewMax 34"). */
function allowedNumbers(summary: Summary, metrics: Metrics): Set<string> {
  const names = Object.values(metrics.breakdowns).flatMap((items) => items.map((item) => item.name));
  const labels = [summary.period, metrics.period.label, metrics.period.start, metrics.period.end, ...metrics.comparisons.flatMap((p) => [p.label, p.start, p.end]), ...names];
  return new Set(labels.flatMap((l) => l.match(NUMBER) ?? []).map((n) => n.replace(/^[-+]/, '')));
}
