/**
 * report.html: one self-contained page (inline CSS and SVG, no scripts, no external references)
 * that reads well on screen and prints on A4: summary first, KPI cards, charts, tables, and how
 * the report was made.
 */
import type { BreakdownItem, Charts, Finding, KpiName, Metrics, QueryRecord, Summary } from './artifacts.ts';
import { count, percent, signedPercent, signedPoints, usd } from './format.ts';
import type { HowMade } from './how-made.ts';
import { seconds, steeringLines, usageLine } from './how-made.ts';
import type { PeriodDef, PeriodTag } from './period.ts';
import { REPORT_CSS } from './report-style.ts';

/** What the report is made of; each part is optional (a run may have made only some artifacts). */
export interface ReportParts {
  title: string;
  period?: PeriodDef;
  comparisons: PeriodDef[];
  primaryComparison?: Exclude<PeriodTag, 'current'>;
  coverage?: { start: string; end: string };
  notes: string[];
  summary?: Summary;
  metrics?: Metrics;
  charts?: Charts;
  queries: QueryRecord[];
  howMade: HowMade;
  /** Artifacts that were asked for but not made, with the reason. */
  missing: { artifact: string; reason: string }[];
  generatedAt: string;
}

export const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

const UNIT: Record<string, string> = { quarter: 'quarter', half: 'half-year', month: 'month', year: 'year', range: 'period' };

/** "previous quarter", "same quarter last year", "the year before"... */
export function comparisonName(p: PeriodDef): string {
  const unit = UNIT[p.kind] ?? 'period';
  if (p.tag === 'previous') return `previous ${unit}`;
  if (p.tag === 'year_ago') return p.kind === 'year' ? 'the year before' : `same ${unit} last year`;
  return 'requested comparison';
}

/** Comparisons with the headline one first. */
export function orderedComparisons(parts: Pick<ReportParts, 'comparisons' | 'primaryComparison'>): PeriodDef[] {
  return [...parts.comparisons].sort((a, b) => Number(b.tag === parts.primaryComparison) - Number(a.tag === parts.primaryComparison));
}

const KPI_CARDS: { name: KpiName; label: string; show: (n: number) => string; ratio?: boolean }[] = [
  { name: 'revenue', label: 'Revenue', show: usd },
  { name: 'grossProfit', label: 'Gross profit', show: usd },
  { name: 'grossMargin', label: 'Gross margin', show: percent, ratio: true },
  { name: 'orders', label: 'Orders', show: count },
  { name: 'averageOrderValue', label: 'Average order value', show: usd },
  { name: 'units', label: 'Units sold', show: count },
];

function delta(value: number | undefined, ratio = false): string {
  if (value === undefined) return '<span>n/a</span>';
  const cls = value >= 0 ? 'up' : 'down';
  return `<span class="${cls}">${value >= 0 ? '▲' : '▼'} ${esc(ratio ? signedPoints(value) : signedPercent(value))}</span>`;
}

function kpiCards(m: Metrics, comps: PeriodDef[]): string {
  const cards = KPI_CARDS.map((k) => {
    const kpi = m.kpis[k.name];
    const deltas = comps
      .map((p) => `<p class="delta">${delta(kpi.change[p.tag as Exclude<PeriodTag, 'current'>], k.ratio)} vs ${esc(p.label)}</p>`)
      .join('');
    return `<div class="kpi"><div class="label">${esc(k.label)}</div><div class="value">${esc(k.show(kpi.value))}</div>${deltas}</div>`;
  });
  return `<div class="kpis">${cards.join('')}</div>`;
}

const list = (items: Finding[]): string => `<ul>${items.map((f) => `<li>${esc(f.text)}</li>`).join('')}</ul>`;

function summarySection(s: Summary): string {
  return `<section id="summary"><h2>Executive summary</h2>
<p class="headline">${esc(s.headline.text)}</p>
<h3>Key findings</h3><ol class="findings">${s.findings.map((f) => `<li>${esc(f.text)}</li>`).join('')}</ol>
<div class="summary-grid"><div><h3>Risks</h3>${list(s.risks)}</div><div><h3>Recommended actions</h3>${list(s.actions)}</div></div>
</section>`;
}

function breakdownTable(title: string, items: BreakdownItem[], comps: PeriodDef[], limit = 12): string {
  const head = comps.map((p) => `<th class="num">vs ${esc(p.label)}</th>`).join('');
  const rows = items.slice(0, limit).map((i) => {
    const cells = comps
      .map((p) => {
        const c = i.change[p.tag as Exclude<PeriodTag, 'current'>];
        return `<td class="num ${c === undefined ? '' : c >= 0 ? 'up' : 'down'}">${c === undefined ? (i.revenue > 0 ? 'new' : '–') : esc(signedPercent(c))}</td>`;
      })
      .join('');
    return `<tr><td>${esc(i.name)}</td><td class="num">${esc(usd(i.revenue))}</td><td class="num">${esc(percent(i.share))}</td>${cells}<td class="num">${esc(percent(i.grossMargin))}</td></tr>`;
  });
  return `<div><h3>${esc(title)}</h3><table><thead><tr><th>Name</th><th class="num">Revenue</th><th class="num">Share</th>${head}<th class="num">Margin</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function metricsSection(m: Metrics, comps: PeriodDef[]): string {
  const movers = m.movers.length
    ? `<h3>Notable movers vs ${esc(comps[0]?.label ?? '')}</h3><table><thead><tr><th>What</th><th>Name</th><th class="num">Before</th><th class="num">Now</th><th class="num">Change</th></tr></thead><tbody>${m.movers
        .map(
          (x) =>
            `<tr><td>${esc(x.dimension)}</td><td>${esc(x.name)}</td><td class="num">${esc(usd(x.from))}</td><td class="num">${esc(usd(x.to))}</td><td class="num ${x.delta >= 0 ? 'up' : 'down'}">${x.change === undefined ? 'new' : esc(signedPercent(x.change))}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : '';
  return `<section id="details"><h2>Breakdowns</h2><div class="tables">
${breakdownTable('Regions', m.breakdowns.region, comps)}
${breakdownTable('Channels', m.breakdowns.channel, comps)}
${breakdownTable('Customer segments', m.breakdowns.segment, comps)}
${breakdownTable('Categories', m.breakdowns.category, comps)}
</div>
${breakdownTable('Products', m.breakdowns.product, comps)}
${breakdownTable('Top 10 countries', m.breakdowns.country, comps, 10)}
${movers}</section>`;
}

function chartsSection(c: Charts): string {
  const figures = c.charts.map(
    (ch) => `<figure class="chart" id="chart-${esc(ch.id)}" aria-label="${esc(ch.title)}">${ch.svg}<figcaption>${esc(ch.description)}</figcaption></figure>`,
  );
  return `<section id="charts"><h2>Charts</h2>${figures.join('\n')}</section>`;
}

function howMadeSection(h: HowMade, queries: QueryRecord[]): string {
  const rows = h.steps.map((s) => {
    const attempts = s.attempts.length
      ? s.attempts
          .map((a) => `#${a.n} ${esc(a.agent)} ${esc(a.version)}: <span class="status-${esc(a.status)}">${esc(a.status)}</span> in ${esc(seconds(a.durationMs))}<br>${esc(a.validation)}`)
          .join('<br>')
      : esc(s.reason ?? 'not run');
    return `<tr><td><strong>${esc(s.id)}</strong><br>${esc(s.title)}</td><td>${esc(s.agent)}<br>v${esc(s.version)}</td><td class="status-${esc(s.status)}">${esc(s.status)}</td><td class="num">${s.attempts.length}</td><td class="num">${esc(seconds(s.durationMs))}</td><td>${attempts}</td></tr>`;
  });
  const sql = queries.length
    ? `<details><summary>SQL run by the data agent (${queries.length} read-only queries)</summary>${queries
        .map((q) => `<p><strong>${esc(q.name)}</strong>: ${q.rowCount} rows in ${q.durationMs} ms</p><pre>${esc(q.sql)}</pre>`)
        .join('')}</details>`
    : '';
  const notes = h.notes.length ? `<p class="meta">Planner notes: ${esc(h.notes.join(' '))}</p>` : '';
  const steering = steeringLines(h).map((line) => `<p class="meta steering">${esc(line)}</p>`).join('');
  return `<section id="how-made"><h2>How this report was made</h2>
<p class="meta">Goal: “${esc(h.goal.replace(/[.\s]+$/, ''))}”. Run ${esc(h.runId)}, planned by the ${esc(h.planner)} planner, started ${esc(h.startedAt)}. Each output was validated against its JSON Schema before it was used.${usageLine(h.usage) ? ` Model usage: ${esc(usageLine(h.usage)!)}.` : ''}</p>${steering}${notes}
<table class="how"><thead><tr><th>Subtask</th><th>Agent</th><th>Status</th><th class="num">Attempts</th><th class="num">Time</th><th>Attempts and validation</th></tr></thead><tbody>${rows.join('')}</tbody></table>
${sql}</section>`;
}

/** Renders the whole report page. */
export function renderHtml(p: ReportParts): string {
  const comps = orderedComparisons(p);
  const compText = comps.map((c) => `${c.label} (${comparisonName(c)})`).join(' and ');
  const sub = [
    p.period ? `${p.period.start} to ${p.period.end}` : '',
    compText ? `compared with ${compText}` : '',
    p.coverage ? `data: orders ${p.coverage.start} to ${p.coverage.end}` : '',
  ].filter(Boolean);
  const notes = [...p.notes, ...p.missing.map((m) => `Not included: ${m.artifact} (${m.reason}).`)];
  const body = [
    `<header class="cover"><p class="eyebrow">Sales performance report</p><h1>${esc(p.title)}</h1><p class="meta">${esc(sub.join(' · '))}</p></header>`,
    notes.length ? `<div class="notes">${notes.map((n) => `<p>${esc(n)}</p>`).join('')}</div>` : '',
    p.summary ? summarySection(p.summary) : '',
    p.metrics ? `<section id="kpis"><h2>Key figures</h2>${kpiCards(p.metrics, comps)}</section>` : '',
    p.charts ? chartsSection(p.charts) : '',
    p.metrics ? metricsSection(p.metrics, comps) : '',
    howMadeSection(p.howMade, p.queries),
    `<footer>Generated ${esc(p.generatedAt)} by Baton. Revenue is net of discounts; gross margin = (revenue − cost of goods) ÷ revenue; amounts in US dollars.</footer>`,
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(p.title)}</title><style>${REPORT_CSS}</style></head>
<body><main>
${body.filter(Boolean).join('\n')}
</main></body></html>
`;
}
