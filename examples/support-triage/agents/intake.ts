/**
 * Intake agent (kind module): reads the support queue from the helpdesk export (data/tickets.json,
 * or the file BATON_TICKETS names) and keeps the tickets the goal is about: a day ("today",
 * "yesterday", counted from the latest ticket), customer tiers ("enterprise") and channels ("chat").
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AgentContext, AgentInput, AgentOutput } from 'batonjs/agent';
import { UnrecoverableAgentError } from 'batonjs/agent';
import type { Ticket, TicketBatch } from '../lib/artifacts.ts';
import { channelsIn, dayIn, tiersIn } from '../lib/goal-filters.ts';

const DEFAULT_EXPORT = path.join(import.meta.dirname, '../data/tickets.json');

export default async function intakeAgent(input: AgentInput, ctx: AgentContext): Promise<AgentOutput> {
  ctx.signal.throwIfAborted();
  const source = process.env['BATON_TICKETS'] ?? DEFAULT_EXPORT;
  let all: Ticket[];
  try {
    all = (JSON.parse(readFileSync(source, 'utf8')) as { tickets: Ticket[] }).tickets;
  } catch (e) {
    throw new UnrecoverableAgentError(`cannot read the ticket export ${source}: ${(e as Error).message}`);
  }
  if (!Array.isArray(all) || all.length === 0) throw new UnrecoverableAgentError(`the ticket export ${source} has no "tickets"`);
  const asOf = all.map((t) => t.createdAt).sort().at(-1) ?? '';
  const filters: string[] = [];
  let tickets = all.filter((t) => t.status === 'open' || t.status === 'pending');

  const day = dayIn(input.goal);
  if (day) {
    const date = new Date(Date.parse(asOf) - (day === 'yesterday' ? 86_400_000 : 0)).toISOString().slice(0, 10);
    tickets = tickets.filter((t) => t.createdAt.startsWith(date));
    filters.push(`${day} (${date})`);
  }
  const tiers = tiersIn(input.goal);
  if (tiers.length > 0) {
    tickets = tickets.filter((t) => tiers.includes(t.customer.tier));
    filters.push(`tier: ${tiers.join(', ')}`);
  }
  const channels = channelsIn(input.goal);
  if (channels.length > 0) {
    tickets = tickets.filter((t) => channels.includes(t.channel));
    filters.push(`channel: ${channels.join(', ')}`);
  }
  if (tickets.length === 0) {
    throw new UnrecoverableAgentError(`no open ticket matches ${filters.join('; ')} in ${path.basename(source)} (${all.length} tickets up to ${asOf})`);
  }
  const batch: TicketBatch = { source: path.basename(source), asOf, filters, tickets };
  return { tickets: batch };
}
