import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../src/manifest/index.ts';
import { problemsOf } from './helpers.ts';

const baseDir = path.resolve(import.meta.dirname, '../fixtures/eval');

const manifest = (examples: string[]) =>
  [
    'version: 1',
    'orchestrator:',
    '  name: trips',
    '  description: Plans trips',
    '  subagents: [flights, itinerary]',
    'agents:',
    '  flights:',
    '    description: Finds flights',
    '    produces: [flight-options]',
    '    kind: module',
    '    module: ./agents/flights.mjs',
    '  itinerary:',
    '    description: Combines flights into an itinerary',
    '    consumes: [flight-options]',
    '    produces: [itinerary]',
    '    kind: module',
    '    module: ./agents/itinerary.mjs',
    '    examples:',
    ...examples,
  ].join('\n');

describe('agent examples in the manifest', () => {
  it('loads examples with inline and file schemas', async () => {
    const m = await parseManifest(
      manifest([
        '      - name: combines',
        '        input: { goal: trip, inputs: { flight-options: [{ to: Rome }] }, params: { nights: 2 } }',
        '        output: { itinerary: { to: Rome } }',
        '        schema: { itinerary: { type: object, required: [to] } }',
        '      - input: { inputs: {} }',
        '        schema: { itinerary: ./schemas/flights.json }',
      ]),
      { file: path.join(baseDir, 'baton.yaml'), baseDir },
    );
    expect(m.agents['itinerary']?.examples).toEqual([
      {
        name: 'combines',
        input: { goal: 'trip', inputs: { 'flight-options': [{ to: 'Rome' }] }, params: { nights: 2 } },
        output: { itinerary: { to: 'Rome' } },
        schema: { itinerary: { type: 'object', required: ['to'] } },
      },
      { input: { inputs: {} }, schema: { itinerary: { type: 'array', minItems: 1, items: { type: 'object', required: ['to'] } } } },
    ]);
  });

  it('names each bad example field with its line', async () => {
    const problems = await problemsOf(
      parseManifest(
        manifest([
          '      - input: { inputs: { flights: [] } }', //      19
          '        output: { summary: x }', //                  20
          '        schema:', //                                 21
          '          itinerary: { type: objekt }', //          22
          '      - inputs: {}', //                              23
          '      - input: { inputs: {} }', //                   24
          '        schema: { itinerary: ./schemas/missing.json }', // 25
        ]),
        { file: 'baton.yaml', baseDir },
      ),
    );
    expect(problems.map((p) => `${p.line} ${p.path}: ${p.message.split(':')[0]}`)).toEqual([
      '19 agents.itinerary.examples[0].input.inputs.flights: "flights" is not an input of itinerary (consumes',
      '20 agents.itinerary.examples[0].output.summary: "summary" is not an artifact itinerary produces (produces',
      '22 agents.itinerary.examples[0].schema.itinerary: the inline schema is not a valid JSON Schema',
      '23 agents.itinerary.examples[1].inputs: unknown key "inputs" (did you mean "input"?)',
      '25 agents.itinerary.examples[2].schema.itinerary: schema file not found',
    ]);
  });
});
