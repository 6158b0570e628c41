import { BatonError } from '../core/errors.ts';
import type { Manifest } from '../core/types.ts';
import type { GoalSignals } from './goal-match.ts';
import type { GoalRelation } from './goal-relation.ts';
import type { GoalReading } from './goal-scopes.ts';
import { indexManifest } from './manifest-index.ts';
import { isGenericNoun } from './neutral-words.ts';
import type { Token } from './text-match.ts';

/**
 * What an orchestrator can produce, in readable words: its sub-agents' artifacts, deliverable
 * first ("metrics, charts, summary and sales dataset").
 */
export function producibleText(manifest: Manifest): string {
  const index = indexManifest(manifest);
  const made = index.artifacts.map((a) => a.name).filter((a) => index.producers.has(a));
  const ordered = [...made.filter((a) => index.deliverable.has(a)), ...made.filter((a) => !index.deliverable.has(a))];
  return humanList(ordered.map((a) => a.replace(/[-_]+/g, ' ')));
}

/**
 * The error of a goal the orchestrator will not plan: it asks for nothing the sub-agents make.
 * The message says why (`why`, e.g. "none of its words ('poem', 'cats') relate to ...") and names
 * what the orchestrator can produce instead.
 */
export function goalRefused(manifest: Manifest, why: string, details: Record<string, unknown> = {}): BatonError {
  const { name, description } = manifest.orchestrator;
  const can = producibleText(manifest);
  return new BatonError(
    'GOAL_REFUSED',
    `goal refused: ${why}. Orchestrator ${JSON.stringify(name)} (${description.trim().replace(/\.$/, '')}) can produce: ${can || 'nothing (it has no sub-agents)'}; ask for one of these`,
    { retryable: false, details: { ...details, canProduce: can } },
  );
}

/**
 * Refuses a goal none of whose meaningful words (asked for or excluded) relate to the manifest, or
 * whose thing asked for (its words before "about") relates to nothing: "write me a poem about cats",
 * "a limerick about our sales". A goal without meaningful words is never refused here.
 *
 * @throws BatonError `GOAL_REFUSED`
 */
export function refuseUnrelated(goal: string, manifest: Manifest, reading: GoalReading, signals: GoalSignals, relation: GoalRelation): void {
  const about = reading.about;
  const before = (t: Token): boolean => t.pos !== undefined && about !== undefined && t.pos < about;
  // "Something about X" asks about X: a generic noun before "about" is no thing of its own.
  if (about !== undefined && !reading.positive.some((t) => before(t) && isGenericNoun(t.word))) {
    const asked = relation.meaningful.filter(before);
    if (asked.length > 0 && asked.every((t) => relation.unrelated.includes(t))) {
      throw goalRefused(manifest, `it asks for ${quotedWords(asked)}, which none of its sub-agents makes`, { goal, unrelated: asked.map((t) => t.word) });
    }
  }
  const strong = signals.named.length > 0 || signals.capabilities.length > 0 || signals.orchestratorWords.length > 0;
  if (strong || relation.unrelated.length === 0 || relation.unrelated.length < relation.meaningful.length) return;
  const { known } = indexManifest(manifest).vocabulary;
  if (reading.excluded.flat().some((t) => known.has(t.stem))) return;
  throw goalRefused(manifest, `none of its words (${quotedWords(relation.unrelated)}) relate to what its sub-agents make`, { goal, unrelated: relation.unrelated.map((t) => t.word) });
}

/** The most words a message quotes from a goal: a goal of thousands of words makes a message of a line or two, not of the whole goal again. */
const MAX_QUOTED_WORDS = 12;

/** Goal words quoted for a message ("'poem', 'cats'"), the first {@link MAX_QUOTED_WORDS} and how many more. */
export function quotedWords(tokens: readonly Token[]): string {
  const shown = tokens.slice(0, MAX_QUOTED_WORDS).map((t) => `'${t.word}'`).join(', ');
  const more = tokens.length - MAX_QUOTED_WORDS;
  return more > 0 ? `${shown} and ${more} more` : shown;
}

function humanList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;
}
