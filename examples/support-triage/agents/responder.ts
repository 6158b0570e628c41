/**
 * Responder agent (kind module): drafts a first reply to each ticket from the canned response of
 * its category, with an apology for an unhappy customer, for a person to review and send. When the
 * goal names categories ("replies for the billing tickets"), only those tickets get a draft.
 */
import type { AgentContext, AgentInput, AgentOutput } from 'batonjs/agent';
import { UnrecoverableAgentError } from 'batonjs/agent';
import type { Label, Labels, Replies, TicketBatch } from '../lib/artifacts.ts';
import { categoriesIn } from '../lib/goal-filters.ts';

const TEMPLATES: Record<string, string> = {
  outage: 'We know about the problem and our platform team is working on it right now. We will update you within the hour.',
  security: 'We have locked your account as a precaution and our accounts team will call you to restore access safely.',
  bug: 'Thank you for the detailed report. Our platform team is going through the steps you describe and will come back with a fix or a workaround.',
  billing: 'Our billing team is checking your payments and will correct any charge that is wrong; refunds reach your card in 5 to 10 days.',
  account: 'Our accounts team will help you with your account; for your safety we may ask you to confirm a few details.',
  'feature-request': 'Thank you for the idea! We have shared it with our product team, who read every request when planning the roadmap.',
  'how-to': 'Here is how to do it, step by step; our help centre also has a short guide on it.',
  general: 'Thank you for writing to us. A member of our team will look into this and reply shortly.',
};

function draftFor(ticket: TicketBatch['tickets'][number], label: Label): Replies['drafts'][number] {
  const template = TEMPLATES[label.category] ? label.category : 'general';
  const apology = label.sentiment === 'negative' ? 'I am sorry for the trouble this has caused you. ' : '';
  const first = ticket.customer.name.split(' ')[0] ?? ticket.customer.name;
  return {
    ticketId: ticket.id,
    to: ticket.customer.email,
    subject: `Re: ${ticket.subject} [${ticket.id}]`,
    body: `Hi ${first},\n\n${apology}${TEMPLATES[template] ?? ''}\n\nBest regards,\nLedgerly Support`,
    template,
  };
}

export default async function responderAgent(input: AgentInput, ctx: AgentContext): Promise<AgentOutput> {
  ctx.signal.throwIfAborted();
  const batch = input.inputs['tickets'] as TicketBatch | undefined;
  const labels = input.inputs['labels'] as Labels | undefined;
  if (!batch?.tickets || !labels?.labels) throw new UnrecoverableAgentError('the responder needs the "tickets" and "labels" inputs');
  const labelOf = new Map(labels.labels.map((l) => [l.ticketId, l]));
  const wanted = categoriesIn(input.goal);
  const drafts = batch.tickets.flatMap((ticket) => {
    const label = labelOf.get(ticket.id);
    if (!label || (wanted.length > 0 && !wanted.includes(label.category))) return [];
    return [draftFor(ticket, label)];
  });
  if (drafts.length === 0) throw new UnrecoverableAgentError(`no ticket of the categories the goal names (${wanted.join(', ')}) needs a reply`);
  const result: Replies = { drafts };
  return { 'replies': result };
}
