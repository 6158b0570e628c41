/**
 * Digest agent (kind module): the queue at a glance for the support lead: counts by priority and
 * category, the urgent tickets with who has them, each team's load, and the tickets due in the
 * next eight hours (counted from the latest ticket).
 */
import type { AgentContext, AgentInput, AgentOutput } from 'batonjs/agent';
import { UnrecoverableAgentError } from 'batonjs/agent';
import type { Assignments, Digest, Labels } from '../lib/artifacts.ts';

const DUE_SOON_MS = 8 * 3_600_000;

export default async function digestAgent(input: AgentInput, ctx: AgentContext): Promise<AgentOutput> {
  ctx.signal.throwIfAborted();
  const labels = input.inputs['labels'] as Labels | undefined;
  const assignments = input.inputs['assignments'] as Assignments | undefined;
  if (!labels?.labels || !assignments?.assignments) throw new UnrecoverableAgentError('the digest needs the "labels" and "assignments" inputs');
  const asOf = Math.max(...labels.labels.map((l) => Date.parse(l.createdAt)));
  const assigned = new Map(assignments.assignments.map((a) => [a.ticketId, a]));
  const urgent = labels.labels
    .filter((l) => l.priority === 'urgent')
    .map((l) => {
      const a = assigned.get(l.ticketId);
      return { ticketId: l.ticketId, category: l.category, team: a?.team ?? 'unassigned', assignee: a?.assignee ?? 'nobody', dueBy: a?.dueBy ?? '' };
    });
  const dueSoon = assignments.assignments
    .filter((a) => Date.parse(a.dueBy) > asOf && Date.parse(a.dueBy) <= asOf + DUE_SOON_MS)
    .sort((a, b) => a.dueBy.localeCompare(b.dueBy))
    .map((a) => ({ ticketId: a.ticketId, dueBy: a.dueBy, assignee: a.assignee }));
  const overdue = assignments.assignments.filter((a) => Date.parse(a.dueBy) <= asOf).length;
  const total = labels.labels.length;
  const digest: Digest = {
    headline: `${total} open ticket${total === 1 ? '' : 's'}: ${urgent.length} urgent, ${overdue} past their due time, ${dueSoon.length} due in the next 8 hours`,
    total,
    byPriority: labels.counts.byPriority,
    byCategory: labels.counts.byCategory,
    urgent,
    teamLoad: assignments.load,
    dueSoon,
  };
  return { digest };
}
