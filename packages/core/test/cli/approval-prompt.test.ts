import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/core/events.ts';
import type { ApprovalDecision } from '../../src/core/types.ts';
import { ApprovalPrompter } from '../../src/cli/approval-prompt.ts';

function prompter() {
  const input = new PassThrough();
  const output = new PassThrough();
  let text = '';
  output.on('data', (c: Buffer) => (text += c.toString()));
  const decisions: { runId: string; d: ApprovalDecision }[] = [];
  const p = new ApprovalPrompter({
    input,
    output,
    by: 'tester',
    decide: (runId, d) => {
      decisions.push({ runId, d });
      return Promise.resolve({ kind: 'decided', result: {} as never });
    },
  });
  return { p, input, text: () => text, decisions };
}

const at = '2026-01-01T00:00:00.000Z';
const taskRequested: RunEvent = {
  type: 'approval.requested',
  runId: 'r1',
  seq: 5,
  at,
  kind: 'task',
  taskId: 't4-send-mail',
  agent: 'mailer',
  task: { id: 't4-send-mail', title: 'Send the mail', instructions: 'Mail the itinerary', agent: 'mailer', dependsOn: [], consumes: ['itinerary'], produces: ['receipt'] },
  input: { inputs: { itinerary: { days: 3 } }, params: { city: 'Lisbon' } },
};

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!check()) throw new Error('timed out');
}

describe('the approval prompt of baton run in a terminal', () => {
  it('shows the gated task with its instructions and input; n asks for a reason and rejects it', async () => {
    const { p, input, text, decisions } = prompter();
    p.onEvent(taskRequested);
    await until(() => text().includes('Approve task t4-send-mail? [y]es / [n]o: '));
    expect(text()).toContain('Task t4-send-mail waits for your decision before it runs:');
    expect(text()).toContain('instructions: Mail the itinerary');
    expect(text()).toContain('"city": "Lisbon"');
    input.write('maybe\n');
    await until(() => text().includes('Please answer y or n.'));
    input.write('n\n');
    await until(() => text().includes('Reason (optional): '));
    input.write('not before Friday\n');
    await until(() => decisions.length === 1);
    expect(decisions[0]).toEqual({ runId: 'r1', d: { decision: 'rejected', by: 'tester', taskId: 't4-send-mail', reason: 'not before Friday' } });
    p.close();
  });

  it('closes the question when the decision is taken elsewhere, and asks nothing more', async () => {
    const { p, text, decisions } = prompter();
    p.onEvent(taskRequested);
    await until(() => text().includes('Approve task t4-send-mail?'));
    p.onEvent({ type: 'approval.decided', runId: 'r1', seq: 6, at, kind: 'task', taskId: 't4-send-mail', decision: 'approved', by: 'dashboard', planEdited: false, waiting: 0 });
    await until(() => text().includes('task t4-send-mail was approved by dashboard'));
    expect(decisions).toEqual([]);
    p.close();
  });
});
