/** report.md: the same report as Markdown, with the charts as image files beside it. */
import type { BreakdownItem, Metrics } from './artifacts.ts';
import { count, percent, signedPercent, signedPoints, usd } from './format.ts';
import { seconds, steeringLines, usageLine } from './how-made.ts';
import type { PeriodDef, PeriodTag } from './period.ts';
import type { ReportParts } from './report-html.ts';
import { comparisonName, orderedComparisons } from './report-html.ts';

type CompareTag = Exclude<PeriodTag, 'current'>;
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function kpiTable(m: Metrics, comps: PeriodDef[]): string[] {
  const rows: [string, string, (c: CompareTag) => string][] = [
    ['Revenue', usd(m.kpis.revenue.value), (c) => pct(m.kpis.revenue.change[c])],
    ['Gross profit', usd(m.kpis.grossProfit.value), (c) => pct(m.kpis.grossProfit.change[c])],
    ['Gross margin', percent(m.kpis.grossMargin.value), (c) => pts(m.kpis.grossMargin.change[c])],
    ['Orders', count(m.kpis.orders.value), (c) => pct(m.kpis.orders.change[c])],
    ['Average order value', usd(m.kpis.averageOrderValue.value), (c) => pct(m.kpis.averageOrderValue.change[c])],
    ['Units sold', count(m.kpis.units.value), (c) => pct(m.kpis.units.change[c])],
  ];
  return [
    `| KPI | ${m.period.label} | ${comps.map((c) => `vs ${c.label}`).join(' | ')} |`,
    `|---|---:|${comps.map(() => '---:').join('|')}|`,
    ...rows.map(([name, value, ch]) => `| ${name} | ${value} | ${comps.map((c) => ch(c.tag as CompareTag)).join(' | ')} |`),
  ];
}
const pct = (n: number | undefined): string => (n === undefined ? 'n/a' : signedPercent(n));
const pts = (n: number | undefined): string => (n === undefined ? 'n/a' : signedPoints(n));

function breakdown(title: string, items: BreakdownItem[], comps: PeriodDef[], limit = 12): string[] {
  return [
    `### ${title}`,
    '',
    `| Name | Revenue | Share | ${comps.map((c) => `vs ${c.label}`).join(' | ')} | Margin |`,
    `|---|---:|---:|${comps.map(() => '---:').join('|')}|---:|`,
    ...items.slice(0, limit).map(
      (i) => `| ${cell(i.name)} | ${usd(i.revenue)} | ${percent(i.share)} | ${comps.map((c) => pct(i.change[c.tag as CompareTag])).join(' | ')} | ${percent(i.grossMargin)} |`,
    ),
    '',
  ];
}

/** Renders report.md; `chartFile(id)` is the relative path of a chart's image. */
export function renderMarkdown(p: ReportParts, chartFile: (id: string) => string): string {
  const comps = orderedComparisons(p);
  const out: string[] = [`# ${p.title}`, ''];
  const compText = comps.map((c) => `${c.label} (${comparisonName(c)})`).join(' and ');
  if (p.period) out.push(`Period ${p.period.start} to ${p.period.end}${compText ? `, compared with ${compText}` : ''}.${p.coverage ? ` Data: orders ${p.coverage.start} to ${p.coverage.end}.` : ''}`, '');
  for (const n of [...p.notes, ...p.missing.map((m) => `Not included: ${m.artifact} (${m.reason}).`)]) out.push(`> ${n}`, '>');
  if (out[out.length - 1] === '>') out[out.length - 1] = '';
  if (p.summary) {
    const s = p.summary;
    out.push('## Executive summary', '', `**${s.headline.text}**`, '', '### Key findings', '', ...s.findings.map((f, i) => `${i + 1}. ${f.text}`), '');
    out.push('### Risks', '', ...s.risks.map((f) => `- ${f.text}`), '', '### Recommended actions', '', ...s.actions.map((f) => `- ${f.text}`), '');
  }
  if (p.metrics) out.push('## Key figures', '', ...kpiTable(p.metrics, comps), '');
  if (p.charts) {
    out.push('## Charts', '');
    for (const c of p.charts.charts) out.push(`![${c.title}](${chartFile(c.id)})`, '', `*${c.description}*`, '');
  }
  if (p.metrics) {
    const m = p.metrics;
    out.push('## Breakdowns', '');
    out.push(...breakdown('Regions', m.breakdowns.region, comps), ...breakdown('Channels', m.breakdowns.channel, comps));
    out.push(...breakdown('Customer segments', m.breakdowns.segment, comps), ...breakdown('Products', m.breakdowns.product, comps));
    out.push(...breakdown('Top 10 countries', m.breakdowns.country, comps, 10));
  }
  const h = p.howMade;
  out.push('## How this report was made', '', `Goal: "${h.goal.replace(/[.\s]+$/, '')}". Run ${h.runId}, planned by the ${h.planner} planner, started ${h.startedAt}. Each output was validated against its JSON Schema before it was used.${usageLine(h.usage) ? ` Model usage: ${usageLine(h.usage)!}.` : ''}`, '');
  for (const line of steeringLines(h)) out.push(line, '');
  out.push('| Subtask | Agent | Status | Attempts | Time | Validation |', '|---|---|---|---:|---:|---|');
  for (const s of h.steps) {
    const v = s.attempts.length ? s.attempts.map((a) => `#${a.n} ${a.agent} ${a.version}: ${a.status} in ${seconds(a.durationMs)}; ${a.validation}`).join('<br>') : (s.reason ?? 'not run');
    out.push(`| ${cell(s.id)}: ${cell(s.title)} | ${cell(s.agent)} v${cell(s.version)} | ${s.status} | ${s.attempts.length} | ${seconds(s.durationMs)} | ${cell(v)} |`);
  }
  out.push('');
  for (const q of p.queries) out.push(`<details><summary>${q.name} (${q.rowCount} rows)</summary>`, '', '```sql', q.sql, '```', '', '</details>', '');
  out.push(`_Generated ${p.generatedAt} by Baton. Revenue is net of discounts; gross margin = (revenue − cost of goods) ÷ revenue; amounts in US dollars._`, '');
  return out.join('\n');
}
