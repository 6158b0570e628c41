import { describe, expect, it } from 'vitest';
import { BatonError } from '../../core/src/core/errors.ts';
import { checkApiToken, createServer } from '../src/index.ts';
import { createOrchestrator } from '../../core/src/create-orchestrator.ts';
import { defaultAgents } from './support.ts';
import { baton, SAMPLE_MANIFEST, servedUrl } from './serve-process.ts';

const refused = (e: unknown): boolean => BatonError.isInstance(e) && e.code === 'BAD_REQUEST';

describe('API token rules', () => {
  it('takes no token (unset or empty) as an open API, and a long visible-ASCII token as it is', () => {
    expect(checkApiToken(undefined, 'BATON_API_TOKEN')).toBeUndefined();
    expect(checkApiToken('', 'BATON_API_TOKEN')).toBeUndefined();
    expect(checkApiToken('Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA==', 'BATON_API_TOKEN')).toBe('Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA==');
    expect(checkApiToken('a-b.c_d~e+f/g=h!#$%&*', 'BATON_API_TOKEN')).toBe('a-b.c_d~e+f/g=h!#$%&*');
  });

  it('refuses whitespace, control and non-ASCII characters, saying where and what a token is', () => {
    const cases: [string, RegExp][] = [
      ['   ', /only whitespace/],
      ['\t\n', /only whitespace/],
      ['correct horse battery staple', /a space at position 8/],
      [' leading-space-0123456789', /a space at position 1/],
      ['trailing-newline-0123456789\n', /a line break at position 28/],
      ['bell\u0007-0123456789abcdef', /control character U\+0007/],
      ['caf\u00e9-0123456789abcdef', /non-ASCII character U\+00E9/],
    ];
    for (const [token, reason] of cases) {
      let error: unknown;
      try {
        checkApiToken(token, 'BATON_API_TOKEN');
      } catch (e) {
        error = e;
      }
      expect(refused(error), JSON.stringify(token)).toBe(true);
      expect((error as Error).message).toMatch(reason);
      expect((error as Error).message).toMatch(/BATON_API_TOKEN/);
      expect((error as Error).message).toMatch(/at least 16 characters of visible ASCII/);
    }
  });

  it('refuses a token shorter than 16 characters', () => {
    expect(() => checkApiToken('secret', 'BATON_API_TOKEN')).toThrow(/6 characters long, too short/);
    expect(() => checkApiToken('fifteen-chars-x', 'BATON_API_TOKEN')).toThrow(/too short/);
    expect(checkApiToken('sixteen-chars-xy', 'BATON_API_TOKEN')).toBe('sixteen-chars-xy');
  });

  it('createServer refuses a bad token from its option or from BATON_API_TOKEN', async () => {
    const start = (token?: string) =>
      createServer({ orchestrator: createOrchestrator({ name: 'o', agents: defaultAgents() }), host: '127.0.0.1', port: 0, telemetry: false, ...(token !== undefined ? { token } : {}) });
    await expect(start('   ')).rejects.toSatisfy(refused);
    await expect(start('has a space 0123456789')).rejects.toSatisfy(refused);
    const saved = process.env['BATON_API_TOKEN'];
    process.env['BATON_API_TOKEN'] = '   ';
    try {
      await expect(start()).rejects.toSatisfy((e: unknown) => refused(e) && /BATON_API_TOKEN is set but holds only whitespace/.test((e as Error).message));
    } finally {
      if (saved === undefined) delete process.env['BATON_API_TOKEN'];
      else process.env['BATON_API_TOKEN'] = saved;
    }
  });
});

describe('baton serve with a bad BATON_API_TOKEN', () => {
  for (const [token, reason] of [
    ['   ', /only whitespace/],
    ['two words 0123456789', /a space at position 4/],
    ['short', /too short/],
  ] as const) {
    it(`exits 64 before serving anything: ${JSON.stringify(token)}`, async () => {
      const p = baton(['serve', '-m', SAMPLE_MANIFEST, '--port', '0', '--store', 'memory'], { BATON_API_TOKEN: token });
      try {
        const outcome = await Promise.race([p.exited, servedUrl(p).then(() => 'served' as const, () => 'exited' as const)]);
        expect(outcome).not.toBe('served');
        expect(await p.exited).toBe(64);
        expect(p.err()).toMatch(reason);
        expect(p.err()).toMatch(/at least 16 characters/);
        expect(p.out()).toBe('');
      } finally {
        if (p.child.exitCode === null) p.child.kill('SIGKILL');
      }
    });
  }
});
