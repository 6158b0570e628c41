import type { RunEvent } from '../core/events.ts';
import type { RunResult } from '../core/types.ts';
import type { Orchestrator, RunHandle } from '../orchestrator.ts';
import { ApprovalPrompter, cliDecider } from './approval-prompt.ts';
import { EXIT, exitCodeFor } from './exit-codes.ts';
import { color } from './format.ts';
import { ProgressView } from './progress.ts';

/** True when a person is at the terminal to answer questions (stdin and stderr are TTYs). */
export function interactive(): boolean {
  return Boolean(process.stdin.isTTY) && Boolean(process.stderr.isTTY);
}

/**
 * What a run shows in the terminal while it goes: the progress view, and in an interactive
 * terminal a prompt for each decision it waits for (unless every decision is approved up front).
 */
export class RunTerminal {
  readonly progress = new ProgressView();
  private readonly prompter: ApprovalPrompter | undefined;
  private followed: RunHandle | undefined;
  /** Lets the followed run go once it only waits, after the terminal's input ended. */
  private lettingGo: NodeJS.Timeout | undefined;
  private inputGone = false;

  constructor(
    private readonly orchestrator: Orchestrator,
    options: { ask: boolean; by?: string },
  ) {
    this.prompter = options.ask
      ? new ApprovalPrompter({
          input: process.stdin,
          output: process.stderr,
          decide: (runId, d) => orchestrator.decide(runId, d),
          by: options.by ?? cliDecider(),
          beforeWrite: () => this.progress.suspend(),
          onInputEnded: () => this.inputEnded(),
        })
      : undefined;
  }

  readonly onEvent = (e: RunEvent): void => {
    this.progress.onEvent(e);
    this.prompter?.onEvent(e);
  };

  /** Follows a run to its end (or until it is let go while waiting); Ctrl-C cancels it. */
  async follow(handle: RunHandle): Promise<RunResult> {
    if (handle.note) process.stderr.write(`${color.yellow(`note: ${handle.note}`)}\n`);
    const signals = trapSignals(handle);
    this.followed = handle;
    if (this.inputGone) this.inputEnded();
    try {
      return await handle.result;
    } finally {
      this.followed = undefined;
      clearInterval(this.lettingGo);
      signals.release();
      this.prompter?.close();
      this.progress.finish();
    }
  }

  /**
   * Nobody can answer from this terminal any more (its input ended, Ctrl-D): the run is let go as
   * soon as it only waits for decisions, as without a terminal (exit 3, left in the journal).
   */
  private inputEnded(): void {
    this.inputGone = true;
    const handle = this.followed;
    if (!handle || this.lettingGo) return;
    this.progress.suspend();
    process.stderr.write(`\n${color.yellow(`the terminal's input ended: nobody can decide here; run ${handle.runId} is left waiting in the journal once it only waits`)}\n`);
    const letGo = (): void => {
      if (this.orchestrator.letGo(handle.runId) || !this.orchestrator.isActive(handle.runId)) clearInterval(this.lettingGo);
    };
    this.lettingGo = setInterval(letGo, 100);
    letGo();
  }
}

/** The exit code of a run followed here, saying what to do when it was left waiting for a decision. */
export function exitFor(result: RunResult): number {
  if (result.status === 'awaiting-approval') {
    const what = (result.awaiting ?? []).map((p) => (p.kind === 'plan' ? 'its plan' : `task ${p.taskId ?? '?'}`)).join(', ');
    process.stderr.write(
      `${color.yellow(`run ${result.runId} waits for a decision on ${what || 'an approval'}`)}: it is left in the journal. ` +
        `Decide with \`baton runs approve ${result.runId}\` or \`baton runs reject ${result.runId}\` (--task ID for a task), or in the dashboard of a \`baton serve\` on this journal.\n`,
    );
    return EXIT.awaitingApproval;
  }
  return exitCodeFor(result.status);
}

/** Ctrl-C or SIGTERM cancels the run cleanly; a second Ctrl-C leaves at once. */
export function trapSignals(handle: RunHandle): { release(): void } {
  let count = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    count++;
    if (count > 1) process.exit(EXIT.cancelled);
    process.stderr.write(`\n${color.yellow(`${sig}: cancelling run ${handle.runId} (again to quit at once)`)}\n`);
    handle.cancel(`cancelled by ${sig}`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    release() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
