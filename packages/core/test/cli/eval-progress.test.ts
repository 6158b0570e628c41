import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EvalProgressView } from '../../src/cli/eval-progress.ts';
import type { CaseReport } from '../../src/testing/index.ts';

function stream(tty: boolean): { out: NodeJS.WriteStream; text: () => string } {
  const s = new PassThrough();
  let text = '';
  s.on('data', (c: Buffer) => (text += c.toString()));
  return { out: Object.assign(s, { isTTY: tty, columns: 60 }) as unknown as NodeJS.WriteStream, text: () => text };
}

const failed: CaseReport = { name: 'wrong agents', outcome: 'failed', passed: false, durationMs: 12, differences: [{ expectation: 'agents', message: 'expected exactly [hotels]' }] };
const passed: CaseReport = { name: 'hotels only', outcome: 'passed', passed: true, durationMs: 3, differences: [] };
const progress = (done: number, running: string[], finished?: CaseReport) => ({ total: 3, done, passed: done > 1 ? 1 : 0, failed: done > 0 ? 1 : 0, skipped: 0, running, ...(finished ? { finished } : {}) });

describe('eval progress', () => {
  it('in a terminal: one line rewritten in place, cut to the width, failures printed above it', () => {
    const { out, text } = stream(true);
    const view = new EvalProgressView(out);
    view.onProgress(progress(0, ['wrong agents', 'hotels only', 'a case with a long name that will not fit']));
    view.onProgress(progress(1, ['hotels only'], failed));
    view.finish();
    const frames = text().split('\r\x1b[2K');
    expect(frames[0]).toBe('eval: 0/3 · running: wrong agents, hotels only, a case wit…');
    expect(frames[0]!.length).toBeLessThanOrEqual(59);
    expect(frames.slice(1)).toEqual(['✖ wrong agents: expected exactly [hotels]\neval: 1/3 · 1 failed · running: hotels only', '']);
  });

  it('elsewhere: a line per finished case', () => {
    const { out, text } = stream(false);
    const view = new EvalProgressView(out);
    view.onProgress(progress(0, ['hotels only']));
    view.onProgress(progress(1, [], passed));
    view.onProgress(progress(2, [], failed));
    view.finish();
    expect(text()).toBe('✔ hotels only (3ms)\n✖ wrong agents (12ms)\n');
  });

  it('shows the control characters of suite and case names and of messages as escapes, in a terminal or not', () => {
    const nasty: CaseReport = { ...failed, name: 'x\u001b[2J\u009b', differences: [{ expectation: 'agents', message: 'y\u001b[31m\nz' }] };
    const tty = stream(true);
    const live = new EvalProgressView(tty.out);
    live.onStart({ suite: 's\u001b[0m', cases: 1, planner: 'builtin', manifest: '/m.yaml' });
    live.onProgress(progress(0, ['x\u001b[2J']));
    live.onProgress(progress(1, [], nasty));
    live.finish();
    const log = stream(false);
    new EvalProgressView(log.out).onProgress(progress(1, [], nasty));
    // Only the view's own sequences (clearing its line, its colours) remain: the names' [2J and CSI do not.
    expect(tty.text().replaceAll('\r\u001b[2K', '').replace(/\u001b\[\d+m/g, '')).not.toMatch(/[\u001b\u009b]/);
    expect(tty.text()).toContain('s\\u001b[0m: 1 case on /m.yaml');
    expect(tty.text()).toContain('running: x\\u001b[2J');
    expect(tty.text()).toContain('✖ x\\u001b[2J\\u009b: y\\u001b[31m\\nz\n');
    expect(log.text()).toBe('✖ x\\u001b[2J\\u009b (12ms)\n');
  });
});
