import { BatonError } from '../core/errors.ts';
import type { AgentSpec, Manifest } from '../core/types.ts';
import { agentScore } from './goal-match.ts';
import type { ManifestIndex } from './manifest-index.ts';
import type { GoalWords } from './text-match.ts';

/** Why an artifact is needed: the goal asked for it, or a planned agent consumes it. */
export type Need = { kind: 'requested'; reason: string } | { kind: 'consumed'; by: string };

/** An agent the plan will run once, and why. */
export interface PlannedAgent {
  spec: AgentSpec;
  /** Reasons in the order they were found ("goal mentions 'charts'"). */
  reasons: string[];
  /** Planned agents that consume something this agent produces. */
  neededBy: string[];
  /** Why it was chosen over other producers of the same artifact, when there were others. */
  choices: string[];
}

/**
 * Chains backwards from needed artifacts to the agents that produce them, and from those agents'
 * inputs to their producers, planning each agent once. Every artifact gets one producer: an agent
 * joining the plan becomes the producer of all its artifacts not yet claimed, so a later need for one
 * of them is met by it rather than by a second agent.
 */
export class ProducerChain {
  /** Planned agents, in the order they joined. */
  readonly agents = new Map<string, PlannedAgent>();
  /** The one planned producer of each artifact. */
  readonly producerOf = new Map<string, string>();
  readonly notes: string[] = [];
  /** Agents matched by the goal but not planned, because others already produce all they make. */
  private readonly redundant = new Set<string>();

  constructor(
    private readonly index: ManifestIndex,
    private readonly goal: GoalWords,
    private readonly manifest: Manifest,
  ) {}

  /** Needs waiting to be met; a work list rather than recursion, so long chains cannot overflow the stack. */
  private readonly pending: { artifact: string; need: Need; preferred: string | undefined }[] = [];

  /** Plans a producer for the artifact (and, transitively, for that producer's inputs). */
  need(artifact: string, need: Need, preferred?: string): void {
    this.pending.push({ artifact, need, preferred });
    this.drain();
  }

  /** Plans an agent the goal points at directly (a capability match), with its inputs. */
  use(spec: AgentSpec, reason: string): void {
    // An agent whose every artifact already has a planned producer would run for nothing (a
    // replica or fallback matching the same words): the match becomes a reason of that producer.
    const others = spec.produces.map((a) => this.producerOf.get(a));
    const producer = others[0];
    if (!this.agents.has(spec.name) && producer !== undefined && others.every((p) => p !== undefined && p !== spec.name)) {
      if (!this.redundant.has(spec.name)) {
        this.redundant.add(spec.name);
        this.notes.push(`${q(spec.name)} also matches the goal, but ${q(producer)} already produces ${spec.produces.map(q).join(', ')}: not planned`);
      }
      return;
    }
    this.join(spec);
    this.attach(spec.name, { kind: 'requested', reason });
    this.drain();
  }

  private drain(): void {
    try {
      this.drainPending();
    } finally {
      this.pending.length = 0;
    }
  }

  private drainPending(): void {
    for (let i = 0; i < this.pending.length; i++) {
      const { artifact, need, preferred } = this.pending[i] as (typeof this.pending)[number];
      const existing = this.producerOf.get(artifact);
      if (existing !== undefined) {
        this.attach(existing, need);
        continue;
      }
      const { spec, alternatives } = this.chooseProducer(artifact, need, preferred);
      this.join(spec);
      this.attach(spec.name, need);
      if (alternatives !== undefined) this.agents.get(spec.name)?.choices.push(alternatives);
    }
  }

  /** Adds the agent, makes it the producer of its unclaimed artifacts and queues its inputs. */
  private join(spec: AgentSpec): void {
    if (this.agents.has(spec.name)) return;
    this.agents.set(spec.name, { spec, reasons: [], neededBy: [], choices: [] });
    for (const artifact of spec.produces) if (!this.producerOf.has(artifact)) this.producerOf.set(artifact, spec.name);
    for (const input of spec.consumes) this.pending.push({ artifact: input, need: { kind: 'consumed', by: spec.name }, preferred: undefined });
  }

  private attach(agent: string, need: Need): void {
    const planned = this.agents.get(agent);
    if (!planned) return;
    if (need.kind === 'requested') {
      if (!planned.reasons.includes(need.reason)) planned.reasons.push(need.reason);
    } else if (need.by !== agent && !planned.neededBy.includes(need.by)) {
      planned.neededBy.push(need.by);
    }
  }

  /**
   * The producer the goal matches best (see `agentScore`); on a tie the first declared in
   * `orchestrator.subagents`. A preferred agent (the one whose capability the goal named) wins.
   */
  private chooseProducer(artifact: string, need: Need, preferred: string | undefined): { spec: AgentSpec; alternatives?: string } {
    const producers = this.index.producers.get(artifact) ?? [];
    const [first] = producers;
    if (first === undefined) throw this.unsatisfiable(artifact, need);
    if (producers.length === 1) return { spec: first };

    let chosen = producers.find((p) => p.name === preferred);
    let why = `capability of ${q(preferred ?? '')} named by the goal`;
    if (!chosen) {
      const scored = producers.map((spec) => ({ spec, ...agentScore(this.goal, spec) }));
      let best = scored[0] ?? { spec: first, score: 0, words: [] };
      for (const candidate of scored) if (candidate.score > best.score) best = candidate;
      const tied = scored.filter((s) => s.score === best.score).length > 1;
      chosen = best.spec;
      why = tied ? 'first declared; the goal matches none better' : `goal matches ${this.goal.quote(best.words)}`;
    }
    const others = producers.filter((p) => p !== chosen).map((p) => q(p.name));
    this.notes.push(`${q(artifact)} is also produced by ${others.join(', ')}; chose ${q(chosen.name)} (${why})`);
    return { spec: chosen, alternatives: `chosen over ${others.join(', ')} for ${q(artifact)}: ${why}` };
  }

  private unsatisfiable(artifact: string, need: Need): BatonError {
    const { orchestrator } = this.manifest;
    const who = need.kind === 'requested' ? `the goal asks for it (${need.reason})` : `agent ${q(need.by)} consumes it`;
    const outside = Object.values(this.manifest.agents)
      .filter((a) => a.produces.includes(artifact) && !this.index.rank.has(a.name))
      .map((a) => q(a.name));
    const fix =
      outside.length > 0
        ? `agent ${outside.join(', ')} produces it but is not in orchestrator.subagents: add it there`
        : `add an agent that produces ${q(artifact)} to the manifest and to orchestrator.subagents`;
    return new BatonError(
      'GOAL_UNSATISFIABLE',
      `cannot plan the goal: no subagent of orchestrator ${q(orchestrator.name)} produces ${q(artifact)}, and ${who}; ${fix}`,
      { retryable: false, details: { artifact, neededBy: need.kind === 'requested' ? 'goal' : need.by } },
    );
  }
}

const q = (s: string): string => JSON.stringify(s);
