import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createModuleAgent } from '../../src/agents/module-agent.ts';
import type { Agent } from '../../src/core/contracts.ts';
import type { AgentInput, AgentSpec, Usage } from '../../src/core/types.ts';
import { AttemptAbort, runAttempt } from '../../src/execution/attempt.ts';

/** The module agent that does what its task's instructions say (see the fixture's first lines). */
export const TRICKY_MODULE = path.resolve(import.meta.dirname, '../fixtures/agents/modules/tricky.ts');

/** A module agent on {@link TRICKY_MODULE}, `extra` changing its spec; pushed onto `made`, for the test to close. */
export function trickyAgent(made: Agent[], extra: Partial<AgentSpec> = {}): Agent {
  const spec: AgentSpec = {
    name: 'tricky', description: 'd', version: '0.0.1', capabilities: [], consumes: [], produces: ['report'], kind: 'module',
    module: TRICKY_MODULE, output: {}, fallback: [], ...extra,
  };
  const agent = createModuleAgent(spec);
  made.push(agent);
  return agent;
}

/** The input of an attempt told `instructions`. */
export const trickyInput = (instructions: string): AgentInput => ({ runId: 'r_tricky', goal: 'g', task: { id: 't1', title: 't', instructions }, inputs: { rows: [1] }, params: {}, attempt: 1 });

/** One attempt of `agent` told `instructions`, given the artifact `rows: [1]`. */
export const runTricky = (agent: Agent, instructions: string, timeoutMs = 10_000, controller = new AbortController()) =>
  runAttempt({ agent, input: trickyInput(instructions), produces: ['report'], timeoutMs, controller });

/**
 * Runs `wait-abort` on `agent` and stops the attempt ("stopped by the test") once the module has
 * started: the attempt's status, and what the module wrote when its signal fired (empty when it
 * wrote nothing within 10 s). The attempt ends at once; in a process of its own, the module is told
 * after the stop has reached its launcher and its SIGTERM the module (it has 2 s from there), which
 * a loaded machine can put off by seconds. `late`: the module writes 300 ms after its signal fired.
 * `moreTerms`: the module's process (`isolation: process`) is sent that many more SIGTERMs from
 * here meanwhile, 20 ms apart.
 */
export async function stopWhileWaiting(agent: Agent, timeoutMs: number, { late = false, moreTerms = 0 } = {}): Promise<{ status: string; written: string }> {
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'baton-abort-')), 'aborted.txt');
  const controller = new AbortController();
  const running = runTricky(agent, `${late ? 'wait-abort-late' : 'wait-abort'}:${file}`, timeoutMs, controller);
  // Files are read once they hold something: a file exists from its creation on, before its text is written.
  const textOf = (at: string): string => (existsSync(at) ? readFileSync(at, 'utf8') : '');
  while (textOf(`${file}.started`) === '') await new Promise((r) => setTimeout(r, 20));
  controller.abort(new AttemptAbort('cancelled', 'stopped by the test'));
  const pid = Number(textOf(`${file}.started`));
  for (let i = 0; i < moreTerms; i++) {
    await new Promise((r) => setTimeout(r, 20));
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      break; // It is gone already.
    }
  }
  const { status } = await running;
  const deadline = Date.now() + 10_000;
  while (textOf(file) === '' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return { status, written: textOf(file) };
}

/**
 * Runs `usage-spam-wait:<n>` on `agent` (n reports in one go, then a wait for its signal) and stops
 * the attempt once all n have reached it, as a budget would: the attempt's status and the LLM calls
 * it was told of before it ended. Reports held back at the end of a turn must still arrive.
 */
export async function stopOnceAllReported(agent: Agent, n: number): Promise<{ status: string; calls: number }> {
  const controller = new AbortController();
  let calls = 0;
  const onUsage = (usage: Usage): void => {
    calls += usage.llmCalls;
    if (calls >= n) controller.abort(new AttemptAbort('cancelled', 'over its budget'));
  };
  const { status } = await runAttempt({ agent, input: trickyInput(`usage-spam-wait:${n}`), produces: ['report'], timeoutMs: 10_000, controller, onUsage });
  return { status, calls };
}
