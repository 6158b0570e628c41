import type { AgentContext } from '../core/contracts.ts';
import type { Usage } from '../core/types.ts';

/**
 * The context an attempt hands its agent. `signal` is an own, enumerable property (so `{ ...ctx }`
 * keeps it) read through one shared getter, because the AbortController behind it is made only on
 * first read. Not an object literal with `get signal()`: V8 keeps accessor pairs in its old
 * generation, so a getter closure made per attempt kept the whole attempt alive through every minor
 * GC until the next full one (a fifth of everything a run allocated survived that way).
 */
export class AttemptContext implements AgentContext {
  declare readonly signal: AbortSignal;
  readonly #source: { readonly signal: AbortSignal };

  constructor(
    source: { readonly signal: AbortSignal },
    readonly reportUsage: (usage: Usage) => void,
  ) {
    this.#source = source;
    Object.defineProperty(this, 'signal', SIGNAL);
  }

  /** The signal of the attempt behind `ctx`. */
  static signalOf(ctx: AttemptContext): AbortSignal {
    return ctx.#source.signal;
  }
}

const SIGNAL: PropertyDescriptor = {
  get(this: AttemptContext): AbortSignal {
    return AttemptContext.signalOf(this);
  },
  enumerable: true,
  configurable: true,
};
