/**
 * An artifact named like a member of Object.prototype (`__proto__`, `constructor`...) would reach a
 * prototype where artifacts are kept by name: it is refused at load, and the maps Baton builds
 * by artifact name have no prototype anyway.
 */
import { describe, expect, it } from 'vitest';
import { defineAgent } from '../../src/agents/define-agent.ts';
import { resolvePolicy } from '../../src/core/defaults.ts';
import { BatonError } from '../../src/core/errors.ts';
import type { Manifest } from '../../src/core/types.ts';
import { createOrchestrator } from '../../src/create-orchestrator.ts';
import { parseManifest } from '../../src/manifest/index.ts';
import { Orchestrator } from '../../src/orchestrator.ts';
import { problemsOf } from './helpers.ts';

function manifestProducing(name: string): string {
  return [
    'version: 1',
    'orchestrator:',
    '  name: reports',
    '  description: Builds reports',
    '  subagents: [maker, user]',
    `  deliverable: ["${name}"]`,
    'agents:',
    '  maker:',
    '    description: Makes it',
    `    produces: ["${name}"]`,
    '    kind: command',
    '    command: [node, maker.js]',
    `    output: { "${name}": { schema: { type: object } } }`,
    '  user:',
    '    description: Uses it',
    `    consumes: ["${name}"]`,
    '    produces: [report]',
    '    kind: command',
    '    command: [node, user.js]',
  ].join('\n');
}

describe('artifact names', () => {
  it.each(['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', '__defineGetter__'])('refuses %s in every field that names an artifact', async (name) => {
    const problems = await problemsOf(parseManifest(manifestProducing(name), { file: '/m/baton.yaml', baseDir: '/m' }));
    const expected = `"${name}" cannot name an artifact: it is a member of every JavaScript object (Object.prototype); choose another name, e.g. "${name.replace(/_/g, '')}-data"`;
    expect(problems.map((p) => [p.path, p.message])).toEqual(
      expect.arrayContaining([
        ['orchestrator.deliverable[0]', expected],
        ['agents.maker.produces[0]', expected],
        ['agents.maker.output.' + name, expected],
        ['agents.user.consumes[0]', expected],
      ]),
    );
    expect(problems.every((p) => p.file === '/m/baton.yaml' && p.line !== undefined)).toBe(true);
  });

  it('are refused for agents defined in code too', () => {
    const maker = defineAgent({ name: 'maker', description: 'makes it', produces: ['__proto__'], run: () => ({}) });
    expect(() => createOrchestrator({ name: 'o', agents: [maker] })).toThrow(BatonError);
    expect(() => createOrchestrator({ name: 'o', agents: [maker] })).toThrow(/agent 'maker' produces "__proto__", which cannot name an artifact/);
  });
});

describe('artifacts kept by name', () => {
  it('never reach a prototype, even when a manifest that skipped validation names them __proto__ or constructor', async () => {
    const seen: unknown[] = [];
    // JSON.parse makes "__proto__" an own key, as an agent's JSON output would.
    const maker = defineAgent({ name: 'maker', description: 'makes them', produces: ['__proto__', 'constructor'], run: () => JSON.parse('{"__proto__":{"polluted":true},"constructor":{"rows":[1]}}') as Record<string, unknown> });
    const user = defineAgent({
      name: 'user',
      description: 'uses them',
      consumes: ['__proto__', 'constructor'],
      produces: ['report'],
      run: (input) => {
        seen.push(input.inputs);
        return { report: { ok: true } };
      },
    });
    const manifest: Manifest = {
      version: 1,
      baseDir: '/',
      orchestrator: { name: 'o', description: 'o', instructions: '', subagents: ['maker', 'user'], deliverable: ['report', '__proto__'], policy: resolvePolicy({ retries: 0 }) },
      agents: { maker: maker.spec, user: user.spec },
    };
    const result = await new Orchestrator({ manifest, agents: [maker, user] }).run('go');
    expect(result.status).toBe('succeeded');
    const inputs = seen[0] as Record<string, unknown>;
    expect(Object.getPrototypeOf(inputs)).not.toEqual({ polluted: true });
    expect(Object.getOwnPropertyDescriptor(inputs, '__proto__')?.value).toEqual({ polluted: true });
    expect(Object.getOwnPropertyDescriptor(inputs, 'constructor')?.value).toEqual({ rows: [1] });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(result.deliverable.artifacts, '__proto__')?.value).toEqual({ polluted: true });
  });
});
