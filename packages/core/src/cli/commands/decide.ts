import { BatonError } from '../../core/errors.ts';
import type { ApprovalDecision, RunResult } from '../../core/types.ts';
import type { RunHandle } from '../../orchestrator.ts';
import { cliDecider } from '../approval-prompt.ts';
import type { CommonOptions } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { color } from '../format.ts';
import { readDocument } from '../run-inputs.ts';
import { exitFor, interactive, RunTerminal } from '../run-terminal.ts';
import { printEnding, runtimeForResume } from './run.ts';

export interface DecideOptions extends CommonOptions {
  task?: string;
  /** approve: `--plan FILE|-`, the plan as it should run (edited). */
  plan?: string;
  note?: string;
  reason?: string;
  by?: string;
  json?: boolean;
  out?: string;
  /** How long to wait for a live process to journal the decision (ms). */
  waitMs?: string;
}

/**
 * `baton runs approve <id>` and `baton runs reject <id>`: decide on a run that waits, wherever it is
 * held. A live process that holds it (a `baton serve`, a `baton run` at its prompt) journals the
 * decision and carries it on: exit 0 once it is recorded. When nobody holds it, this process takes
 * the run over and carries it to its end: exit codes as `baton run` for an approval, 0 for a
 * rejection. A run that waits for nothing: exit 64 with its status.
 */
export async function decideCommand(runId: string, decision: ApprovalDecision['decision'], opts: DecideOptions): Promise<number> {
  const d: ApprovalDecision = {
    decision,
    by: opts.by ?? cliDecider(),
    ...(opts.task !== undefined ? { taskId: opts.task } : {}),
    ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
    ...(opts.note !== undefined ? { note: opts.note } : {}),
  };
  if (opts.plan !== undefined) {
    const doc = await readDocument(opts.plan, '--plan');
    // As baton run --plan says it: an empty stdin or file is no plan to check task by task.
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
      throw new BatonError('BAD_REQUEST', `--plan ${opts.plan}: expected the output of baton plan --json, or its plan member ({ "tasks": [...] })`, { retryable: false });
    }
    d.plan = doc;
  }
  const runtime = await runtimeForResume({ ...opts, ...(opts.out ? { out: opts.out } : {}) }, runId);
  const ask = interactive();
  const terminal = new RunTerminal(runtime.orchestrator, { ask, by: d.by });
  const carry = { onEvent: terminal.onEvent, detachWhenWaiting: !ask };
  let carried: RunHandle | undefined;
  try {
    const outcome = await runtime.orchestrator.decide(runId, d, carry);
    switch (outcome.kind) {
      case 'decided':
        return EXIT.succeeded;
      case 'carried':
        process.stderr.write(`${decision} by ${d.by}; nobody held run ${runId}, so it goes on here\n`);
        carried = outcome.handle;
        break;
      case 'requested': {
        process.stderr.write(`the decision is left for ${outcome.owner}, which holds run ${runId}…\n`);
        const waited = await runtime.orchestrator.awaitDecision(runId, outcome.requestId, { ...carry, timeoutMs: Number(opts.waitMs ?? 60_000) });
        if (waited.kind === 'pending') {
          throw new BatonError('INTERNAL', `${outcome.owner} has not recorded the decision yet; it is kept in the journal and will be applied when the run is next carried on (see \`baton runs show ${runId}\`)`, { runId });
        }
        if (waited.kind === 'recorded') {
          process.stderr.write(`${color.green(`${decision} by ${d.by}`)}: recorded by ${outcome.owner}, which carries run ${runId} on\n`);
          if (opts.json) process.stdout.write(`${JSON.stringify(waited.result, null, 2)}\n`);
          return EXIT.succeeded;
        }
        process.stderr.write(`${outcome.owner} went away; run ${runId} goes on here with the decision\n`);
        carried = waited.handle;
        break;
      }
    }
    const result: RunResult = await terminal.follow(carried);
    if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    printEnding(result);
    const code = exitFor(result);
    return decision === 'rejected' && code !== EXIT.awaitingApproval ? EXIT.succeeded : code;
  } finally {
    await runtime.close();
  }
}
