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
});
