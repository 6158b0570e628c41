/**
 * Goal understanding for the sales report: which period the user asks about and what to compare it
 * with. Every agent of the workflow parses the goal with this one module, against the date range the
 * data covers, so they all agree on the period without passing hidden state around.
 */
import { MONTH_NAMES, monthEnd, monthSpan, monthStart, shiftMonths, yearMonth } from './calendar.ts';
import { Resolver, labelOf } from './period-spans.ts';
import type { Span } from './period-spans.ts';

export { labelOf } from './period-spans.ts';

/** The inclusive date range the sales data covers. */
export interface Coverage {
  start: string;
  end: string;
}

export type PeriodKind = 'quarter' | 'half' | 'month' | 'year' | 'range';
/** `current` is the period reported on; the others are comparisons. */
export type PeriodTag = 'current' | 'previous' | 'year_ago' | 'custom';
export type Dimension = 'region' | 'country' | 'product' | 'category' | 'channel' | 'segment';

/** One period: an inclusive range of whole days, with a label a reader understands. */
export interface PeriodDef {
  tag: PeriodTag;
  label: string;
  kind: PeriodKind;
  start: string;
  end: string;
}

/** What the goal asks for, resolved against the data's coverage. */
export interface PeriodRequest {
  current: PeriodDef;
  /** Comparison periods the data fully covers, in the order previous, year_ago, custom. */
  comparisons: PeriodDef[];
  /** The comparison to headline; absent when no comparison period has data. */
  primaryComparison?: Exclude<PeriodTag, 'current'>;
  /** Breakdowns the goal names ("by region"), first named first. */
  focus: Dimension[];
  /** Plain-language notes on how the goal was read (fallbacks, clipping, dropped comparisons). */
  notes: string[];
  /** True when no period was recognised and the latest complete quarter was used. */
  fallback: boolean;
  /** Set when the current period has no data at all: the message to show the user. */
  noData?: string;
}

interface Mention {
  at: number;
  span: Span;
}

const ORDINALS: Record<string, number> = { first: 1, '1st': 1, second: 2, '2nd': 2, third: 3, '3rd': 3, fourth: 4, '4th': 4 };
const NUMBER_WORDS: Record<string, number> = { three: 3, six: 6, nine: 9, twelve: 12, eighteen: 18, 'twenty-four': 24 };
const MONTH_INDEX = new Map<string, number>();
MONTH_NAMES.forEach((name, i) => {
  MONTH_INDEX.set(name.toLowerCase(), i + 1);
  MONTH_INDEX.set(name.slice(0, 3).toLowerCase(), i + 1);
});
MONTH_INDEX.set('sept', 9);
const FULL_MONTHS = MONTH_NAMES.map((m) => m.toLowerCase()).join('|');
const MONTH_ABBR = 'jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec';
const ANY_MONTH = `${FULL_MONTHS}|${MONTH_ABBR}`;

const DIMENSION_WORDS: [RegExp, Dimension][] = [
  [/\bregions?\b|\bregional\b|\bgeograph/, 'region'],
  [/\bcountr(?:y|ies)\b|\bmarkets?\b/, 'country'],
  [/\bproducts?\b|\bskus?\b/, 'product'],
  [/\bcategor(?:y|ies)\b|\bproduct lines?\b/, 'category'],
  [/\bchannels?\b/, 'channel'],
  [/\bsegments?\b|\bcustomer types?\b/, 'segment'],
];

const YEAR_AGO_PHRASES = [
  /\b(?:the\s+)?same\s+(?:quarter|period|month|half|time|months?)\s+(?:of\s+)?(?:last|a|the\s+previous|the\s+prior|previous|prior)\s+year\b/g,
  /\b(?:vs\.?|versus|against|compared\s+(?:to|with)|compare(?:d)?\s+with|relative\s+to|than)\s+(?:the\s+)?(?:last|previous|prior|a)\s+year(?:'s)?\b/g,
  /\byear[-\s]+(?:over|on)[-\s]+year\b|\byoy\b|\by\/y\b/g,
  /\ba\s+year\s+(?:ago|earlier|before)\b/g,
];
const PREVIOUS_PHRASES = [
  /\b(?:vs\.?|versus|against|compared\s+(?:to|with)|compare(?:d)?\s+with|relative\s+to|than)\s+(?:the\s+)?(?:last|previous|prior|preceding)\s+(?:quarter|month|half|period)\b/g,
  /\b(?:quarter|month|half)[-\s]+(?:over|on)[-\s]+(?:quarter|month|half)\b|\bqoq\b|\bq\/q\b|\bmom\b|\bm\/m\b|\bsequential(?:ly)?\b/g,
];
const CONNECTOR = /\b(?:vs\.?|versus|against|compared?|compared\s+(?:to|with)|with|and|relative\s+to|than)\b/;

/**
 * Reads the period, comparisons and requested breakdowns from a goal, resolved against the data's
 * coverage. A period without a year means its latest complete occurrence in the data; relative
 * periods ("last quarter") count from the latest date in the data; an unrecognised period falls
 * back to the latest complete quarter and says so in `notes`.
 */
export function parsePeriodRequest(goal: string, coverage: Coverage): PeriodRequest {
  let text = ` ${goal.toLowerCase().replace(/[\u2013\u2014]/g, '-').replace(/\u2019/g, "'")} `;
  const notes: string[] = [];

  let wantsYearAgo = false;
  let wantsPrevious = false;
  for (const re of YEAR_AGO_PHRASES) text = text.replace(re, (m) => ((wantsYearAgo = true), ' '.repeat(m.length)));
  for (const re of PREVIOUS_PHRASES) text = text.replace(re, (m) => ((wantsPrevious = true), ' '.repeat(m.length)));

  // Tokens that try to name a period but cannot ("Q5 2026", "H3"): blank them with their year.
  let unparseable: string | undefined;
  const original = (at: number, length: number): string => goal.slice(at - 1, at - 1 + length).trim();
  text = text.replace(/\b(?:q(?:[05-9]|\d{2,})|h[03-9])\b(?:\s*(?:of\s+)?\d{4}\b)?/g, (m: string, at: number) => {
    unparseable ??= original(at, m.length);
    return ' '.repeat(m.length);
  });

  const mentions: Mention[] = [];
  const take = (re: RegExp, toSpan: (m: RegExpExecArray) => Span | undefined): void => {
    text = text.replace(re, (...args: unknown[]) => {
      const groups = args.slice(0, -2) as (string | undefined)[];
      const at = args[args.length - 2] as number;
      const match = Object.assign([...groups], { index: at, input: text }) as unknown as RegExpExecArray;
      const span = toSpan(match);
      if (!span) return groups[0] ?? '';
      mentions.push({ at, span });
      return ' '.repeat((groups[0] ?? '').length);
    });
  };
  const ctx = new Resolver(coverage, notes);

  // Quarters: "2025 Q2", "2025-Q2", "Q2 2025", "Q2'25", "Q2 FY2025", "second quarter of 2025", "quarter 2".
  take(/\b(?:fy\s?)?(\d{4})\s*[-/ ]?\s*q([1-4])\b/g, (m) => ctx.quarter(Number(m[2]), Number(m[1]), m[0]));
  take(/\bq([1-4])\b(?:\s*(?:of|in)?\s*(?:fy\s?(\d{4}|\d{2})\b|'(\d{2})\b|[-/]?(\d{4})\b))?/g, (m) =>
    ctx.quarter(Number(m[1]), year(m[2] ?? m[3] ?? m[4]), m[0]),
  );
  take(/\b(first|second|third|fourth|1st|2nd|3rd|4th)\s+(?:fiscal\s+)?quarter\b(?:\s+(?:of\s+|in\s+)?(?:fy\s?)?(\d{4})\b)?/g, (m) =>
    ctx.quarter(ORDINALS[m[1] ?? ''] ?? 1, year(m[2]), m[0]),
  );
  take(/\bquarter\s+([1-4])\b(?:\s+(?:of\s+|in\s+)?(\d{4})\b)?/g, (m) => ctx.quarter(Number(m[1]), year(m[2]), m[0]));

  // Halves: "H1 2026", "1H26", "2026 H1", "first half of 2026".
  take(/\b(\d{4})\s*[-/ ]?\s*h([12])\b/g, (m) => ctx.half(Number(m[2]), Number(m[1]), m[0]));
  take(/\b(?:h([12])|([12])h)(?:\s*(?:of\s+)?(?:(\d{4})\b|'?(\d{2})\b))?/g, (m) =>
    ctx.half(Number(m[1] ?? m[2]), year(m[3] ?? m[4]), m[0]),
  );
  take(/\b(first|second|1st|2nd)\s+half\b(?:\s+(?:of\s+)?(?:the\s+year\s+)?(?:fy\s?)?(\d{4})\b)?/g, (m) =>
    ctx.half(ORDINALS[m[1] ?? ''] ?? 1, year(m[2]), m[0]),
  );

  // Month ranges: "January to March 2026", "jan-mar 2026", "from oct 2025 to mar 2026".
  take(
    new RegExp(`\\b(${ANY_MONTH})\\.?(?:\\s+(\\d{4}))?\\s*(?:-|to|through|thru|until|till)\\s*(${ANY_MONTH}|may)\\.?(?:\\s+(\\d{4}))?\\b`, 'g'),
    (m) => ctx.monthRange(MONTH_INDEX.get(m[1] ?? '') ?? 1, year(m[2]), MONTH_INDEX.get(m[3] ?? '') ?? 5, year(m[4]), m[0]),
  );
  // Months: "March 2026", "mar 2026", "2026-03", "in May", "March".
  take(/\b(\d{4})-(0[1-9]|1[0-2])\b/g, (m) => ctx.month(Number(m[2]), Number(m[1]), m[0]));
  take(new RegExp(`\\b(${FULL_MONTHS})\\b(?:\\s+(?:of\\s+)?(\\d{4})\\b)?`, 'g'), (m) => {
    // "may" is also a verb: count it only with a year or after a preposition.
    if (m[1] === 'may' && !m[2] && !/\b(?:in|for|of|during|from)\s+$/.test(m.input.slice(0, m.index))) return undefined;
    return ctx.month(MONTH_INDEX.get(m[1] ?? '') ?? 1, year(m[2]), m[0]);
  });
  take(new RegExp(`\\b(${MONTH_ABBR})\\.?\\s+(?:'(\\d{2})|(\\d{4}))\\b`, 'g'), (m) =>
    ctx.month(MONTH_INDEX.get(m[1] ?? '') ?? 1, year(m[2] ?? m[3]), m[0]),
  );

  // Year to date, trailing months, relative periods.
  take(/\b(?:(\d{4})\s+)?(?:ytd|year[-\s]to[-\s]date)\b(?:\s+(?:of\s+|for\s+)?(\d{4})\b)?/g, (m) => ctx.yearToDate(year(m[1] ?? m[2]), m[0]));
  take(/\b(?:last|past|trailing|previous|prior)\s+(\d{1,2}|three|six|nine|twelve|eighteen|twenty-four)\s+months\b|\bttm\b/g, (m) =>
    ctx.trailingMonths(m[1] === undefined ? 12 : (NUMBER_WORDS[m[1]] ?? Number(m[1])), m[0]),
  );
  take(/\b(last|previous|prior|latest|most\s+recent|recent|this|current)\s+(quarter|month|half(?:[-\s]year)?|year)\b/g, (m) =>
    ctx.relative(m[1] ?? 'last', m[2] ?? 'quarter', m[0]),
  );

  take(/\bfy\s?'?(\d{2})\b/g, (m) => ctx.year(2000 + Number(m[1]), m[0]));
  // Whole years: "2025", "FY2025", "full year 2025", "fiscal year 2025".
  take(/\b(?:fy\s?|fiscal\s+(?:year\s+)?|full[-\s]year\s+|calendar\s+year\s+|year\s+)?((?:19|20)\d{2})\b/g, (m) => ctx.year(Number(m[1]), m[0]));

  mentions.sort((a, b) => a.at - b.at);
  const odd = /\b(?:fiscal|fy)\s*\w*|\b(?:spring|summer|autumn|fall|winter)\b/.exec(text);
  const suspicious = unparseable ?? (odd ? original(odd.index, odd[0].length) : undefined);

  let fallback = false;
  let currentSpan = mentions[0]?.span;
  if (!currentSpan) {
    fallback = true;
    currentSpan = ctx.latestCompleteQuarter('fallback');
    notes.push(
      suspicious
        ? `Could not understand "${suspicious.trim()}" as a period; used the latest complete quarter, ${labelOf(currentSpan)}.`
        : `No period in the goal; used the latest complete quarter, ${labelOf(currentSpan)}.`,
    );
  }

  const secondMention = mentions.find((m) => m !== mentions[0] && !sameSpan(m.span, currentSpan));
  const explicitComparison =
    secondMention && mentions[0] && CONNECTOR.test(text.slice(0, secondMention.at)) ? secondMention.span : undefined;
  if (mentions.length > 1 && !explicitComparison) {
    notes.push(`The goal names more than one period; reported on the first, ${labelOf(currentSpan)}.`);
  }

  return assemble(currentSpan, { wantsYearAgo, wantsPrevious, explicitComparison, fallback, notes, coverage, focus: focusOf(goal) });
}

function year(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  return text.length === 2 ? 2000 + n : n;
}

function sameSpan(a: Span, b: Span): boolean {
  return a.start === b.start && a.end === b.end;
}

function focusOf(goal: string): Dimension[] {
  const lower = goal.toLowerCase();
  const found: { at: number; dim: Dimension }[] = [];
  // "by region", "by product and channel", "top products", "breakdown of channels".
  const lists = [...lower.matchAll(/\b(?:by|per|across|for each|each|top|bottom|breakdown of|split by|broken down by)\s+((?:(?:the|and|or|,|&|\/|[a-z]+)\s*){1,6})/g)];
  for (const [re, dim] of DIMENSION_WORDS) {
    for (const l of lists) {
      const inList = re.exec(l[1] ?? '');
      if (inList) {
        found.push({ at: (l.index ?? 0) + inList.index, dim });
        break;
      }
    }
  }
  return found.sort((a, b) => a.at - b.at).map((f) => f.dim);
}

interface AssembleOptions {
  wantsYearAgo: boolean;
  wantsPrevious: boolean;
  explicitComparison: Span | undefined;
  fallback: boolean;
  notes: string[];
  coverage: Coverage;
  focus: Dimension[];
}

function assemble(span: Span, o: AssembleOptions): PeriodRequest {
  const current: PeriodDef = { tag: 'current', label: labelOf(span), kind: span.kind, start: span.start, end: span.end };
  const request: PeriodRequest = { current, comparisons: [], focus: o.focus, notes: o.notes, fallback: o.fallback };

  if (span.end < o.coverage.start || span.start > o.coverage.end) {
    request.noData =
      `No sales data for ${current.label} (${current.start} to ${current.end}): the sales database covers ` +
      `${o.coverage.start} to ${o.coverage.end}. Ask for a period inside that range, for example "${labelOf({ kind: 'quarter', ...lastQuarterOf(o.coverage) })} sales report".`;
    return request;
  }
  if (span.start < o.coverage.start || span.end > o.coverage.end) {
    o.notes.push(`The data covers ${o.coverage.start} to ${o.coverage.end}, so ${current.label} is only partly covered.`);
  }

  const months = monthSpan(span.start, span.end);
  const candidates: PeriodDef[] = [];
  // Comparing a year with "the previous year" is the year-ago comparison: list it once.
  const ago = shiftMonths(span.start, span.end, -12);
  if (span.kind !== 'year' && !span.noPrevious && months !== 12) {
    const prev = shiftMonths(span.start, span.end, -months);
    candidates.push({ tag: 'previous', label: labelOf({ kind: span.kind, ...prev }), kind: span.kind, ...prev });
  }
  candidates.push({ tag: 'year_ago', label: labelOf({ kind: span.kind, ...ago }), kind: span.kind, ...ago });
  if (o.explicitComparison) {
    const c = o.explicitComparison;
    const same = candidates.find((p) => p.start === c.start && p.end === c.end);
    if (!same) candidates.push({ tag: 'custom', label: labelOf(c), kind: c.kind, start: c.start, end: c.end });
  }

  const names: Record<string, string> = { previous: 'the previous period', year_ago: 'the same period a year earlier', custom: 'the period to compare with' };
  for (const p of candidates) {
    if (p.start >= o.coverage.start && p.end <= o.coverage.end) request.comparisons.push(p);
    else o.notes.push(`No complete data for ${p.label} (${names[p.tag] ?? p.tag}); that comparison is left out.`);
  }

  const has = (tag: PeriodTag): boolean => request.comparisons.some((p) => p.tag === tag);
  const explicitTag = o.explicitComparison
    ? (request.comparisons.find((p) => p.start === o.explicitComparison?.start && p.end === o.explicitComparison.end)?.tag as Exclude<PeriodTag, 'current'> | undefined)
    : undefined;
  const order: Exclude<PeriodTag, 'current'>[] = o.wantsPrevious && !o.wantsYearAgo ? ['previous', 'year_ago'] : ['year_ago', 'previous'];
  const primary = explicitTag ?? order.find(has);
  if (primary) request.primaryComparison = primary;
  return request;
}

function lastQuarterOf(coverage: Coverage): { start: string; end: string } {
  const e = yearMonth(coverage.end);
  let q = Math.floor((e.month - 1) / 3);
  let y = e.year;
  if (monthEnd(y, q * 3 + 3) > coverage.end) q -= 1;
  if (q < 0) {
    q = 3;
    y -= 1;
  }
  return { start: monthStart(y, q * 3 + 1), end: monthEnd(y, q * 3 + 3) };
}

/**
 * The request for an agent's input. The run parameter `period` ("Q2 2026", "H1 2026", "March
 * 2026") names the period when it is given; the goal still says what to break down ("by region").
 * Without it the period is read from the goal; when the goal names no period but the task's
 * instructions do (an LLM planner may spell the period out there), from the instructions.
 */
export function periodRequestFor(input: { goal: string; task?: { instructions?: string }; params?: Record<string, unknown> }, coverage: Coverage): PeriodRequest {
  const period = input.params?.['period'];
  if (typeof period === 'string' && period.trim() !== '') return fromParameter(period.trim(), input.goal, coverage);
  const fromGoal = parsePeriodRequest(input.goal, coverage);
  const instructions = input.task?.instructions;
  if (!fromGoal.fallback || !instructions || instructions.includes(input.goal)) return fromGoal;
  const fromTask = parsePeriodRequest(instructions, coverage);
  if (fromTask.fallback) return fromGoal;
  fromTask.notes.unshift(`The goal names no period; used the one in the task's instructions, ${fromTask.current.label}.`);
  return fromTask;
}

/** The request for the `period` run parameter; the goal adds its breakdowns. */
function fromParameter(period: string, goal: string, coverage: Coverage): PeriodRequest {
  const request = parsePeriodRequest(period, coverage);
  if (request.fallback) {
    request.noData = `The run parameter period is "${period}", which is not a period this report understands: write it like "Q2 2026", "H1 2026", "March 2026" or "2025".`;
    return request;
  }
  request.focus = focusOf(goal);
  request.notes.unshift(`Period from the run parameter period: ${request.current.label}.`);
  return request;
}

/** All periods of a request, current first. */
export function allPeriods(request: Pick<PeriodRequest, 'current' | 'comparisons'>): PeriodDef[] {
  return [request.current, ...request.comparisons];
}
