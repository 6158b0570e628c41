/** What a goal says about which tickets it is about: a day, customer tiers, channels, categories. */
import type { Ticket, Tier } from './artifacts.ts';

const TIERS: readonly Tier[] = ['free', 'pro', 'enterprise'];
const CHANNELS = ['email', 'chat', 'phone', 'web'] as const;
/** Category → the words a goal uses for it. */
const CATEGORY_WORDS: Record<string, RegExp> = {
  outage: /\boutages?\b/,
  security: /\bsecurity\b|\bhack(?:ed|s)?\b/,
  bug: /\bbugs?\b/,
  billing: /\bbilling\b|\brefunds?\b|\bpayments?\b/,
  account: /\baccounts?\b|\blogins?\b|\bpasswords?\b/,
  'feature-request': /\bfeature(?:s| requests?)?\b/,
  'how-to': /\bhow-?tos?\b|\bquestions?\b/,
};

function words(goal: string): string {
  return ` ${goal.toLowerCase().replace(/[^a-z0-9-]+/g, ' ')} `;
}

/** The tiers the goal names ("enterprise customers"); empty for all. */
export function tiersIn(goal: string): Tier[] {
  const text = words(goal);
  return TIERS.filter((t) => text.includes(` ${t} `));
}

/** The channels the goal names ("chat tickets"); empty for all. */
export function channelsIn(goal: string): Ticket['channel'][] {
  const text = words(goal);
  return CHANNELS.filter((c) => text.includes(` ${c} `) || text.includes(` ${c}s `));
}

/** "today" or "yesterday" when the goal says so, counted from the latest ticket. */
export function dayIn(goal: string): 'today' | 'yesterday' | undefined {
  const text = words(goal);
  if (text.includes(' today ')) return 'today';
  if (text.includes(' yesterday ')) return 'yesterday';
  return undefined;
}

/** The categories the goal names ("the billing tickets"); empty for all. */
export function categoriesIn(goal: string): string[] {
  const text = words(goal);
  return Object.entries(CATEGORY_WORDS)
    .filter(([, re]) => re.test(text))
    .map(([category]) => category);
}
