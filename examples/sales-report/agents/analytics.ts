/**
 * Analytics agent (kind module): turns the `sales-dataset` artifact into the `metrics` artifact
 * (KPIs, growth, breakdowns, trend, movers) and the `charts` artifact (Vega-Lite specs rendered to SVG).
 */
import type { AgentContext, AgentInput, AgentOutput } from 'batonjs/agent';
import { UnrecoverableAgentError } from 'batonjs/agent';
import type { SalesDataset } from '../lib/artifacts.ts';
import { buildCharts } from '../lib/charts.ts';
import { computeMetrics } from '../lib/metrics.ts';
import { periodRequestFor } from '../lib/period.ts';

function datasetOf(input: AgentInput): SalesDataset {
  const dataset = input.inputs['sales-dataset'] as SalesDataset | undefined;
  if (!dataset || !Array.isArray(dataset.rows) || !Array.isArray(dataset.periods) || !dataset.request) {
    throw new UnrecoverableAgentError('the analytics agent needs a "sales-dataset" input (rows, periods, request); none was given.');
  }
  // The dataset must be about the period asked for: re-read the goal against the same coverage.
  const asked = periodRequestFor(input, dataset.source.coverage).current;
  const got = dataset.request.current;
  if (asked.start !== got.start || asked.end !== got.end) {
    throw new UnrecoverableAgentError(`the sales-dataset covers ${got.label} (${got.start} to ${got.end}) but the goal asks for ${asked.label} (${asked.start} to ${asked.end}).`);
  }
  return dataset;
}

export default async function analyticsAgent(input: AgentInput, ctx: AgentContext): Promise<AgentOutput> {
  ctx.signal.throwIfAborted();
  const metrics = computeMetrics(datasetOf(input));
  const charts = await buildCharts(metrics, ctx.signal);
  return { metrics, charts };
}
