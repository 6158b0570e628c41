import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { afterAll, describe, expect, it } from 'vitest';
import type { EvalReport } from '../../src/testing/index.ts';
import { startOpenAiStub } from '../../../llm/test/support/openai-stub.ts';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin/baton.js');
const evalDir = path.join(root, 'test/fixtures/eval');
const tmp = mkdtempSync(path.join(tmpdir(), 'baton-eval-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Proc {
  code: number | null;
  stdout: string;
  stderr: string;
}

function baton(args: string[], env: Record<string, string> = {}, onStderr?: (text: string, pid: number) => void): Promise<Proc> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: evalDir, env: { ...process.env, ...env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (child.pid) onStderr?.(stderr, child.pid);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const lastLine = (text: string): string => text.trimEnd().split('\n').at(-1) ?? '';

describe('baton eval', () => {
  it('exits 0 when every case passes; the last line is the summary; a line per case on a non-terminal stderr', async () => {
    const r = await baton(['eval', 'trips.yaml']);
    expect(r.code).toBe(0);
    expect(lastLine(r.stdout)).toBe('eval: 4 passed, 0 failed');
    expect(r.stderr).toContain(`eval trips: 4 cases on ${path.join(evalDir, 'baton.yaml')}, builtin planner`);
    for (const name of ['hotels only', 'whole trip', 'hotels with prices', 'flights agent alone']) expect(r.stderr).toMatch(new RegExp(`✔ ${name} \\((\\d+ms|[\\d.]+s)\\)`));
  });

  it('exits 1 when a case fails, prints the JSON report with --json and writes JUnit XML with --junit', async () => {
    mkdirSync(path.join(tmp, 'reports'));
    const junit = path.join(tmp, 'reports/junit.xml');
    const r = await baton(['eval', 'mixed.yaml', '--json', '--junit', junit, '--concurrency', '2']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as EvalReport;
    expect(report).toMatchObject({ suite: 'mixed', passed: 1, failed: 4, skipped: 1, planner: 'builtin' });
    for (const c of report.cases) {
      expect(Object.keys(c)).toEqual(expect.arrayContaining(['name', 'passed', 'durationMs', 'differences']));
    }
    expect(report.cases.find((c) => c.name === 'failing run')).toMatchObject({ status: 'failed', planAgents: ['flights', 'hotels', 'itinerary'] });
    expect(lastLine(r.stderr)).toBe('eval: 1 passed, 4 failed, 1 skipped');
    expect(r.stderr).toContain('✖ wrong agents (mixed.yaml:9)');
    expect(r.stderr).toContain('    exclude: flights was planned (t1-find-flight-options: needed by t3-combine-itinerary)');
    expect(r.stderr).toContain('○ judged by a model (mixed.yaml:23): rubric not judged');
    const xml = readFileSync(junit, 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml.match(/<failure /g)).toHaveLength(4);
    expect(xml.match(/<skipped /g)).toHaveLength(1);
  });

  it('shows the control characters of suite and case names (ANSI escapes, C1, line breaks) instead of printing them raw', async () => {
    const suite = path.join(tmp, 'escapes.yaml');
    const name = '\\e[2J\\e[32m✔ FAKE PASS\\e[0m\\x9b31m\\nfake line';
    writeFileSync(suite, [`suite: "esc\\e[31m"`, `manifest: ${path.join(evalDir, 'baton.yaml')}`, 'cases:', `  - name: "${name}"`, '    goal: Just find me hotel options in Lisbon', '    run: false', '    expect: { agents: [flights] }'].join('\n'));
    const r = await baton(['eval', suite]);
    expect(r.code).toBe(1);
    for (const out of [r.stdout, r.stderr]) expect(out).not.toMatch(/[\u001b\u009b]/);
    expect(r.stderr).toContain('eval esc\\u001b[31m: 1 case on');
    expect(r.stderr).toContain('✖ \\u001b[2J\\u001b[32m✔ FAKE PASS\\u001b[0m\\u009b31m\\nfake line (');
    expect(r.stdout).toContain('✖ \\u001b[2J\\u001b[32m✔ FAKE PASS\\u001b[0m\\u009b31m\\nfake line (escapes.yaml:4)\n    goal: Just find me hotel options in Lisbon\n');
  });

  it('exits 64 for a bad suite, naming file, line and field; and for a bad --concurrency', async () => {
    const r = await baton(['eval', 'bad.yaml']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain(`${path.join(evalDir, 'bad.yaml')}:7:7: cases[0].expect.agnets: unknown key "agnets" (did you mean "agents"?)`);
    expect(r.stdout).toBe('');
    const c = await baton(['eval', 'trips.yaml', '--concurrency', '0']);
    expect(c.code).toBe(64);
    expect(c.stderr).toContain('--concurrency must be a whole number');
  });

  it('checks --junit before running anything: exit 64 for a folder or a folder that does not exist', async () => {
    const onFolder = await baton(['eval', 'trips.yaml', '--junit', tmp]);
    expect(onFolder.code).toBe(64);
    expect(onFolder.stderr).toContain(`--junit ${tmp}: ${tmp} is a folder: give the path of the XML file to write, e.g. ${path.join(tmp, 'junit.xml')}`);
    const missing = path.join(tmp, 'nowhere', 'deeper');
    const inMissing = await baton(['eval', 'trips.yaml', '--junit', path.join(missing, 'j.xml')]);
    expect(inMissing.code).toBe(64);
    expect(inMissing.stderr).toContain(`the folder ${missing} does not exist: create it first, or write the report elsewhere`);
    expect(existsSync(path.join(tmp, 'nowhere'))).toBe(false);
    for (const r of [onFolder, inMissing]) {
      expect(r.stdout).toBe('');
      expect(r.stderr).not.toContain('eval trips:');
    }
  });

  it.runIf(existsSync('/dev/full'))('prints the results even when the JUnit report cannot be written, then says why (exit 1)', async () => {
    const r = await baton(['eval', 'trips.yaml', '--junit', '/dev/full']);
    expect(r.code).toBe(1);
    expect(lastLine(r.stdout)).toBe('eval: 4 passed, 0 failed');
    expect(r.stderr).toMatch(/baton: could not write the JUnit report to \/dev\/full: ENOSPC/);
    expect(r.stderr).not.toContain('    at ');
  });

  it('stops on SIGINT: the running case is cancelled, the others are not started, and the report still comes out (exit 130)', async () => {
    let sent = false;
    const r = await baton(['eval', 'slow.yaml', '--concurrency', '1'], {}, (text, pid) => {
      if (!sent && text.includes('eval slow:')) {
        sent = true;
        setTimeout(() => process.kill(pid, 'SIGINT'), 300);
      }
    });
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('SIGINT: stopping');
    expect(r.stdout).toContain('○ waits (slow.yaml:5): cancelled: the suite was stopped while this case ran');
    expect(r.stdout).toContain('○ never starts (slow.yaml:8): not run: the suite was cancelled');
    expect(lastLine(r.stdout)).toBe('eval: 0 passed, 0 failed, 2 skipped');
  });

  it('runs the same suite through the LLM planner or the builtin one; the rubric is judged by the orchestrator model', async () => {
    const plan = { tasks: [{ id: 't1-find-hotels', title: 'Find hotels', instructions: 'Find hotels in Lisbon', agent: 'hotels', dependsOn: [], consumes: [], produces: ['hotel-options'] }], requested: ['hotel-options'] };
    const stub = await startOpenAiStub((request) => {
      const name = request.response_format?.json_schema?.name;
      if (name === 'verdicts') return { json: { verdicts: [{ rubric: 1, pass: true, reason: 'Alfama Inn 90, Baixa House 110' }] } };
      return { json: plan };
    });
    try {
      const env = { OPENAI_BASE_URL: stub.url, OPENAI_API_KEY: 'test' };
      const llm = await baton(['eval', 'llm.yaml', '--planner', 'llm', '--json'], env);
      expect(llm.code).toBe(0);
      expect(JSON.parse(llm.stdout)).toMatchObject({ planner: 'llm', passed: 1, cases: [{ planner: 'llm', planAgents: ['hotels'], status: 'succeeded' }] });
      expect(stub.requests.map((q) => q.response_format?.json_schema?.name)).toEqual(['plan', 'verdicts']);
      const judged = JSON.stringify(stub.requests[1]?.messages);
      expect(judged).toContain('Lists at least two hotels with prices');
      expect(judged).toContain('Baixa House');

      const builtin = await baton(['eval', 'llm.yaml', '--planner', 'builtin'], env);
      expect(builtin.code).toBe(0);
      expect(builtin.stderr).toContain('builtin planner');
      expect(stub.requests.map((q) => q.response_format?.json_schema?.name)).toEqual(['plan', 'verdicts', 'verdicts']);
    } finally {
      await stub.close();
    }
  });
});

describe('baton agents test and check', () => {
  it("runs the agents' examples and shows what differed; exit 1 when one fails, 64 for an unknown agent", async () => {
    const r = await baton(['agents', 'test']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✔ flights: one way \(\d+ ms\)/);
    expect(r.stdout).toContain('✖ flights: expects too much\n    goal: Flights to Porto\n    agent: flights\n    output: /flight-options/0/to expected "Lisbon", got "Porto"\n    output: /flight-options/0/price expected 1, got 120');
    expect(lastLine(r.stdout)).toBe('examples: 1 passed, 1 failed');
    const json = await baton(['agents', 'test', 'flights', '--json']);
    expect((JSON.parse(json.stdout) as EvalReport).cases.map((c) => [c.name, c.outcome])).toEqual([
      ['flights: one way', 'passed'],
      ['flights: expects too much', 'failed'],
    ]);
    const unknown = await baton(['agents', 'test', 'flight']);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain(`no agent named 'flight' in ${path.join(evalDir, 'baton.yaml')} (did you mean "flights"?)`);
  });

  it('checks version pins: agents check reports the version, and refuses an agent outside its pin', async () => {
    const ok = await baton(['agents', 'check']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('✔ flights [module] 1.2.0 (reported, pinned ^1.0.0)');
    const versions = path.join(root, 'test/fixtures/versions/baton.yaml');
    const bad = await baton(['agents', 'check', '-m', versions]);
    expect(bad.code).toBe(64);
    expect(bad.stdout).toContain(`✖ data [module] 1.4.2 (reported, pinned ~1.3): agent 'data' reports version 1.4.2 (export const version in ${path.join(root, 'test/fixtures/versions/agents/reports-1.4.2.mjs')}), outside its pin ~1.3 (agents.data.version in ${versions})`);
    const run = await baton(['run', '-m', versions, '--store', 'memory', '--out', path.join(tmp, 'out'), 'the summary']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("failed: agent 'data' reports version 1.4.2");
  });

  it("agents check loads every module agent where it runs, and reports one that cannot load, pinned or not, in the manifest's order", async () => {
    const versions = path.join(root, 'test/fixtures/versions');
    const marker = path.join(tmp, 'late-loaded');
    const check = await baton(['agents', 'check', '-m', path.join(versions, 'modules.yaml')], { SLOW_LOAD_MS: '400', LOADED_MARKER: marker });
    expect(readFileSync(marker, 'utf8')).toBe('thread\n');
    expect(check.code).toBe(64);
    expect(check.stdout.split('\n').slice(0, 4)).toEqual([
      '✔ late [module] 1.0.0 (reported)',
      `✖ broken [module]: agent 'broken': ${path.join(versions, 'agents/no-default.mjs')} must default-export a function (input, ctx) => output, or an agent made by defineAgent(); found no default export`,
      '✔ data [module] 1.4.2 (reported, pinned ^1)',
      '1 agent(s) have problems',
    ]);
  });
});
