import type { AgentContext } from '../core/contracts.ts';
import type { Usage } from '../core/types.ts';
import { SignalView } from './signal-view.ts';

/**
 * The context an attempt hands its agent: its signal, made on first read, where to report usage,
 * its deadline and output bound, and where to register the check of a timely answer.
 */
export class AttemptContext extends SignalView implements AgentContext {
  constructor(
    source: { readonly signal: AbortSignal },
    readonly reportUsage: (usage: Usage) => void,
    readonly deadline: number,
    readonly maxOutputBytes: number,
    readonly setAnswerCheck: (check: () => Promise<boolean>) => void,
  ) {
    super(source);
  }
}
