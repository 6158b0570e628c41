import { userInfo, hostname } from 'node:os';
import { createInterface } from 'node:readline/promises';
import type { Readable } from 'node:stream';
import { BatonError, errorMessage } from '../core/errors.ts';
import type { RunEvent } from '../core/events.ts';
import type { PendingApproval } from '../core/types.ts';
import type { DecisionOutcome } from '../orchestrator.ts';
import type { ApprovalDecision } from '../core/types.ts';
import { explainPlan } from '../planning/explain-plan.ts';
import { color } from './format.ts';

/** Who decides from this terminal: `cli:<user>@<host>`. */
export function cliDecider(): string {
  let user = 'someone';
  try {
    user = userInfo().username;
  } catch {
    // No user database entry (some containers): keep the generic name.
  }
  return `cli:${user}@${hostname()}`;
}

/** What a person reads before deciding: the plan, or the gated task and what its agent would get. */
export function describePending(p: PendingApproval): string {
  if (p.kind === 'plan') return `${color.bold('The plan waits for your decision:')}\n\n${p.plan ? explainPlan(p.plan) : '(no plan)'}`;
  const input = JSON.stringify(p.input ?? {}, null, 2);
  const shown = input.length > 4000 ? `${input.slice(0, 4000)}\n… (${input.length - 4000} more characters; baton runs show --json has all of it)` : input;
  const task = p.task;
  return [
    color.bold(`Task ${p.taskId ?? '?'} waits for your decision before it runs:`),
    `  agent:        ${p.agent ?? task?.agent ?? '?'}`,
    ...(task ? [`  title:        ${task.title}`, ...(task.instructions ? [`  instructions: ${task.instructions.replace(/\n/g, '\n                ')}`] : [])] : []),
    `  input:`,
    shown.replace(/^/gm, '    '),
  ].join('\n');
}

export interface PrompterOptions {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Takes the decision (Orchestrator.decide). */
  decide: (runId: string, decision: ApprovalDecision) => Promise<DecisionOutcome>;
  by?: string;
  /** Called before the prompt writes, so a live progress view can step aside. */
  beforeWrite?: () => void;
  /** The terminal's input ended (Ctrl-D): no answer can come from it any more; nothing more is asked. */
  onInputEnded?: () => void;
}

/**
 * Asks a person in a terminal for each decision a run waits for, one at a time: the plan (or the
 * gated task and its input) is shown, then "approve? [y/n]"; a rejection asks for a reason. A
 * decision taken elsewhere meanwhile (the dashboard, `baton runs approve`) closes the question.
 */
export class ApprovalPrompter {
  private readonly queue: (PendingApproval & { runId: string })[] = [];
  private current: { key: string; abort: AbortController } | undefined;
  private busy = false;
  private closed = false;

  constructor(private readonly o: PrompterOptions) {}

  readonly onEvent = (e: RunEvent): void => {
    if (e.type === 'approval.requested') {
      const p: PendingApproval & { runId: string } = { runId: e.runId, kind: e.kind, requestedAt: e.at };
      if (e.taskId !== undefined) p.taskId = e.taskId;
      if (e.plan) p.plan = e.plan;
      if (e.task) p.task = e.task;
      if (e.agent !== undefined) p.agent = e.agent;
      if (e.input) p.input = e.input;
      this.queue.push(p);
      void this.next();
    } else if (e.type === 'approval.decided') {
      const key = keyOf(e);
      const i = this.queue.findIndex((p) => p.runId === e.runId && keyOf(p) === key);
      if (i >= 0) this.queue.splice(i, 1);
      if (this.current?.key === key) {
        this.current.abort.abort();
        this.o.output.write(`\n${color.dim(`${e.kind === 'plan' ? 'the plan' : `task ${e.taskId ?? ''}`} was ${e.decision} by ${e.by}`)}\n`);
      }
    }
  };

  /** Stops asking (the run ended or was let go). */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.current?.abort.abort();
  }

  private async next(): Promise<void> {
    if (this.busy || this.closed) return;
    if ((this.o.input as Partial<Readable>).readableEnded === true) return this.inputEnded();
    const p = this.queue.shift();
    if (!p) return;
    this.busy = true;
    const abort = new AbortController();
    this.current = { key: keyOf(p), abort };
    const rl = createInterface({ input: this.o.input, output: this.o.output, terminal: false });
    // A question pending when the input ends never settles (readline): the input's end is seen here.
    let ended = false;
    let asked = false;
    rl.once('close', () => {
      if (asked || abort.signal.aborted || this.closed) return;
      ended = true;
      abort.abort();
    });
    try {
      this.o.beforeWrite?.();
      this.o.output.write(`\n${describePending(p)}\n\n`);
      const what = p.kind === 'plan' ? 'this plan' : `task ${p.taskId ?? ''}`;
      for (;;) {
        const answer = (await rl.question(`Approve ${what}? [y]es / [n]o: `, { signal: abort.signal })).trim().toLowerCase();
        if (answer === 'y' || answer === 'yes' || answer === 'n' || answer === 'no') {
          const approved = answer.startsWith('y');
          const reason = approved ? '' : await this.reason(rl, abort.signal, () => ended);
          // Answered here: the decision's own event needs no word from the prompt.
          this.current = undefined;
          await this.take(p.runId, { decision: approved ? 'approved' : 'rejected', by: this.o.by ?? cliDecider(), ...(p.taskId !== undefined ? { taskId: p.taskId } : {}), ...(reason ? { reason } : {}) });
          break;
        }
        this.o.output.write('Please answer y or n.\n');
      }
    } catch (e) {
      // Aborted: decided elsewhere, or the run ended. Anything else is reported and the run keeps waiting.
      if (!abort.signal.aborted) this.o.output.write(`${color.red(`could not take the decision: ${errorMessage(e)}`)}\n`);
    } finally {
      asked = true;
      rl.close();
      this.current = undefined;
      this.busy = false;
      if (ended) this.inputEnded();
      else void this.next();
    }
  }

  /** The optional reason of a rejection; none when the input ends there (the rejection stands). */
  private async reason(rl: ReturnType<typeof createInterface>, signal: AbortSignal, inputEnded: () => boolean): Promise<string> {
    try {
      return (await rl.question('Reason (optional): ', { signal })).trim();
    } catch (e) {
      if (inputEnded()) return '';
      throw e;
    }
  }

  private inputEnded(): void {
    if (this.closed) return;
    this.close();
    this.o.onInputEnded?.();
  }

  private async take(runId: string, d: ApprovalDecision): Promise<void> {
    try {
      await this.o.decide(runId, d);
    } catch (e) {
      // Decided elsewhere a moment before: nothing to do.
      if (BatonError.isInstance(e) && e.code === 'NOT_AWAITING_APPROVAL') return;
      throw e;
    }
  }
}

function keyOf(p: { kind: string; taskId?: string | undefined }): string {
  return p.kind === 'plan' ? 'plan' : `task:${p.taskId ?? ''}`;
}
