/** The artifacts of the support triage workflow (their JSON Schemas are in ../schemas). */

export type Tier = 'free' | 'pro' | 'enterprise';
export type Priority = 'urgent' | 'high' | 'normal' | 'low';

export interface Ticket {
  id: string;
  createdAt: string;
  channel: 'email' | 'chat' | 'phone' | 'web';
  status: 'open' | 'pending';
  customer: { name: string; email: string; company: string; tier: Tier };
  subject: string;
  body: string;
}

/** `tickets`: the part of the queue the goal is about. */
export interface TicketBatch {
  source: string;
  /** The latest ticket time in the export: "today" and due times are counted from it. */
  asOf: string;
  filters: string[];
  tickets: Ticket[];
}

export interface Label {
  ticketId: string;
  createdAt: string;
  tier: Tier;
  category: string;
  priority: Priority;
  sentiment: 'negative' | 'neutral' | 'positive';
  signals: string[];
}

/** `labels`: what the classifier (agents/classify.py) makes. */
export interface Labels {
  labels: Label[];
  counts: { byCategory: Record<string, number>; byPriority: Record<string, number> };
}

export interface Assignment {
  ticketId: string;
  team: string;
  assignee: string;
  priority: Priority;
  dueBy: string;
  escalated: boolean;
}

/** `assignments`: who handles each ticket, by when. */
export interface Assignments {
  assignments: Assignment[];
  load: Record<string, number>;
}

/** `replies`: a first reply per ticket, for a person to review and send. */
export interface Replies {
  drafts: { ticketId: string; to: string; subject: string; body: string; template: string }[];
}

/** `digest`: the queue at a glance for the support lead. */
export interface Digest {
  headline: string;
  total: number;
  byPriority: Record<string, number>;
  byCategory: Record<string, number>;
  urgent: { ticketId: string; category: string; team: string; assignee: string; dueBy: string }[];
  teamLoad: Record<string, number>;
  dueSoon: { ticketId: string; dueBy: string; assignee: string }[];
}

export const PRIORITIES: readonly Priority[] = ['urgent', 'high', 'normal', 'low'];
