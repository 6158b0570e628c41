/**
 * Data agent (kind module): reads the period and comparisons from the goal and returns the
 * `sales-dataset` artifact from the sales database, through a read-only connection.
 */
import type { AgentContext, AgentInput, AgentOutput } from 'batonjs/agent';
import { extractSalesDataset } from '../lib/extract.ts';

export default async function dataAgent(input: AgentInput, ctx: AgentContext): Promise<AgentOutput> {
  ctx.signal.throwIfAborted();
  return { 'sales-dataset': extractSalesDataset(input, { signal: ctx.signal }) };
}
