import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../src/manifest/index.ts';
import { problemsOf, SMALL_MANIFEST } from './helpers.ts';

const parse = (lines: string[]) => parseManifest(lines.join('\n'), { file: '/p/baton.yaml', baseDir: '/p' });

/** The small manifest with lines added under `orchestrator:`. */
const withOrchestrator = (...lines: string[]): string[] => [...SMALL_MANIFEST.slice(0, 5), ...lines, ...SMALL_MANIFEST.slice(5)];

describe('orchestrator.params in a manifest', () => {
  it('loads a parameters schema', async () => {
    const m = await parse(withOrchestrator('  params:', '    type: object', '    properties: { city: { type: string } }'));
    expect(m.orchestrator.params).toEqual({ type: 'object', properties: { city: { type: 'string' } } });
  });

  it('refuses a schema that is not of type object, naming the file, line and field', async () => {
    const problems = await problemsOf(parse(withOrchestrator('  params:', '    type: string')));
    expect(problems).toEqual([
      expect.objectContaining({ file: '/p/baton.yaml', path: 'orchestrator.params.type', line: 7, message: expect.stringContaining('expected type: object') as unknown }),
    ]);
  });

  it('refuses a schema that does not compile', async () => {
    const problems = await problemsOf(parse(withOrchestrator('  params:', '    type: object', '    properties: { days: { type: integr } }')));
    expect(problems).toEqual([expect.objectContaining({ path: 'orchestrator.params', message: expect.stringContaining('not a valid JSON Schema') as unknown })]);
  });
});
