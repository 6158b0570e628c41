/**
 * The executive summary written deterministically from the metrics (no model needed). Each number
 * in the text is taken from the metrics through `Writer.num`, which records the JSON pointer it came
 * from, so a reader (and the tests) can trace every figure back to the metrics artifact.
 */
import type { BreakdownItem, Evidence, Finding, Metrics, Mover, NumberFormat, Summary } from './artifacts.ts';
import { formatNumber } from './format.ts';
import type { Dimension, PeriodDef, PeriodTag } from './period.ts';

type CompareTag = Exclude<PeriodTag, 'current'>;

/** Reads a number from the metrics by JSON pointer. */
export function valueAt(metrics: Metrics, pointer: string): number | undefined {
  let node: unknown = metrics;
  for (const part of pointer.split('/').slice(1)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return typeof node === 'number' ? node : undefined;
}

/** Builds one finding: text with numbers quoted from the metrics. */
class Writer {
  private readonly evidence: Evidence[] = [];
  constructor(private readonly metrics: Metrics) {}

  num(pointer: string, format: NumberFormat): string {
    const value = valueAt(this.metrics, pointer);
    if (value === undefined) throw new Error(`summary refers to a metric that does not exist: ${pointer}`);
    const text = formatNumber(value, format);
    this.evidence.push({ text, pointer, value, format });
    return text;
  }

  done(text: string): Finding {
    return { text, evidence: this.evidence };
  }
}

const dimIndex = (m: Metrics, dim: Dimension, name: string): number => m.breakdowns[dim].findIndex((i) => i.name === name);
const upDown = (n: number): string => (n >= 0 ? 'up' : 'down');
const roseFell = (n: number): string => (n >= 0 ? 'rose' : 'fell');

/** Writes the summary artifact for a metrics artifact. */
export function writeSummary(m: Metrics): Summary {
  const primary = m.comparisons.find((p) => p.tag === m.primaryComparison);
  const tag = primary?.tag as CompareTag | undefined;
  const other = m.comparisons.find((p) => p.tag !== m.primaryComparison && p.tag !== 'custom');
  const w = (): Writer => new Writer(m);
  const P = m.period.label;

  // Headline.
  const h = w();
  const revenueChange = tag ? m.kpis.revenue.change[tag] : undefined;
  const marginChange = tag ? m.kpis.grossMargin.change[tag] : undefined;
  const headline = h.done(
    revenueChange !== undefined && primary && marginChange !== undefined
      ? `${P} revenue reached ${h.num('/kpis/revenue/value', 'usd')}, ${upDown(revenueChange)} ${h.num(`/kpis/revenue/change/${tag}`, 'percent')} on ${primary.label}, ` +
          `at a gross margin of ${h.num('/kpis/grossMargin/value', 'percent')} (${upDown(marginChange)} ${h.num(`/kpis/grossMargin/change/${tag}`, 'points')}).`
      : `${P} revenue reached ${h.num('/kpis/revenue/value', 'usd')} from ${h.num('/kpis/orders/value', 'count')} orders, at a gross margin of ${h.num('/kpis/grossMargin/value', 'percent')}.`,
  );

  const findings: Finding[] = [];
  const risks: Finding[] = [];
  const actions: Finding[] = [];
  const movers = m.movers;

  if (tag && primary) {
    // 1. The fastest-growing region (or the largest, when none grew).
    const regions = m.breakdowns.region;
    const grower = [...regions].filter((r) => (r.change[tag] ?? 0) > 0).sort((a, b) => (b.change[tag] ?? 0) - (a.change[tag] ?? 0))[0];
    if (grower) {
      const i = dimIndex(m, 'region', grower.name);
      const f = w();
      findings.push(
        f.done(
          `${grower.name} grew fastest: revenue up ${f.num(`/breakdowns/region/${i}/change/${tag}`, 'percent')} to ${f.num(`/breakdowns/region/${i}/revenue`, 'usd')}, ` +
            `${f.num(`/breakdowns/region/${i}/share`, 'percent')} of the total.`,
        ),
      );
    }
    // 2. A launch, else the product that added the most revenue.
    const launch = movers.find((x) => x.dimension === 'product' && x.kind === 'new');
    const productUp = launch ?? movers.find((x) => x.dimension === 'product' && x.kind === 'up');
    if (productUp) findings.push(productFinding(m, productUp, primary, w()));
    // 3. The biggest fall among products and regions.
    const faller = movers.find((x) => (x.dimension === 'product' || x.dimension === 'region') && (x.kind === 'down' || x.kind === 'gone'));
    if (faller) {
      const i = dimIndex(m, faller.dimension, faller.name);
      const f = w();
      findings.push(
        f.done(
          `${faller.name} ${faller.kind === 'gone' ? 'had no sales' : `revenue fell ${f.num(`/breakdowns/${faller.dimension}/${i}/change/${tag}`, 'percent')} to ${f.num(`/breakdowns/${faller.dimension}/${i}/revenue`, 'usd')}`}, ` +
            `from ${f.num(`/breakdowns/${faller.dimension}/${i}/compare/${tag}`, 'usd')} in ${primary.label}.`,
        ),
      );
    }
    // 4. Channel shift.
    const channel = [...m.breakdowns.channel].sort((a, b) => (b.change[tag] ?? 0) - (a.change[tag] ?? 0))[0];
    if (channel && channel.change[tag] !== undefined) {
      const i = dimIndex(m, 'channel', channel.name);
      const f = w();
      findings.push(
        f.done(
          `${channel.name} is the fastest-moving channel: ${f.num(`/breakdowns/channel/${i}/share`, 'percent')} of revenue, ` +
            `${upDown(channel.change[tag] ?? 0)} ${f.num(`/breakdowns/channel/${i}/change/${tag}`, 'percent')} on ${primary.label}.`,
        ),
      );
    }
  }
  if (!tag) {
    // No comparison period has data: describe where the revenue comes from instead.
    for (const dim of ['region', 'product', 'channel'] as const) {
      const first = m.breakdowns[dim][0];
      if (!first) continue;
      const f = w();
      findings.push(f.done(`${first.name} is the largest ${dim}: ${f.num(`/breakdowns/${dim}/0/revenue`, 'usd')}, ${f.num(`/breakdowns/${dim}/0/share`, 'percent')} of revenue.`));
    }
  }
  // 5. Order economics (and the sequential view when there is one).
  {
    const f = w();
    const aovChange = tag ? m.kpis.averageOrderValue.change[tag] : undefined;
    let text = `${f.num('/kpis/orders/value', 'count')} orders at an average of ${f.num('/kpis/averageOrderValue/value', 'usd')}`;
    if (aovChange !== undefined && primary) text += ` (${upDown(aovChange)} ${f.num(`/kpis/averageOrderValue/change/${tag}`, 'percent')} on ${primary.label})`;
    text += '.';
    const seq = other ? m.kpis.revenue.change[other.tag as CompareTag] : undefined;
    if (other && seq !== undefined) text += ` Against ${other.label}, revenue ${roseFell(seq)} ${f.num(`/kpis/revenue/change/${other.tag}`, 'percent')}.`;
    findings.push(f.done(text));
  }

  if (tag && primary) {
    // Risks: shrinking regions, margin and discount pressure, concentration.
    const shrinking = m.breakdowns.region.filter((r) => (r.change[tag] ?? 0) <= -0.05);
    for (const r of shrinking.slice(0, 2)) {
      const i = dimIndex(m, 'region', r.name);
      const f = w();
      risks.push(f.done(`${r.name} is shrinking: revenue down ${f.num(`/breakdowns/region/${i}/change/${tag}`, 'percent')} on ${primary.label}, to ${f.num(`/breakdowns/region/${i}/revenue`, 'usd')}.`));
      const a = w();
      actions.push(a.done(`Agree a recovery plan for ${r.name} (pipeline, partners, pricing) and review it monthly until revenue is growing again.`));
    }
    const lowMargin = lowest(m.breakdowns.region, (r) => r.grossMargin);
    const gm = m.kpis.grossMargin.change[tag] ?? 0;
    if (lowMargin) {
      const i = dimIndex(m, 'region', lowMargin.name);
      const f = w();
      if (gm < -0.002) {
        risks.push(
          f.done(
            `Margin pressure: gross margin is ${f.num('/kpis/grossMargin/value', 'percent')}, down ${f.num(`/kpis/grossMargin/change/${tag}`, 'points')} on ${primary.label}; ` +
              `${lowMargin.name} is lowest at ${f.num(`/breakdowns/region/${i}/grossMargin`, 'percent')}.`,
          ),
        );
      } else if (lowMargin.grossMargin < m.kpis.grossMargin.value - 0.02) {
        risks.push(f.done(`${lowMargin.name} earns a gross margin of ${f.num(`/breakdowns/region/${i}/grossMargin`, 'percent')}, well below the overall ${f.num('/kpis/grossMargin/value', 'percent')}.`));
      }
      if (gm < -0.002 || lowMargin.grossMargin < m.kpis.grossMargin.value - 0.02) {
        actions.push(w().done(`Tighten discount approvals in ${lowMargin.name} and check its price list against competitors before the next promotions.`));
      }
    }
    const disc = m.kpis.averageDiscount.change[tag] ?? 0;
    if (disc > 0.005) {
      const f = w();
      risks.push(f.done(`Discounts are deepening: the average discount rose ${f.num(`/kpis/averageDiscount/change/${tag}`, 'points')} to ${f.num('/kpis/averageDiscount/value', 'percent')}.`));
    }
    const decliner = movers.find((x) => x.dimension === 'product' && x.kind === 'down');
    if (decliner && (decliner.change ?? 0) <= -0.3) {
      actions.push(w().done(`Plan the run-down of the ${decliner.name}: cut its stock to current demand and move its buyers to newer products.`));
    } else if (decliner) {
      actions.push(w().done(`Find out why ${decliner.name} sold less (pricing, stock, competition) before adjusting its forecast.`));
    }
    const topProduct = m.breakdowns.product[0];
    if (topProduct && topProduct.share >= 0.2) {
      const f = w();
      risks.push(f.done(`Concentration: the ${topProduct.name} alone brings ${f.num('/breakdowns/product/0/share', 'percent')} of revenue; supply or quality problems there would show at once.`));
    }
    const grower = [...m.breakdowns.region].sort((a, b) => (b.change[tag] ?? 0) - (a.change[tag] ?? 0))[0];
    if (grower && (grower.change[tag] ?? 0) >= 0.1) actions.push(w().done(`Back the growth in ${grower.name} with sales capacity and stock, so demand is not lost to delivery delays.`));
  }
  if (risks.length === 0) risks.push(w().done('No region, margin or discount trend crossed the warning thresholds in this period.'));
  if (actions.length === 0) actions.push(w().done('Keep the current plan; review the same indicators next period.'));

  return { period: P, headline, findings: findings.slice(0, 5), risks: risks.slice(0, 4), actions: actions.slice(0, 4), method: 'deterministic' };
}

function productFinding(m: Metrics, mover: Mover, against: PeriodDef, f: Writer): Finding {
  const i = dimIndex(m, 'product', mover.name);
  const tag = against.tag;
  if (mover.kind === 'new') {
    return f.done(
      `${mover.name}, not sold in ${against.label}, brought in ${f.num(`/breakdowns/product/${i}/revenue`, 'usd')}, ` +
        `${f.num(`/breakdowns/product/${i}/share`, 'percent')} of revenue.`,
    );
  }
  return f.done(
    `${mover.name} added the most revenue: ${f.num(`/breakdowns/product/${i}/revenue`, 'usd')}, up ${f.num(`/breakdowns/product/${i}/change/${tag}`, 'percent')} on ${against.label}.`,
  );
}

function lowest(items: BreakdownItem[], by: (i: BreakdownItem) => number): BreakdownItem | undefined {
  return [...items].filter((i) => i.revenue > 0).sort((a, b) => by(a) - by(b))[0];
}
