import type { Agent } from '../core/contracts.ts';
import { errorMessage } from '../core/errors.ts';
import { within } from '../core/within.ts';
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
  /** Agents a plan named: told (once built) to start what they need ahead of their first attempt. */
  private readonly warmed = new Set<string>();

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
   * Checks the agents a plan names and their fallbacks before any of them runs; returns why the
   * run may not start, if one is outside its pin. Other capable stand-ins are checked when first
   * called on ({@link agent}): working them out for every task up front costs O(tasks × agents).
   * The agents the plan names are also told to start what they need ahead of their first attempt
   * (a command agent's launcher process); their fallbacks are only built, to read their versions.
   */
  async refusal(plan: Plan): Promise<string | undefined> {
    const names = new Set<string>();
    for (const t of plan.tasks) {
      if (this.cleared.has(t.agent)) continue;
      this.warm(t.agent);
      let cleared = this.ran.has(t.agent);
      if (!cleared) names.add(t.agent);
      for (const name of this.manifest.agents[t.agent]?.fallback ?? []) {
        if (this.ran.has(name)) continue;
        names.add(name);
        cleared = false;
      }
      if (cleared) this.cleared.add(t.agent);
    }
    if (names.size === 0) return undefined;
    const verdicts = await Promise.all([...names].map((name) => this.check(name)));
    const refused = verdicts.filter((v): v is VersionVerdict => v?.refusal !== undefined);
    return refused.length === 0 ? undefined : new AgentVersionError(refused).message;
  }

  /**
   * Builds `names` ahead of any run and checks their versions against their pins; those in
   * `started` are also told to start what they need (as the agents a plan names are). Refuses
   * nothing: resolves with what cannot be built, cannot tell its version (a module that cannot
   * load) or is outside its pin, a line each (a run that needs such an agent fails as it would
   * have). An agent not ready within `boundMs`, or when `signal` aborts, is told as such, and
   * goes on loading.
   */
  async prepare(names: readonly string[], started: ReadonlySet<string>, boundMs: number, signal?: AbortSignal): Promise<string[]> {
    for (const name of names) if (started.has(name)) this.warm(name);
    const problems = await Promise.all(
      names.map(async (name) => {
        const ready = await within(this.problemOf(name), boundMs, signal);
        return 'value' in ready ? ready.value : `agent '${name}' was not ready within ${boundMs / 1000} s (it goes on loading)`;
      }),
    );
    return problems.filter((p): p is string => p !== undefined);
  }

  private async problemOf(name: string): Promise<string | undefined> {
    try {
      await this.build(name);
    } catch (e) {
      return `agent '${name}' cannot be built: ${errorMessage(e)}`;
    }
    const verdict = await this.check(name).catch((e: unknown): VersionVerdict => ({ agent: name, source: '', ran: '', refusal: `agent '${name}': its version cannot be checked: ${errorMessage(e)}` }));
    return verdict?.refusal ?? verdict?.unread;
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

  /** Once per agent: starts what it needs ahead of its first attempt, as soon as it is built (while its version is read). */
  private warm(name: string): void {
    if (this.warmed.has(name)) return;
    this.warmed.add(name);
    this.build(name).then(
      (agent) => {
        try {
          warmUp(agent);
        } catch {
          // Its first attempt starts what it needs, and says what went wrong.
        }
      },
      () => this.warmed.delete(name),
    );
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
      // Whoever awaits the check hears of a failure of the check itself; here it is only not kept.
      check.then(
        (verdict) => {
          if (verdict && verdict.refusal === undefined) this.ran.set(name, verdict.ran);
          else this.checks.delete(name);
        },
        () => this.checks.delete(name),
      );
    }
    return p;
  }
}
