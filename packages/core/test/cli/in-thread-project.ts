import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A project in `parent/name` whose one agent, `inline`, runs `source` (its module, `agent.mjs`) in
 * Baton's own thread (`isolation: none`) and produces the deliverable `note`, with `retries` retries
 * of a failed attempt (none by default). `files` are written beside it, by path relative to the project.
 */
export function inThreadProject(parent: string, name: string, source: string, { files = {}, retries = 0 }: { files?: Record<string, string>; retries?: number } = {}): string {
  const dir = path.join(parent, name);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'agent.mjs'), source);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  writeFileSync(
    path.join(dir, 'baton.yaml'),
    [
      'version: 1',
      'orchestrator:',
      '  name: in-thread',
      "  description: one agent in Baton's own thread",
      '  subagents: [inline]',
      '  deliverable: [note]',
      `  policy: { retries: ${retries} }`,
      'agents:',
      '  inline:',
      '    kind: module',
      "    description: runs in Baton's thread",
      '    module: ./agent.mjs',
      '    isolation: none',
      '    produces: [note]',
      '',
    ].join('\n'),
  );
  return dir;
}
