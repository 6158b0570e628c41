/**
 * Seeded fault injection, for proving that a manifest (or Baton itself) holds under failure:
 * wrap agents with {@link withFaults} and a share of their attempts throw, hang, return
 * non-JSON or schema-invalid output, answer after they were given up on, or kill their process.
 *
 * Decisions are a pure function of the seed and the attempt (run id, task id, attempt number,
 * agent), not of the order in which attempts happen, so a failing soak replays with `--seed`
 * even though concurrent runs interleave differently each time.
 */
import { createHash } from 'node:crypto';
import type { Agent, AgentContext } from '../core/contracts.ts';
import type { AgentInput, AgentOutput } from '../core/types.ts';

/** What a wrapped in-process agent can be made to do instead of its work. */
export type InProcessFault =
  /** Throws an Error (a retryable failure). */
  | 'throw'
  /** Never answers; rejects only when its signal aborts (timeout or cancellation). */
  | 'hang'
  /** Returns an object that cannot be turned into JSON (it holds a BigInt). */
  | 'non-json'
  /** Does its work, then replaces every artifact with a string, which an object schema rejects. */
  | 'invalid'
  /** Does its work but ignores its signal and answers only after `lateMs`. */
  | 'late'
  /** Kills its own process with SIGKILL (a worker dying mid-task, in distributed mode). */
  | 'crash';

/** How fault kinds are weighted against each other; a kind left out is never injected. */
export type FaultWeights<K extends string> = Partial<Record<K, number>>;

export interface FaultInjectorOptions<K extends string> {
  /** The same seed gives the same decisions. */
  seed: number | string;
  /** Share of attempts that misbehave, 0..1. */
  rate: number;
  /** Relative weights of the kinds to inject (e.g. `{ throw: 2, hang: 1 }`). */
  weights: FaultWeights<K>;
}

/** A number in [0, 1) drawn from `seed` and `key` alone (SHA-256): the same pair, the same number. */
export function roll(seed: number | string, key: string): number {
  const digest = createHash('sha256').update(`${seed}\u0000${key}`).digest();
  return digest.readUInt32BE(0) / 2 ** 32;
}

/** A fast seeded generator of numbers in [0, 1) (mulberry32), for draws made in a fixed order. */
export function seededRandom(seed: number | string): () => number {
  let state = typeof seed === 'number' ? seed >>> 0 : createHash('sha256').update(seed).digest().readUInt32BE(0);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** The key an attempt's decision is drawn from (the parts of an AgentInput that name the attempt). */
export function attemptKey(input: { runId: string; task: { id: string }; attempt: number }, agent: string): string {
  return `${input.runId}/${input.task.id}/${input.attempt}/${agent}`;
}

/**
 * Decides, per attempt, whether to inject a fault and which one. Keeps a count of every
 * decision, so a soak can print what it injected next to what the orchestrator saw.
 */
export class FaultInjector<K extends string> {
  /** Decisions made so far, by kind (`none` for attempts left alone). */
  readonly counts = new Map<K | 'none', number>();
  private readonly kinds: { kind: K; upTo: number }[] = [];

  constructor(readonly options: FaultInjectorOptions<K>) {
    if (!(options.rate >= 0 && options.rate <= 1)) throw new RangeError(`fault rate must be between 0 and 1, got ${options.rate}`);
    const entries = Object.entries(options.weights).filter((e): e is [K, number] => typeof e[1] === 'number' && e[1] > 0);
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let upTo = 0;
    for (const [kind, weight] of entries) {
      upTo += weight / total;
      this.kinds.push({ kind, upTo });
    }
  }

  /** The fault for one key, or `none`. Pure: the same seed and key always give the same answer. */
  peek(key: string): K | 'none' {
    if (this.kinds.length === 0 || roll(this.options.seed, `rate:${key}`) >= this.options.rate) return 'none';
    const r = roll(this.options.seed, `kind:${key}`);
    return (this.kinds.find((k) => r < k.upTo) ?? this.kinds[this.kinds.length - 1]!).kind;
  }

  /** Like {@link peek}, and counts the decision. */
  decide(key: string): K | 'none' {
    const fault = this.peek(key);
    this.counts.set(fault, (this.counts.get(fault) ?? 0) + 1);
    return fault;
  }

  /** The decision for one attempt of one agent (counted). */
  decideFor(input: AgentInput, agent: string): K | 'none' {
    return this.decide(attemptKey(input, agent));
  }
}

export interface WithFaultsOptions {
  /** How long a `late` attempt takes, ignoring its signal (default 1000 ms). */
  lateMs?: number;
  /** Told when a `late` attempt answers; `aborted` says whether it had been given up on by then. */
  onLate?: (info: { input: AgentInput; aborted: boolean }) => void;
  /** Asked before a `crash`: return false to run normally instead (e.g. crash only once per attempt). */
  shouldCrash?: (input: AgentInput) => boolean;
  /** Called with every decision (for logs). */
  onDecision?: (input: AgentInput, fault: InProcessFault | 'none') => void;
}

/**
 * Wraps an agent so that the share of its attempts chosen by `injector` misbehave (see
 * {@link InProcessFault}); the others run the agent unchanged.
 *
 * @example
 * const faults = new FaultInjector<InProcessFault>({ seed: 42, rate: 0.2, weights: { throw: 1, hang: 1, invalid: 1 } });
 * const flaky = withFaults(myAgent, faults);
 */
export function withFaults(agent: Agent, injector: FaultInjector<InProcessFault>, options: WithFaultsOptions = {}): Agent {
  const lateMs = options.lateMs ?? 1_000;
  const wrapped: Agent = {
    spec: agent.spec,
    async run(input: AgentInput, ctx: AgentContext): Promise<AgentOutput> {
      const fault = injector.decideFor(input, agent.spec.name);
      options.onDecision?.(input, fault);
      switch (fault) {
        case 'none':
          return agent.run(input, ctx);
        case 'throw':
          throw new Error(`injected fault: ${agent.spec.name} threw on attempt ${input.attempt}`);
        case 'hang':
          return new Promise<never>((_, reject) => {
            if (ctx.signal.aborted) reject(ctx.signal.reason as Error);
            else ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error), { once: true });
          });
        case 'non-json': {
          const out: AgentOutput = {};
          for (const p of agent.spec.produces) out[p] = { value: 1n };
          return out;
        }
        case 'invalid': {
          const real = await agent.run(input, ctx);
          const out: AgentOutput = { ...real };
          for (const p of agent.spec.produces) out[p] = 'injected: not what the schema asks for';
          return out;
        }
        case 'late': {
          // The agent's own signal (and deadline) is deliberately ignored: this is the agent that
          // answers anyway. Nor is its answer check passed on: this wrapper answers later than it.
          const real = await agent.run(input, { signal: new AbortController().signal, ...(ctx.reportUsage ? { reportUsage: ctx.reportUsage } : {}) });
          await new Promise((resolve) => setTimeout(resolve, lateMs));
          options.onLate?.({ input, aborted: ctx.signal.aborted });
          return real;
        }
        case 'crash':
          if (options.shouldCrash?.(input) === false) return agent.run(input, ctx);
          process.kill(process.pid, 'SIGKILL');
          // SIGKILL is not delivered synchronously everywhere; never answer meanwhile.
          return new Promise<never>(() => undefined);
      }
    },
  };
  if (agent.close) wrapped.close = () => agent.close!();
  return wrapped;
}
