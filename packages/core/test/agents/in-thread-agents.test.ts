import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inThreadAgentOf, noteInThreadAgent } from '../../src/agents/in-thread-agents.ts';

const project = '/srv/in-thread-agents-test/project';
const agentFile = path.join(project, 'agents', 'writer.mjs');
noteInThreadAgent('writer', agentFile);

/** An error whose stack is these frames, top first. */
function raisedAt(...frames: string[]): Error {
  const error = new Error('stray');
  error.stack = ['Error: stray', ...frames.map((frame) => `    at ${frame}`)].join('\n');
  return error;
}

const batonFrame = `runAttempt (${path.resolve(import.meta.dirname, '../../src/execution/run-attempt.ts')}:10:5)`;

describe('inThreadAgentOf', () => {
  it("finds the agent whose folder holds the stack's first frame outside Node and packages", () => {
    const expected = { agent: 'writer', module: agentFile, folder: path.dirname(agentFile) };
    expect(inThreadAgentOf(raisedAt(`Object.run (${pathToFileURL(agentFile).href}:1:47)`))).toEqual(expected);
    expect(inThreadAgentOf(raisedAt(`${path.join(project, 'agents', 'lib', 'helper.js')}:3:9`))).toEqual(expected);
    expect(inThreadAgentOf(raisedAt('listOnTimeout (node:internal/timers:581:17)', `async Timeout._onTimeout (${agentFile}:2:1)`))).toEqual(expected);
    // A package the agent called, then the agent.
    expect(inThreadAgentOf(raisedAt(`send (${path.join(project, 'agents', 'node_modules', 'client', 'index.js')}:1:1)`, `Object.run (${agentFile}:5:3)`))).toEqual(expected);
    // Baton's own frame is passed over as a package's is.
    expect(inThreadAgentOf(raisedAt(batonFrame, `Object.run (${agentFile}:5:3)`))).toEqual(expected);
    // tsx runs a TypeScript module as a data: URL that names its file.
    const tsFile = encodeURIComponent(`${path.join(project, 'agents', 'writer.ts')}?namespace=08e3bd`);
    expect(inThreadAgentOf(raisedAt(`Object.run (data:text/javascript,var%20x%3D(()%3D%3E1)%3B?filePath=${tsFile}:2:837)`))?.agent).toBe('writer');
  });

  it("is none when the first such frame is not an agent's, or there is no stack to tell", () => {
    expect(inThreadAgentOf(raisedAt(batonFrame))).toBeUndefined();
    expect(inThreadAgentOf(raisedAt(`Object.run (/srv/elsewhere/agent.mjs:1:1)`, `Object.run (${agentFile}:5:3)`))).toBeUndefined();
    expect(inThreadAgentOf(raisedAt(`later (${path.join(project, 'agents', 'node_modules', 'timers', 'index.js')}:1:1)`, 'listOnTimeout (node:internal/timers:581:17)'))).toBeUndefined();
    // A sibling folder whose name only begins like the agent's.
    expect(inThreadAgentOf(raisedAt(`${path.join(project, 'agents-old', 'writer.mjs')}:1:1`))).toBeUndefined();
    expect(inThreadAgentOf('a string rejection')).toBeUndefined();
    expect(inThreadAgentOf({ stack: `at ${agentFile}:1:1` })).toBeUndefined();
    const unreadable = new Error('stray');
    Object.defineProperty(unreadable, 'stack', {
      get() {
        throw new Error('no stack to read');
      },
    });
    expect(inThreadAgentOf(unreadable)).toBeUndefined();
  });
});
