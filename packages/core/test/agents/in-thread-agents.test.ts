import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inThreadAgentOf, noteInThreadAgent } from '../../src/agents/in-thread-agents.ts';
import type { StrayOrigin } from '../../src/agents/in-thread-agents.ts';

const project = '/srv/in-thread-agents-test/project';
const writer = path.join(project, 'agents', 'writer.mjs');
const editor = path.join(project, 'agents', 'editor.mjs');
const loner = path.join(project, 'loner', 'loner.mjs');
const writerAttempts = noteInThreadAgent('writer', writer);
noteInThreadAgent('editor', editor);
noteInThreadAgent('loner', loner);

/** An error whose stack is these frames, top first. */
function raisedAt(...frames: string[]): Error {
  const error = new Error('stray');
  error.stack = ['Error: stray', ...frames.map((frame) => `    at ${frame}`)].join('\n');
  return error;
}

/** What the origin tells, less its function. */
function told(origin: StrayOrigin | undefined): { agents: readonly string[]; file: string } | undefined {
  return origin && { agents: origin.agents, file: origin.file };
}

const batonFrame = `runAttempt (${path.resolve(import.meta.dirname, '../../src/execution/run-attempt.ts')}:10:5)`;
const lonerHelper = path.join(project, 'loner', 'lib', 'helper.js');

describe('inThreadAgentOf', () => {
  it("finds the agent whose module, or whose module's folder, holds the stack's first frame outside Node and packages", () => {
    expect(told(inThreadAgentOf(raisedAt(`Object.run (${pathToFileURL(writer).href}:1:47)`)))).toEqual({ agents: ['writer'], file: writer });
    expect(told(inThreadAgentOf(raisedAt(`${lonerHelper}:3:9`)))).toEqual({ agents: ['loner'], file: lonerHelper });
    expect(told(inThreadAgentOf(raisedAt('listOnTimeout (node:internal/timers:581:17)', `async Timeout._onTimeout (${loner}:2:1)`)))).toEqual({ agents: ['loner'], file: loner });
    // A package the agent called, then the agent.
    expect(inThreadAgentOf(raisedAt(`send (${path.join(project, 'loner', 'node_modules', 'client', 'index.js')}:1:1)`, `Object.run (${loner}:5:3)`))?.agents).toEqual(['loner']);
    // Baton's own frame is passed over as a package's is.
    expect(inThreadAgentOf(raisedAt(batonFrame, `Object.run (${editor}:5:3)`))?.agents).toEqual(['editor']);
    // tsx runs a TypeScript module as a data: URL that names its file.
    const tsFile = path.join(project, 'loner', 'loner.ts');
    expect(told(inThreadAgentOf(raisedAt(`Object.run (data:text/javascript,var%20x%3D(()%3D%3E1)%3B?filePath=${encodeURIComponent(`${tsFile}?namespace=08e3bd`)}:2:837)`)))).toEqual({ agents: ['loner'], file: tsFile });
  });

  it("tells a test's agent inside a checkout's packages from Baton's own source there", () => {
    const fixture = path.resolve(import.meta.dirname, 'fixtures-in-thread', 'agent.mjs');
    noteInThreadAgent('fixture', fixture);
    expect(told(inThreadAgentOf(raisedAt(`Object.run (${fixture}:1:1)`)))).toEqual({ agents: ['fixture'], file: fixture });
    expect(inThreadAgentOf(raisedAt(batonFrame, `Object.run (${fixture}:1:1)`))?.agents).toEqual(['fixture']);
    const builtFrame = `runAttempt (${path.resolve(import.meta.dirname, '../../dist/execution/run-attempt.js')}:10:5)`;
    expect(inThreadAgentOf(raisedAt(builtFrame, `Object.run (${fixture}:1:1)`))?.agents).toEqual(['fixture']);
  });

  it('names every agent of a shared folder when the frame is another file there', () => {
    const shared = path.join(project, 'agents', 'shared.mjs');
    expect(told(inThreadAgentOf(raisedAt(`${shared}:1:1`)))).toEqual({ agents: ['writer', 'editor'], file: shared });
  });

  it("is none when the first such frame is not an agent's, or there is no stack to tell", () => {
    expect(inThreadAgentOf(raisedAt(batonFrame))).toBeUndefined();
    expect(inThreadAgentOf(raisedAt(`Object.run (/srv/elsewhere/agent.mjs:1:1)`, `Object.run (${writer}:5:3)`))).toBeUndefined();
    expect(inThreadAgentOf(raisedAt(`later (${path.join(project, 'loner', 'node_modules', 'timers', 'index.js')}:1:1)`, 'listOnTimeout (node:internal/timers:581:17)'))).toBeUndefined();
    // A sibling folder whose name only begins like the agent's.
    expect(inThreadAgentOf(raisedAt(`${path.join(project, 'loner-old', 'loner.mjs')}:1:1`))).toBeUndefined();
    expect(inThreadAgentOf('a string rejection')).toBeUndefined();
    expect(inThreadAgentOf({ stack: `at ${writer}:1:1` })).toBeUndefined();
    const unreadable = new Error('stray');
    Object.defineProperty(unreadable, 'stack', {
      get() {
        throw new Error('no stack to read');
      },
    });
    expect(inThreadAgentOf(unreadable)).toBeUndefined();
  });

  it("fails the attempts in flight of the agents it names, and only those", async () => {
    const never = new Promise<string>(() => undefined);
    const first = writerAttempts.track(never);
    const second = writerAttempts.track(never);
    const done = writerAttempts.track(Promise.resolve('answered'));
    await expect(done).resolves.toBe('answered');
    const lonerOrigin = inThreadAgentOf(raisedAt(`${loner}:1:1`))!;
    expect(lonerOrigin.failAttempts(new Error('not the writer'))).toBe(0);

    const stray = new Error('left by the writer');
    expect(inThreadAgentOf(raisedAt(`${writer}:1:1`))!.failAttempts(stray)).toBe(2);
    await expect(first).rejects.toBe(stray);
    await expect(second).rejects.toBe(stray);
    expect(inThreadAgentOf(raisedAt(`${writer}:1:1`))!.failAttempts(stray)).toBe(0);
  });

  it('gives an agent noted again the same attempts', () => {
    expect(noteInThreadAgent('writer', writer)).toBe(writerAttempts);
  });
});
