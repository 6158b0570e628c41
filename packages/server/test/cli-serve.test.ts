import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const MANIFEST = path.join(ROOT, 'examples/sales-report/baton.yaml');

function baton(args: string[], env: Record<string, string | undefined>) {
  const child = spawn(process.execPath, [path.join(ROOT, 'packages/core/bin/baton.js'), ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  // A process ended by a signal shows which one (and what it printed on stderr), not just null.
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? `${signal}; stderr: ${stderr.slice(-2000)}`)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

describe('baton serve (the real CLI)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'baton-serve-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints the URL it listens on, serves the API and stops cleanly on SIGTERM', async () => {
    const p = baton(['serve', '-m', MANIFEST, '--port', '0', '--store', 'memory', '--data-dir', dir], { BATON_API_TOKEN: undefined, BATON_LOG_LEVEL: 'warn' });
    try {
      let url: string | undefined;
      while (!url) {
        const m = /http:\/\/127\.0\.0\.1:\d+/.exec(p.out());
        if (m) url = m[0];
        else if (p.child.exitCode !== null) throw new Error(`serve exited ${p.child.exitCode}: ${p.err()}`);
        else await new Promise((r) => setTimeout(r, 100));
      }
      const agents = (await (await fetch(`${url}/v1/agents`)).json()) as { agents: { name: string }[] };
      expect(agents.agents.map((a) => a.name)).toEqual(['data', 'data-replica', 'analytics', 'summary']);
      const card = (await (await fetch(`${url}/.well-known/agent-card.json`)).json()) as { name: string };
      expect(card.name).toBe('reports');
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
    } finally {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
    }
  });

  it('listens for SIGTERM before it says it is serving, so a SIGTERM sent on that line stops it cleanly', async () => {
    const probe = path.join(ROOT, 'packages/core/test/fixtures/ready-signals-probe.mjs');
    const p = baton(['serve', '-m', MANIFEST, '--port', '0', '--store', 'memory', '--data-dir', dir], {
      BATON_API_TOKEN: undefined,
      BATON_LOG_LEVEL: 'warn',
      NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --import ${probe}`,
    });
    try {
      await expect.poll(() => p.err(), { timeout: 30_000 }).toContain('[sigterm listeners when ready:');
      expect(p.err()).toContain('[sigterm listeners when ready: 1]');
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
    } finally {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
    }
  });

  it('with --warm, loads the subagents (or those named) and the integrator before it listens, and prints what cannot load as warnings', async () => {
    const manifest = path.join(ROOT, 'packages/core/test/fixtures/versions/warm.yaml');
    const cases = [
      { warm: [], problems: '2 problems', data: true },
      { warm: ['late'], problems: '1 problem', data: false },
    ];
    for (const [i, { warm, problems, data }] of cases.entries()) {
      const marker = path.join(dir, `warm-loaded-${i}`);
      const p = baton(['serve', '-m', manifest, '--port', '0', '--store', 'memory', '--data-dir', dir, '--warm', ...warm], {
        BATON_API_TOKEN: undefined,
        BATON_LOG_LEVEL: 'warn',
        LOADED_MARKER: marker,
        SLOW_LOAD_MS: '300',
      });
      try {
        // The output comes in chunks: wait for the whole line.
        await expect.poll(() => p.out(), { timeout: 30_000 }).toMatch(new RegExp(`warm: done in \\d+\\.\\d\\d s, with ${problems} \\(printed as warnings\\)\n`));
        expect(p.out()).toContain('Baton is serving reports at');
        // Loaded in its thread before the server listened, with no run asked for.
        expect(await readFile(marker, 'utf8')).toBe('thread\n');
        await expect.poll(() => p.err(), { timeout: 10_000 }).toMatch(/baton: warning: orchestrator\.integrator: cannot load .*throws-at-load\.mjs: .*broken at load/);
        expect(p.err().includes("baton: warning: agent 'data' reports version 1.4.2")).toBe(data);
        p.child.kill('SIGTERM');
        expect(await p.exited).toBe(0);
      } finally {
        if (p.child.exitCode === null) p.child.kill('SIGKILL');
      }
    }
  });

  it('with --warm, stops cleanly and soon on a SIGTERM while its agents and integrator load, before it listens', async () => {
    const manifest = path.join(ROOT, 'packages/core/test/fixtures/versions/warm-hang.yaml');
    const p = baton(['serve', '-m', manifest, '--port', '0', '--store', 'memory', '--data-dir', dir, '--warm'], {
      BATON_API_TOKEN: undefined,
      BATON_LOG_LEVEL: 'info',
      LOADED_MARKER: path.join(dir, 'never-loaded'),
      SLOW_LOAD_MS: '60000',
    });
    try {
      await expect.poll(() => p.err(), { timeout: 30_000 }).toContain('"msg":"warming: loading the integrator and the agents before listening"');
      const signalled = Date.now();
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      // The loading module's thread has 5 s to close; the integrator's import, which never ends, holds nothing (its 30 s bound did).
      expect(Date.now() - signalled).toBeLessThan(15_000);
      expect(p.err()).toContain('"msg":"stopping"');
      expect(p.err()).not.toContain('baton: warning');
      expect(p.out()).not.toContain('Baton is serving');
    } finally {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
    }
  });

  it('takes a retention from --retention or BATON_RETENTION, and refuses one it cannot read (exit 64)', async () => {
    const bad = baton(['serve', '-m', MANIFEST, '--port', '0', '--store', 'memory', '--retention', '3x'], { BATON_API_TOKEN: undefined });
    expect(await bad.exited).toBe(64);
    expect(bad.err()).toContain('expected a duration such as 7d, 12h or 30m');
    const badEnv = baton(['serve', '-m', MANIFEST, '--port', '0', '--store', 'memory'], { BATON_API_TOKEN: undefined, BATON_RETENTION: 'soon' });
    expect(await badEnv.exited).toBe(64);
    expect(badEnv.err()).toContain("BATON_RETENTION='soon'");
    const p = baton(['serve', '-m', MANIFEST, '--port', '0', '--store', path.join(dir, 'retention.db'), '--data-dir', dir], { BATON_API_TOKEN: undefined, BATON_RETENTION: '7d', BATON_LOG_LEVEL: 'warn' });
    try {
      await expect.poll(() => p.out(), { timeout: 30_000 }).toContain('retention: ended runs older than 7d are deleted (journal rows and files), checked every 1h');
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
    } finally {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
    }
  });

  it('refuses a non-loopback host without BATON_API_TOKEN (exit 64)', async () => {
    const p = baton(['serve', '-m', MANIFEST, '--host', '0.0.0.0', '--port', '0', '--store', 'memory'], { BATON_API_TOKEN: '' });
    expect(await p.exited).toBe(64);
    expect(p.err()).toContain('BATON_API_TOKEN');
    expect(p.out()).toBe('');
  });
});
