import type { AgentContext } from '../core/contracts.ts';
import type { Usage } from '../core/types.ts';
import { SignalView } from './signal-view.ts';

/** The context an attempt hands its agent: its signal, made on first read, and where to report usage. */
export class AttemptContext extends SignalView implements AgentContext {
  constructor(
    source: { readonly signal: AbortSignal },
    readonly reportUsage: (usage: Usage) => void,
  ) {
    super(source);
  }
}
