import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCommandAgent } from '../../src/agents/command-agent.ts';
import type { AgentInput, AgentSpec } from '../../src/core/types.ts';
import { AttemptAbort, runAttempt } from '../../src/execution/attempt.ts';

const fixtures = path.resolve(import.meta.dirname, '../fixtures/agents');
const tmp = mkdtempSync(path.join(tmpdir(), 'baton-cmd-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const spec = (command: string[], produces = ['echo']): AgentSpec => ({
  name: 'cmd', description: 'test', version: '1.0.0', capabilities: [], consumes: [], produces, kind: 'command', command, output: {}, fallback: [], baseDir: fixtures,
});
const input: AgentInput = { runId: 'r_test', goal: 'say hi', task: { id: 't1-echo', title: 'echo', instructions: 'echo' }, inputs: { rows: [1, 2] }, params: {}, attempt: 2, feedback: 'fix it' };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitGone(pid: number, ms = 3000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return !alive(pid);
}

describe('command agents', () => {
  it('sends the agent input as JSON on stdin and reads the output from stdout', async () => {
    const outcome = await runAttempt({ agent: createCommandAgent(spec(['node', 'echo.mjs'])), input, produces: ['echo'], timeoutMs: 10_000, controller: new AbortController() });
    expect(outcome).toEqual({ status: 'succeeded', output: { echo: { goal: 'say hi', task: 't1-echo', attempt: 2, inputs: { rows: [1, 2] }, feedback: 'fix it' } } });
  });

  it('reports a non-zero exit as a failure carrying stderr', async () => {
    const outcome = await runAttempt({ agent: createCommandAgent(spec(['node', 'misbehave.mjs', 'exit'])), input, produces: ['echo'], timeoutMs: 10_000, controller: new AbortController() });
    expect(outcome.status).toBe('failed');
    expect(outcome.status !== 'succeeded' && outcome.error).toMatch(/exited with code 3: database connection refused/);
  });

  it('marks non-JSON stdout invalid, with the parse error', async () => {
    const outcome = await runAttempt({ agent: createCommandAgent(spec(['node', 'misbehave.mjs', 'not-json'])), input, produces: ['echo'], timeoutMs: 10_000, controller: new AbortController() });
    expect(outcome.status).toBe('invalid');
    expect(outcome.status !== 'succeeded' && outcome.error).toMatch(/stdout is not JSON .*it began: <html>oops/);
  });

  it('reads a result printed with indentation after log lines', async () => {
    const script = 'cat >/dev/null; echo "fetching 3 rows"; printf \'{\\n  "echo": {\\n    "rows": 3\\n  }\\n}\\n\'';
    const outcome = await runAttempt({ agent: createCommandAgent(spec(['sh', '-c', script])), input, produces: ['echo'], timeoutMs: 10_000, controller: new AbortController() });
    expect(outcome).toEqual({ status: 'succeeded', output: { echo: { rows: 3 } } });
  });

  it.each([
    ['on one line', 'echo \'{"echo": {"rows": 3}}\'; echo "done in 2 ms"'],
    ['indented', 'printf \'{\\n  "echo": {\\n    "rows": 3\\n  }\\n}\\n\'; echo "done in 2 ms"'],
  ])('marks a result %s followed by log lines invalid, saying the result must come last', async (_, printed) => {
    const outcome = await runAttempt({ agent: createCommandAgent(spec(['sh', '-c', `cat >/dev/null; echo "fetching"; ${printed}`])), input, produces: ['echo'], timeoutMs: 10_000, controller: new AbortController() });
    expect(outcome.status).toBe('invalid');
    expect(outcome.status !== 'succeeded' && outcome.error).toBe('stdout has lines after its JSON object (the last: "done in 2 ms"): the result must be printed last; print logs to stderr, or before the result');
  });

  it('does not blame log lines for a malformed result after JSON logs', async () => {
    const script = `cat >/dev/null; echo '{"level":"info","msg":"start"}'; echo "{'echo': 1}"`;
    const outcome = await runAttempt({ agent: createCommandAgent(spec(['sh', '-c', script])), input, produces: ['echo'], timeoutMs: 10_000, controller: new AbortController() });
    expect(outcome.status).toBe('invalid');
    expect(outcome.status !== 'succeeded' && outcome.error).toMatch(/^stdout is not JSON /);
  });

  it('cuts off a hung command at its timeout and kills its whole process group', async () => {
    const pidFile = path.join(tmp, 'hang.json');
    const outcome = await runAttempt({ agent: createCommandAgent(spec(['sh', 'misbehave.sh', 'hang', pidFile])), input, produces: ['echo'], timeoutMs: 700, controller: new AbortController() });
    expect(outcome.status).toBe('timeout');
    expect(existsSync(pidFile)).toBe(true);
    const pids = JSON.parse(readFileSync(pidFile, 'utf8')) as { pid: number; child: number };
    expect(await waitGone(pids.pid)).toBe(true);
    expect(await waitGone(pids.child)).toBe(true);
  });

  it('escalates to SIGKILL when a command ignores SIGTERM', async () => {
    const pidFile = path.join(tmp, 'stubborn.json');
    const agent = createCommandAgent(spec(['sh', 'misbehave.sh', 'ignore-term', pidFile]));
    const controller = new AbortController();
    const running = runAttempt({ agent, input, produces: ['echo'], timeoutMs: 600, controller });
    expect((await running).status).toBe('timeout');
    const { pid } = JSON.parse(readFileSync(pidFile, 'utf8')) as { pid: number };
    expect(await waitGone(pid, 5000)).toBe(true);
  });

  it('sends each process of a stopped command one SIGTERM, so that each has its grace period, in its group or out of it', async () => {
    // The launcher and its thread that reads /proc started, as in a process that has run an agent
    // before: a first read of /proc starts that thread (~0.7 s from the TypeScript sources, 1.5 s
    // on a loaded machine), and would keep the SIGTERM from the processes out of the group that long.
    expect((await runAttempt({ agent: createCommandAgent(spec(['node', 'echo.mjs'])), input, produces: ['echo'], timeoutMs: 10_000, controller: new AbortController() })).status).toBe('succeeded');
    const file = path.join(tmp, 'terms');
    const controller = new AbortController();
    const running = runAttempt({ agent: createCommandAgent(spec(['node', 'count-terms.mjs', file])), input, produces: ['echo'], timeoutMs: 20_000, controller });
    const until = async (ok: () => boolean): Promise<void> => {
      for (const deadline = Date.now() + 10_000; !ok() && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
    };
    await until(() => existsSync(`${file}.started`));
    controller.abort(new AttemptAbort('cancelled', 'stopped by the test'));
    expect((await running).status).toBe('cancelled');
    const counts = (): Record<string, string> => Object.fromEntries(['agent', 'grouped', 'detached'].map((name) => [name, existsSync(`${file}.${name}`) ? readFileSync(`${file}.${name}`, 'utf8') : '']));
    await until(() => Object.values(counts()).every((count) => count !== ''));
    expect(counts()).toEqual({ agent: '1', grouped: '1', detached: '1' });
  });

  it('fails unrecoverably when the executable does not exist', async () => {
    const outcome = await runAttempt({ agent: createCommandAgent(spec(['/nonexistent/agent'])), input, produces: ['echo'], timeoutMs: 5000, controller: new AbortController() });
    expect(outcome).toMatchObject({ status: 'failed', retryable: false });
    expect(outcome.status !== 'succeeded' && outcome.error).toMatch(/cannot start \/nonexistent\/agent/);
  });

  it('fails only the attempt the system cannot start (a task id past the 128 KiB an environment variable may hold), not the agents running beside it', async () => {
    const slow = createCommandAgent(spec(['sh', '-c', 'sleep 0.5; echo \'{"echo": "done"}\'']));
    const running = runAttempt({ agent: slow, input, produces: ['echo'], timeoutMs: 10_000, controller: new AbortController() });
    const longId = { ...input, task: { ...input.task, id: `t-${'x'.repeat(200_000)}` } };
    const refused = await runAttempt({ agent: createCommandAgent(spec(['node', 'echo.mjs'])), input: longId, produces: ['echo'], timeoutMs: 10_000, controller: new AbortController() });
    expect(refused).toMatchObject({ status: 'failed', retryable: false });
    expect(refused.status !== 'succeeded' && refused.error).toMatch(/cannot start node: spawn E2BIG/);
    expect(await running).toEqual({ status: 'succeeded', output: { echo: 'done' } });
  });
});
