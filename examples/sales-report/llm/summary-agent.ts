/**
 * Summary agent in LLM mode (kind module around an `llm` agent): the model writes the executive
 * summary from the metrics, as structured output with evidence for every number, and
 * `checkSummaryNumbers` holds each number against the metrics before the summary is accepted. A
 * wrong number makes the attempt invalid, and the next attempt gets the exact problems.
 * Model: BATON_SUMMARY_MODEL, else BATON_MODEL, else openai:gpt-4o-mini (as the manifest).
 */
import { readFileSync } from 'node:fs';
import { defineLlmAgent } from 'batonjs-llm';
import type { JsonSchema } from 'batonjs/agent';
import type { Metrics, Summary } from '../lib/artifacts.ts';
import { checkSummaryNumbers } from './summary-numbers.ts';

const schema = JSON.parse(readFileSync(new URL('../schemas/summary.json', import.meta.url), 'utf8')) as JsonSchema;

export const SUMMARY_INSTRUCTIONS = `You write the executive summary of a sales performance report for executives, from the metrics artifact only.
Write: a headline (revenue of the period and its change on the main comparison), 3 to 5 findings, at least one risk and at least one recommended action. Plain business English, one or two sentences each.
Every number you write must come from the metrics and be listed in that finding's "evidence": {"text": the number exactly as written, "pointer": JSON pointer into the metrics, "value": the number found at the pointer, "format": one of usd, percent, points, count}.
Pointers look like /kpis/revenue/value, /kpis/revenue/change/previous, /kpis/grossMargin/value, /breakdowns/region/0/revenue, /breakdowns/region/0/share, /breakdowns/product/3/change/year_ago (array indexes from 0).
Write numbers exactly the way these formats do (sizes without sign; say "up" or "down" in words):
- usd: $14.2M for millions (one decimal), $871K from ten thousand, $2,126 below that;
- percent: the ratio times 100 with one decimal and %, e.g. 0.1234 is 12.3%;
- points: a difference of two ratios times 100 with one decimal and " pts", e.g. 0.005 is 0.5 pts;
- count: whole number with thousands separators, e.g. 12,408.
Years and period names (Q2 2026, H1, 2025) need no evidence. Set "period" to the metrics period label and "method" to "llm".`;

/** The LLM summary writer with its number check. */
export default defineLlmAgent({
  name: 'summary',
  description: 'Writes the executive summary with key findings, risks and recommended actions',
  version: '2.0.0',
  consumes: ['metrics'],
  produces: ['summary'],
  model: process.env.BATON_SUMMARY_MODEL || process.env.BATON_MODEL || 'openai:gpt-4o-mini',
  instructions: SUMMARY_INSTRUCTIONS,
  schemas: { summary: schema },
  check: (output, input) => {
    const summary = output.summary as Summary | undefined;
    const metrics = input.inputs.metrics as Metrics | undefined;
    if (!summary || !metrics) return ['the reply needs a "summary" object, and the task a "metrics" input'];
    const problems = checkSummaryNumbers(summary, metrics);
    if (summary.method !== 'llm') problems.push('set "method" to "llm": this summary is written by a model');
    return problems;
  },
});
