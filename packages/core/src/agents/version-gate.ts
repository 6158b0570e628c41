import type { Agent } from '../core/contracts.ts';
import type { Manifest, Plan } from '../core/types.ts';
import { AgentVersionError, verifyAgentVersion } from './version-pin.ts';
import type { VersionVerdict } from './version-pin.ts';
import { warmUp } from './warm-up.ts';

/**
 * Lets an orchestrator's agents run only inside their manifest's version pins, and remembers the
 * version each reported (what attempts and provenance show). Each agent is checked once, when it
 * is built; a refused agent, or one that could not be built, is checked again next time.
 */
export class VersionGate {
  private readonly checks = new Map<string, Promise<VersionVerdict | undefined>>();
  /** Agents checked and let through, with the version that runs. */
  private readonly ran = new Map<string, string>();
  /** Agents that ran, with every fallback of theirs: nothing of theirs is left to check (`ran` only grows). */
  private readonly cleared = new Set<string>();

  constructor(
    private readonly manifest: Manifest,
    private readonly build: (name: string) => Promise<Agent>,
    private readonly built: (name: string) => Agent | undefined = () => undefined,
  ) {}

  /** The agent, when it is built and was let through already: what {@link agent} would resolve to, without a wait. */
  ready(name: string): Agent | undefined {
    return this.ran.has(name) ? this.built(name) : undefined;
  }

  /** The version an agent runs as, once it was checked. */
  versionOf(name: string): string | undefined {
    return this.ran.get(name);
  }

  /**
   * Checks the pinned agents a plan names, and their pinned fallbacks, before any of them runs;
   * returns why the run may not start, if one is outside its pin. The plan's agents are all built
   * and started now, so that each is ready for its first attempt, but the run waits only for those
   * with a pin: an agent without one is never refused. A fallback without a pin is built when the
   * scheduler first turns to it, as other capable stand-ins are ({@link agent}): working them out
   * for every task up front costs O(tasks × agents).
   */
  async refusal(plan: Plan): Promise<string | undefined> {
    const planned = new Set<string>();
    const fallbacks = new Set<string>();
    for (const t of plan.tasks) {
      if (this.cleared.has(t.agent)) continue;
      let cleared = this.ran.has(t.agent);
      if (!cleared) planned.add(t.agent);
      for (const name of this.manifest.agents[t.agent]?.fallback ?? []) {
        if (this.ran.has(name) || !this.pinned(name)) continue;
        fallbacks.add(name);
        cleared = false;
      }
      if (cleared) this.cleared.add(t.agent);
    }
    const waits: Promise<VersionVerdict | undefined>[] = [];
    for (const name of new Set([...planned, ...fallbacks])) {
      const verdict = this.check(name);
      if (planned.has(name)) {
        void verdict.then((v) => {
          if (v?.refusal === undefined) warmUp(this.built(name));
        });
      }
      if (this.pinned(name)) waits.push(verdict);
    }
    if (waits.length === 0) return undefined;
    const verdicts = await Promise.all(waits);
    const refused = verdicts.filter((v): v is VersionVerdict => v?.refusal !== undefined);
    return refused.length === 0 ? undefined : new AgentVersionError(refused).message;
  }

  /** True when {@link refusal} would find nothing left to check in `plan` (every agent and fallback of it ran): no need to ask it. */
  passes(plan: Plan): boolean {
    for (const t of plan.tasks) if (!this.cleared.has(t.agent)) return false;
    return true;
  }

  /** The agent, once its version is known to be inside its pin; a refused agent fails its attempt for good. */
  agent(name: string): Promise<Agent> {
    if (this.ran.has(name)) return this.build(name);
    return this.check(name).then((verdict) => {
      if (verdict?.refusal !== undefined) throw new AgentVersionError([verdict]);
      return this.build(name);
    });
  }

  /** Whether the manifest pins the agent's version (an agent it does not describe, defined in code, is checked as if it did). */
  private pinned(name: string): boolean {
    const spec = this.manifest.agents[name];
    return spec === undefined || spec.versionPin !== undefined;
  }

  /** An agent that cannot be built is left to its attempt, which reports why. */
  private check(name: string): Promise<VersionVerdict | undefined> {
    let p = this.checks.get(name);
    if (!p) {
      p = this.build(name).then(
        (agent) => verifyAgentVersion(agent, this.manifest.agents[name] ?? agent.spec, this.manifest.file),
        () => undefined,
      );
      const check = p;
      this.checks.set(name, check);
      void check.then((verdict) => {
        if (verdict && verdict.refusal === undefined) this.ran.set(name, verdict.ran);
        else this.checks.delete(name);
      });
    }
    return p;
  }
}
