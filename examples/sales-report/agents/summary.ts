/**
 * Summary agent (kind module): writes the executive summary (headline, key findings, risks,
 * recommended actions) from the `metrics` artifact by deterministic text generation; every number
 * it quotes carries a pointer to the metric it came from.
 */
import type { AgentContext, AgentInput, AgentOutput } from 'batonjs/agent';
import { UnrecoverableAgentError } from 'batonjs/agent';
import type { Metrics } from '../lib/artifacts.ts';
import { writeSummary } from '../lib/summary-text.ts';

export default async function summaryAgent(input: AgentInput, ctx: AgentContext): Promise<AgentOutput> {
  ctx.signal.throwIfAborted();
  const metrics = input.inputs['metrics'] as Metrics | undefined;
  if (!metrics || typeof metrics !== 'object' || !metrics.kpis || !metrics.period) {
    throw new UnrecoverableAgentError('the summary agent needs a "metrics" input (kpis, period); none was given.');
  }
  return { summary: writeSummary(metrics) };
}
