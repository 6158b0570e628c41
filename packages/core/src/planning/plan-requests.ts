import type { Manifest } from '../core/types.ts';
import type { GoalExclusions } from './exclusions.ts';
import type { GoalSignals } from './goal-match.ts';
import type { CapabilityPhrase, ManifestIndex } from './manifest-index.ts';
import { ProducerChain } from './producer-chain.ts';
import type { GoalWords } from './text-match.ts';

/**
 * The artifacts a builtin plan requests, as they are decided: each request plans a producer (and
 * what it needs) through the {@link ProducerChain}; an excluded artifact is never requested.
 */
export class PlanRequests {
  readonly chain: ProducerChain;
  readonly requested = new Set<string>();
  readonly notes: string[] = [];

  constructor(
    private readonly manifest: Manifest,
    index: ManifestIndex,
    words: GoalWords,
    private readonly exclusions: GoalExclusions,
  ) {
    this.chain = new ProducerChain(index, words, manifest);
  }

  /** Requests an artifact (unless the goal excluded it) and plans its producer. */
  request(artifact: string, reason: string, preferred?: string): void {
    if (this.exclusions.artifacts.has(artifact)) return;
    this.requested.add(artifact);
    this.chain.need(artifact, { kind: 'requested', reason }, preferred);
  }

  /** Requests the orchestrator's deliverable, minus what the goal excluded; `note` says why. */
  requestDeliverable(reason: string, note = reason): void {
    const kept = this.manifest.orchestrator.deliverable.filter((a) => !this.exclusions.artifacts.has(a));
    for (const artifact of kept) this.request(artifact, reason);
    if (kept.length > 0) this.notes.push(`${note}: ${kept.map(q).join(', ')}`);
  }

  /**
   * For "everything but X" when X is all the deliverable: requests what the excluded deliverable is
   * made from (the inputs of its producers, and theirs where those are excluded too).
   */
  requestInputsOfExcluded(index: ManifestIndex): void {
    const seen = new Set<string>();
    const pending = this.manifest.orchestrator.deliverable.filter((a) => this.exclusions.artifacts.has(a));
    const made: string[] = [];
    for (let i = 0; i < pending.length; i++) {
      for (const input of index.producers.get(pending[i] as string)?.[0]?.consumes ?? []) {
        if (seen.has(input)) continue;
        seen.add(input);
        if (this.exclusions.artifacts.has(input)) pending.push(input);
        else made.push(input);
      }
    }
    for (const artifact of made) this.request(artifact, 'the goal asks for everything but what it is made into');
    if (made.length > 0) this.notes.push(`the goal asks for everything but ${pending.filter((a) => this.exclusions.artifacts.has(a)).map(q).join(', ')}: planned what that is made from, ${made.map(q).join(', ')}`);
  }

  /**
   * Capability matches. A phrase whose words all belong to artifacts the goal already names ("charts"
   * when the goal says "charts") only adds a reason to an agent already planned. Any other match plans
   * its agent; the agent's artifacts are requested unless it already works for another planned agent.
   * An agent everything of which the goal excluded is not planned for its capability.
   */
  applyCapabilities(signals: GoalSignals): void {
    const { chain, notes } = this;
    const informative = new Map<string, CapabilityPhrase[]>();
    for (const c of signals.capabilities) {
      const reason = `capability '${c.phrase}' matches`;
      const spec = this.manifest.agents[c.agent];
      if (!spec) continue;
      if (spec.produces.every((a) => this.exclusions.artifacts.has(a))) {
        notes.push(`capability '${c.phrase}' of ${q(c.agent)} matches, but everything it makes is excluded: not planned for it`);
        continue;
      }
      if (c.stems.every((s) => signals.namedStems.has(s))) {
        if (chain.agents.has(c.agent)) chain.use(spec, reason);
        continue;
      }
      chain.use(spec, reason);
      informative.set(c.agent, [...(informative.get(c.agent) ?? []), c]);
    }
    for (const [agent, phrases] of informative) {
      const planned = chain.agents.get(agent);
      if (!planned) continue;
      const quoted = phrases.map((p) => `'${p.phrase}'`).join(', ');
      if (planned.neededBy.length > 0) {
        const users = planned.neededBy.map(q).join(', ');
        notes.push(`capability ${quoted} of ${q(agent)} matches, but ${q(agent)} already works for ${users}, so it adds no request of its own`);
        continue;
      }
      for (const artifact of planned.spec.produces) {
        if (chain.producerOf.get(artifact) === agent) this.request(artifact, `capability ${quoted} matches`, agent);
      }
    }
  }
}

const q = (s: string): string => JSON.stringify(s);
