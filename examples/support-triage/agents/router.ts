/**
 * Router agent (kind module): gives each labelled ticket to the team that handles its category
 * (data/teams.json) and to that team's least busy member, most urgent tickets first, with a due time
 * from the SLA of its priority. Urgent tickets are marked escalated.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AgentContext, AgentInput, AgentOutput } from 'batonjs/agent';
import { UnrecoverableAgentError } from 'batonjs/agent';
import { type Assignment, type Assignments, type Labels, PRIORITIES, type Priority } from '../lib/artifacts.ts';

interface Teams {
  slaHours: Record<Priority, number>;
  teams: { name: string; handles: string[]; members: string[] }[];
}

const teams = JSON.parse(readFileSync(path.join(import.meta.dirname, '../data/teams.json'), 'utf8')) as Teams;
/** Tickets of a category no team handles go to the customer success team. */
const FALLBACK_TEAM = 'success';

export default async function routerAgent(input: AgentInput, ctx: AgentContext): Promise<AgentOutput> {
  ctx.signal.throwIfAborted();
  const labels = input.inputs['labels'] as Labels | undefined;
  if (!labels || !Array.isArray(labels.labels)) throw new UnrecoverableAgentError('the router needs a "labels" input with a "labels" list; none was given');
  const load = new Map<string, number>();
  for (const team of teams.teams) for (const member of team.members) load.set(member, 0);
  const ordered = [...labels.labels].sort((a, b) => PRIORITIES.indexOf(a.priority) - PRIORITIES.indexOf(b.priority) || a.createdAt.localeCompare(b.createdAt));
  const assignments: Assignment[] = ordered.map((label) => {
    const team = teams.teams.find((t) => t.handles.includes(label.category)) ?? teams.teams.find((t) => t.name === FALLBACK_TEAM);
    if (!team) throw new UnrecoverableAgentError(`no team handles "${label.category}" and there is no "${FALLBACK_TEAM}" team in teams.json`);
    const assignee = [...team.members].sort((a, b) => (load.get(a) ?? 0) - (load.get(b) ?? 0))[0] as string;
    load.set(assignee, (load.get(assignee) ?? 0) + 1);
    const dueBy = new Date(Date.parse(label.createdAt) + teams.slaHours[label.priority] * 3_600_000).toISOString();
    return { ticketId: label.ticketId, team: team.name, assignee, priority: label.priority, dueBy, escalated: label.priority === 'urgent' };
  });
  const byTeam: Record<string, number> = {};
  for (const a of assignments) byTeam[a.team] = (byTeam[a.team] ?? 0) + 1;
  const result: Assignments = { assignments, load: byTeam };
  return { assignments: result };
}
