/**
 * Processes a command agent starts that leave its process group (setsid, a double fork) must not
 * outlive the attempt, however it ends. Each command writes its BATON_AGENT_TOKEN to a file; the
 * test then looks in /proc for any process still carrying it.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCommandAgent } from '../../src/agents/command-agent.ts';
import { killAgentProcesses } from '../../src/agents/orphan-sweep.ts';
import { scanForTokens, scanYielding, whyEmptyFrom } from '../../src/agents/proc-scan.ts';
import type { AgentInput, AgentSpec } from '../../src/core/types.ts';
import { AttemptAbort, runAttempt } from '../../src/execution/attempt.ts';
import { hasLiveThreads, processesWithEnv, statOf, waitForNone } from '../support/agent-processes.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'baton-escape-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const input: AgentInput = { runId: 'r_escape', goal: 'g', task: { id: 't1', title: 't', instructions: '' }, inputs: {}, params: {}, attempt: 1 };
const ANSWER = `echo '{"report":{"ok":true}}'`;

/** A Python program whose main thread ends (pthread_exit) once it printed its pid, while another thread sleeps on. */
const THREAD_OUTLIVES_MAIN = [
  'import ctypes, os, sys, threading, time',
  'threading.Thread(target=time.sleep, args=(100,)).start()',
  'sys.stdout.write(str(os.getpid()))',
  'sys.stdout.flush()',
  'ctypes.CDLL(None).pthread_exit(None)',
].join('\n');

/**
 * Shell lines that start a `sleep 100` outside the agent's process group, and wait until it runs
 * (it touches `$F` first), so the attempt cannot end before there is something to find.
 */
const ESCAPES = {
  /** Leaves the process group and the session, with stdio detached: a daemon. */
  setsid: `setsid sh -c 'touch "$F.s"; exec sleep 100' </dev/null >/dev/null 2>&1 &\nwait_for "$F.s"`,
  /** Forks twice: the sleep is reparented away from the agent. */
  doubleFork: `sh -c '(touch "$F.d"; exec sleep 100 </dev/null >/dev/null 2>&1 &) &'\nwait_for "$F.d"`,
  /** Both: a new session, then a double fork inside it. */
  setsidDoubleFork: `setsid sh -c '(touch "$F.sd"; exec sleep 100 </dev/null >/dev/null 2>&1 &) &' </dev/null >/dev/null 2>&1 &\nwait_for "$F.sd"`,
};

let n = 0;
function shellAgent(script: string): { spec: AgentSpec; tokenFile: string } {
  const tokenFile = path.join(tmp, `token-${++n}`);
  const prelude = `export F=${tokenFile}\nwait_for() { while [ ! -e "$1" ]; do sleep 0.02; done; }\necho "$BATON_AGENT_TOKEN" > "$F"`;
  const command = ['sh', '-c', `${prelude}\n${script}`];
  return {
    tokenFile,
    spec: { name: 'escaper', description: 'd', version: '1', capabilities: [], consumes: [], produces: ['report'], kind: 'command', command, output: {}, fallback: [], baseDir: tmp },
  };
}

function tokenOf(file: string): string {
  expect(existsSync(file)).toBe(true);
  return readFileSync(file, 'utf8').trim();
}

describe('processes that escape a command agent', () => {
  it.each([
    ['setsid', ESCAPES.setsid],
    ['a double fork', ESCAPES.doubleFork],
    ['a double fork in a new session', ESCAPES.setsidDoubleFork],
  ])('are killed when the attempt succeeds (%s)', async (_, escape) => {
    const { spec, tokenFile } = shellAgent(`${escape}\n${ANSWER}`);
    const outcome = await runAttempt({ agent: createCommandAgent(spec), input, produces: ['report'], timeoutMs: 10_000, controller: new AbortController() });
    expect(outcome.status).toBe('succeeded');
    // Killed before the attempt ended: nothing to wait for.
    expect(processesWithEnv('BATON_AGENT_TOKEN', tokenOf(tokenFile))).toEqual([]);
  });

  it('are killed when the attempt fails', async () => {
    const { spec, tokenFile } = shellAgent(`${ESCAPES.setsid}\n${ESCAPES.doubleFork}\nexit 3`);
    const outcome = await runAttempt({ agent: createCommandAgent(spec), input, produces: ['report'], timeoutMs: 10_000, controller: new AbortController() });
    expect(outcome.status).toBe('failed');
    expect(processesWithEnv('BATON_AGENT_TOKEN', tokenOf(tokenFile))).toEqual([]);
  });

  it('are killed when the attempt times out', async () => {
    const { spec, tokenFile } = shellAgent(`${ESCAPES.setsid}\n${ESCAPES.doubleFork}\nsleep 100`);
    const outcome = await runAttempt({ agent: createCommandAgent(spec), input, produces: ['report'], timeoutMs: 1_000, controller: new AbortController() });
    expect(outcome.status).toBe('timeout');
    expect(await waitForNone('BATON_AGENT_TOKEN', tokenOf(tokenFile))).toEqual([]);
  });

  it('are killed when the attempt is cancelled', async () => {
    const { spec, tokenFile } = shellAgent(`${ESCAPES.setsid}\n${ESCAPES.doubleFork}\nsleep 100`);
    const controller = new AbortController();
    const running = runAttempt({ agent: createCommandAgent(spec), input, produces: ['report'], timeoutMs: 30_000, controller });
    while (!existsSync(tokenFile) || readFileSync(tokenFile, 'utf8') === '') await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
    controller.abort(new AttemptAbort('cancelled', 'cancelled by the test'));
    expect((await running).status).toBe('cancelled');
    expect(await waitForNone('BATON_AGENT_TOKEN', tokenOf(tokenFile))).toEqual([]);
  });
});

describe('a process whose main thread has exited while another runs', () => {
  it('is found through that thread and killed when the attempt ends', async () => {
    // A daemon whose `main` ends with pthread_exit: /proc/<pid>/environ cannot be opened (ESRCH, as
    // for a zombie) and its state is Z, while a thread of it runs on with the token.
    const daemon = path.join(tmp, 'main-thread-exits.py');
    writeFileSync(
      daemon,
      [
        'import ctypes, os, threading, time',
        'threading.Thread(target=time.sleep, args=(100,)).start()',
        "open(os.environ['F'] + '.p.tmp', 'w').write(str(os.getpid()))",
        "os.rename(os.environ['F'] + '.p.tmp', os.environ['F'] + '.p')",
        'ctypes.CDLL(None).pthread_exit(None)',
      ].join('\n'),
    );
    const { spec, tokenFile } = shellAgent(
      [
        `setsid python3 ${daemon} </dev/null >/dev/null 2>&1 &`,
        'wait_for "$F.p"',
        'P=$(cat "$F.p")',
        `while [ "$(cut -d ' ' -f 3 /proc/$P/stat)" != Z ]; do sleep 0.02; done`,
        ANSWER,
      ].join('\n'),
    );
    const daemonPid = (): number => Number(readFileSync(`${tokenFile}.p`, 'utf8'));
    try {
      const outcome = await runAttempt({ agent: createCommandAgent(spec), input, produces: ['report'], timeoutMs: 10_000, controller: new AbortController() });
      expect(outcome.status).toBe('succeeded');
      expect(daemonPid()).toBeGreaterThan(0);
      // Killed before the attempt ended: nothing to wait for.
      expect(hasLiveThreads(daemonPid())).toBe(false);
      expect(processesWithEnv('BATON_AGENT_TOKEN', tokenOf(tokenFile))).toEqual([]);
    } finally {
      // Whatever still carries the token (not the pid alone: it may be another process's by now).
      const token = existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : '';
      if (token !== '') for (const pid of processesWithEnv('BATON_AGENT_TOKEN', token)) process.kill(pid, 'SIGKILL');
    }
  });
});

describe('a command that exits while something it started still holds its stdout', () => {
  it('succeeds with the answer it printed, and what it left running is killed', async () => {
    const { spec, tokenFile } = shellAgent(`sleep 100 & ${ANSWER}`);
    const outcome = await runAttempt({ agent: createCommandAgent(spec), input, produces: ['report'], timeoutMs: 10_000, controller: new AbortController() });
    expect(outcome).toEqual({ status: 'succeeded', output: { report: { ok: true } } });
    expect(processesWithEnv('BATON_AGENT_TOKEN', tokenOf(tokenFile))).toEqual([]);
  });

  it('succeeds when the holder left the session too', async () => {
    const { spec, tokenFile } = shellAgent(`setsid sleep 100 & ${ANSWER}`);
    const outcome = await runAttempt({ agent: createCommandAgent(spec), input, produces: ['report'], timeoutMs: 10_000, controller: new AbortController() });
    expect(outcome).toEqual({ status: 'succeeded', output: { report: { ok: true } } });
    expect(processesWithEnv('BATON_AGENT_TOKEN', tokenOf(tokenFile))).toEqual([]);
  });
});

describe('a process that carries the token while it execs', () => {
  it('is found and killed: a read of /proc that meets it inside execve (no environment yet) is taken again', async () => {
    // A daemon an agent starts execs right after it forks (`setsid sleep &`: two execs), and a read
    // of /proc meeting either exec sees no environment. A process that execs itself without end
    // makes every pass meet that (about one read in five here), whatever the machine's timing.
    const script = path.join(tmp, 'exec-forever.sh');
    writeFileSync(script, `exec /bin/sh ${script}\n`);
    const prefix = randomBytes(4).toString('hex');
    for (let i = 0; i < 40; i++) {
      const token = `execs-${prefix}.${i}`;
      const child = spawn('/bin/sh', [script], { env: { ...process.env, BATON_AGENT_TOKEN: token }, stdio: 'ignore' });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const killed = await killAgentProcesses([token]);
      if (killed === 0) child.kill('SIGKILL');
      await exited;
      expect(killed, `pass ${i}`).toBe(1);
    }
  });
});

describe('a process inside execve while the kernel lays its environment on the new stack', () => {
  it('is taken for a process inside execve, to read again, and `env -i` for an empty environment', async () => {
    // Between the kernel's first and last variable laid out, the environment ends where it starts,
    // as under `env -i`. With 60,000 variables that lasts long enough for a read to meet it often.
    const script = path.join(tmp, 'exec-forever-env.sh');
    writeFileSync(script, `exec /bin/sh ${script}\n`);
    const env: Record<string, string> = { BATON_AGENT_TOKEN: `laying-${randomBytes(4).toString('hex')}.1` };
    for (let v = 0; v < 60_000; v++) env[`V${v}`] = '1';
    const child = spawn('/bin/sh', [script], { env, stdio: 'ignore' });
    let laying: string[] | undefined;
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      for (const until = Date.now() + 20_000; laying === undefined && Date.now() < until; ) {
        let environ: string;
        let fields: string[];
        try {
          environ = readFileSync(`/proc/${child.pid}/environ`, 'latin1');
          fields = statOf(child.pid!);
        } catch {
          continue;
        }
        if (environ === '' && fields[48] !== '0' && fields[48] === fields[47]) laying = fields;
      }
    } finally {
      child.kill('SIGKILL');
    }
    expect(laying, 'no read met the environment being laid out in 20 s').toBeDefined();
    expect(whyEmptyFrom(laying)).toBe('exec');

    const empty = spawn('/bin/sleep', ['30'], { env: {}, stdio: 'ignore' });
    try {
      await new Promise((resolve) => empty.once('spawn', resolve));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(whyEmptyFrom(statOf(empty.pid!))).toBe('final');
    } finally {
      empty.kill('SIGKILL');
    }
  });
});

describe('where the token sits in a process environment', () => {
  const prefix = randomBytes(4).toString('hex');
  let i = 0;

  /** A `sleep` with exactly `env`, and whether one pass for `token` killed it (it is killed anyway). */
  async function killedByOnePass(env: Record<string, string>, token: string): Promise<number> {
    const child = spawn('/bin/sleep', ['30'], { env, stdio: 'ignore' });
    await new Promise((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const killed = await killAgentProcesses([token]);
    if (killed === 0) child.kill('SIGKILL');
    await exited;
    return killed;
  }

  /**
   * An environment whose token variable starts `at` bytes into the block: padding variables (one
   * variable may hold 128 KiB at most) and then the token.
   */
  function tokenAt(at: number, token: string): Record<string, string> {
    const env: Record<string, string> = {};
    let left = at;
    for (let n = 0; left > 0; n++) {
      const name = `PAD${n}=`;
      const size = Math.min(left, 100_000);
      if (size < name.length + 2) throw new Error(`cannot pad ${left} bytes`);
      env[name.slice(0, -1)] = 'y'.repeat(size - name.length - 1);
      left -= size;
    }
    env['BATON_AGENT_TOKEN'] = token;
    return env;
  }

  type Case = [string, (token: string) => Record<string, string>];
  it.each<Case>([
    ['first', (token: string) => ({ BATON_AGENT_TOKEN: token, HOME: '/' })],
    ['alone', (token: string) => ({ BATON_AGENT_TOKEN: token })],
    // A pass reads each block into one buffer of 16 KiB that doubles when a block fills it: these
    // come in growing order so that each makes it grow once more, with the token across the end.
    ...[16, 32, 64, 128, 256].map((kib): Case => [`across the end of a ${kib} KiB read`, (token) => tokenAt(kib * 1024 - 10, token)]),
    // The buffer grows to 1 MiB here, which a scan gives back when it ends.
    ['after 600 KiB of other variables', (token: string) => tokenAt(600 * 1024 + 7, token)],
  ])('is found when it comes %s', async (_, env) => {
    const token = `where-${prefix}.${++i}`;
    expect(await killedByOnePass(env(token), token)).toBe(1);
  });

  it('is not taken from another variable that contains it', async () => {
    const token = `decoy-${prefix}.${++i}`;
    expect(await killedByOnePass({ X: `BATON_AGENT_TOKEN=${token}`, XBATON_AGENT_TOKEN: token }, token)).toBe(0);
  });

  it('does not make a pass wait on a process started with an empty environment', async () => {
    const token = `empty-${prefix}.${++i}`;
    // A process met inside execve is read again for up to 1 s; `env -i` must be told apart at once.
    // Against a pass just before: another process on the host may make every pass wait.
    let began = Date.now();
    await killAgentProcesses([token]);
    const without = Date.now() - began;
    const child = spawn('/bin/sleep', ['30'], { env: {}, stdio: 'ignore' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    began = Date.now();
    expect(await killAgentProcesses([token])).toBe(0);
    expect(Date.now() - began).toBeLessThan(without + 600);
    expect(child.kill('SIGKILL')).toBe(true);
  });

  it('does not make a pass wait on a process started with an empty environment whose main thread has exited', async () => {
    const token = `empty-threads-${prefix}.${++i}`;
    // The interpreter itself (a version manager's `python3` may be a script that sets variables).
    const python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
    let began = Date.now();
    await killAgentProcesses([token]);
    const without = Date.now() - began;
    // Its main thread a zombie, its other thread alive with an empty environment: not a process inside execve.
    const child = spawn(python, ['-c', THREAD_OUTLIVES_MAIN], { env: {}, stdio: ['ignore', 'pipe', 'ignore'] });
    const pid = Number((await new Promise<Buffer>((resolve) => child.stdout.once('data', resolve))).toString());
    try {
      while (statOf(pid)[0] !== 'Z') await new Promise((resolve) => setTimeout(resolve, 10));
      began = Date.now();
      expect(await killAgentProcesses([token])).toBe(0);
      expect(Date.now() - began).toBeLessThan(without + 600);
    } finally {
      process.kill(pid, 'SIGKILL');
    }
  });

  it('is found by passes that run at the same time, each killing only its own', async () => {
    const tokens = Array.from({ length: 6 }, () => `together-${prefix}.${++i}`);
    const children = tokens.map((token) => spawn('/bin/sleep', ['30'], { env: { BATON_AGENT_TOKEN: token }, stdio: 'ignore' }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const exited = children.map((child) => new Promise((resolve) => child.once('exit', resolve)));
    const killed = await Promise.all(tokens.map((token) => killAgentProcesses([token])));
    for (const child of children) child.kill('SIGKILL');
    await Promise.all(exited);
    expect(killed).toEqual(tokens.map(() => 1));
  });
});

describe('a process that forks and exits while a pass reads /proc', () => {
  /** Waits for a line on stdin, then forks: the child prints its pid and sleeps, the parent exits. */
  const FORK_ON_LINE = [
    'import os, sys, time',
    'sys.stdin.readline()',
    'if os.fork() == 0:',
    '    sys.stdout.write(str(os.getpid()))',
    '    sys.stdout.flush()',
    '    time.sleep(30)',
    'os._exit(0)',
  ].join('\n');

  /** The pids a scan lists, in its order (Node sorts a directory's names), without this process. */
  const listed = (): string[] => readdirSync('/proc').filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid);

  it('finds its child, born after the pass listed /proc, once the parent it read is gone', async () => {
    const token = `births-${randomBytes(4).toString('hex')}.1`;
    // A pass pauses every 64 reads: with enough processes listed before the forker, it pauses
    // before reading it, and the fork and the exit happen in that pause.
    const spawnFillers = async (): Promise<ChildProcess[]> => {
      const made = Array.from({ length: 80 }, () => spawn('/bin/sleep', ['300'], { stdio: 'ignore' }));
      await Promise.all(made.map((f) => new Promise((resolve) => f.once('spawn', resolve))));
      return made;
    };
    let fillers: ChildProcess[] = [];
    let forker: ReturnType<typeof spawn> | undefined;
    let child = 0;
    const tried: string[] = [];
    try {
      fillers = await spawnFillers();
      for (let tries = 0; forker === undefined && tries < 50; tries++) {
        const candidate = spawn('python3', ['-c', FORK_ON_LINE], { env: { ...process.env, BATON_AGENT_TOKEN: token }, stdio: ['pipe', 'pipe', 'ignore'] });
        await new Promise((resolve) => candidate.once('spawn', resolve));
        const pids = listed();
        const at = pids.indexOf(String(candidate.pid));
        if (at >= 70) forker = candidate;
        else {
          tried.push(`pid ${candidate.pid} at ${at} of ${pids.length}, fillers ${fillers[0]?.pid}-${fillers.at(-1)?.pid} (${fillers.filter((f) => pids.includes(String(f.pid))).length} listed)`);
          candidate.kill('SIGKILL');
          await new Promise((resolve) => candidate.once('exit', resolve));
          // Fillers that come after it: the kernel's pids wrapped round after they were made
          // (pid_max is often 32,768, and the suite starts thousands of processes), or they are
          // gone. New ones come before the next try.
          for (const f of fillers) f.kill('SIGKILL');
          fillers = await spawnFillers();
        }
      }
      if (forker === undefined) throw new Error(`no forker came late enough in the listing of /proc in 50 tries: ${tried.slice(-3).join('; ')}`);
      const scan = scanForTokens(process.pid);
      expect(scan.next()).toEqual({ done: false, value: 'turn' });
      const gone = new Promise((resolve) => forker!.once('exit', resolve));
      forker.stdin!.end('\n');
      child = Number((await new Promise<Buffer>((resolve) => forker!.stdout!.once('data', resolve))).toString());
      await gone;
      expect(child).toBeGreaterThan(0);
      expect(await scanYielding(scan)).toContainEqual([child, token]);
    } finally {
      if (child > 0) process.kill(child, 'SIGKILL');
      forker?.kill('SIGKILL');
      for (const f of fillers) f.kill('SIGKILL');
    }
  });
});

describe('a scan in the calling thread (where no scanning thread can start)', () => {
  it('finds the processes that carry a token, as the thread does', async () => {
    const token = `here-${randomBytes(4).toString('hex')}.1`;
    const child = spawn('/bin/sleep', ['30'], { env: { BATON_AGENT_TOKEN: token }, stdio: 'ignore' });
    await new Promise((resolve) => child.once('spawn', resolve));
    try {
      expect(await scanYielding(scanForTokens(process.pid))).toContainEqual([child.pid, token]);
      expect(await scanYielding(scanForTokens(process.pid, new Set([child.pid!])))).not.toContainEqual([child.pid, token]);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

/** Whether this process can start a program in a PID namespace of its own, with /proc to match (root, on Linux). */
function canUsePidNamespace(): boolean {
  return spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true'], { stdio: 'ignore' }).status === 0;
}

/**
 * In a PID namespace of its own (so that choosing the next pid touches no other test's): the entry
 * of a process, twice, then the entry of a new process given its pid once it is gone.
 */
const ENTRY_OF_A_PID_USED_AGAIN = `
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
const { entryId } = await import(process.argv[2]);
const first = spawn('/bin/sleep', ['30'], { stdio: 'ignore' });
await new Promise((resolve) => first.once('spawn', resolve));
const pid = first.pid;
const before = entryId(String(pid));
const twice = entryId(String(pid));
first.kill('SIGKILL');
await new Promise((resolve) => first.once('exit', resolve));
writeFileSync('/proc/sys/kernel/ns_last_pid', String(pid - 1));
const again = spawn('/bin/sleep', ['30'], { stdio: 'ignore' });
await new Promise((resolve) => again.once('spawn', resolve));
const after = entryId(String(again.pid));
again.kill('SIGKILL');
console.log(JSON.stringify({ pid, againPid: again.pid, before, twice, after }));
`;

describe('the /proc entry a scan passes a kernel thread by', () => {
  // A scan passes by the kernel threads it met while their /proc entry is the same (entryId): a
  // new process given the same pid must have another entry, or it would be passed by too.
  it.runIf(canUsePidNamespace())('is another one for a new process given the same pid', () => {
    const script = path.join(tmp, 'entry-of-a-pid-used-again.mjs');
    writeFileSync(script, ENTRY_OF_A_PID_USED_AGAIN);
    const source = new URL('../../src/agents/proc-scan.ts', import.meta.url).href;
    const out = execFileSync('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, '--import', import.meta.resolve('tsx'), script, source], { encoding: 'utf8', timeout: 30_000 });
    const { pid, againPid, before, twice, after } = JSON.parse(out) as Record<string, unknown>;
    expect(againPid).toBe(pid);
    expect(before).toEqual(expect.any(String));
    expect(twice).toBe(before);
    expect(after).toEqual(expect.any(String));
    expect(after).not.toBe(before);
  });
});
