// A `baton` process that a failed test started and that is still running (most often the very
// reason the test failed: it timed out waiting for that process to end) is asked for Node's
// diagnostic report, which goes into the test's output, and is then killed. Such hangs came twice
// in about ten full runs on Node 24 and left nothing to go on; the process also outlived its test
// by minutes. Every Node process the tests start writes its report on SIGUSR2
// (`--report-on-signal`); nothing else sends it that signal.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach } from 'vitest';
import { childrenOf, hasLiveThreads } from './agent-processes.ts';

const reports = path.join(tmpdir(), 'baton-test-hang-reports');
mkdirSync(reports, { recursive: true });
const flags = `--report-on-signal --report-directory=${reports}`;
const inherited = process.env['NODE_OPTIONS'] ?? '';
if (!inherited.includes('--report-on-signal')) process.env['NODE_OPTIONS'] = `${inherited} ${flags}`.trim();

/** The `baton` processes this test process started that are still running. */
function runningBatonChildren(): number[] {
  let children: number[];
  try {
    children = childrenOf(process.pid);
  } catch {
    return [];
  }
  return children.filter((pid) => {
    try {
      return hasLiveThreads(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('bin/baton.js');
    } catch {
      return false;
    }
  });
}

/** Where a helper that starts `baton` keeps what the process wrote on stderr, by pid, for {@link summary}. */
const stderrOf = new Map<number, () => string>();

/** Lets a failed test's output show the end of what a `baton` process wrote on stderr, until it ends. */
export function trackStderr(child: ChildProcess, stderr: () => string): void {
  const pid = child.pid;
  if (pid === undefined) return;
  stderrOf.set(pid, stderr);
  child.once('close', () => stderrOf.delete(pid));
}

interface Report {
  header?: { commandLine?: string[] };
  javascriptStack?: { message?: string; stack?: string[] };
  libuv?: { type: string; is_active?: boolean; is_referenced?: boolean; firesInMsFromNow?: number; repeat?: number; fd?: number }[];
  workers?: Report[];
}

/** What a report says a process was doing: its stack, its threads' stacks, what held its event loop, and its last words. */
function summary(pid: number, report: Report): string {
  const stack = (r: Report): string => {
    const frames = (r.javascriptStack?.stack ?? []).filter((f) => f !== 'Unavailable.');
    return frames.length === 0 ? 'idle in its event loop' : frames.slice(0, 15).join('\n    ');
  };
  const held = (report.libuv ?? [])
    .filter((h) => h.is_active && h.is_referenced)
    .map((h) => (h.type === 'timer' ? `timer (fires in ${h.firesInMsFromNow} ms, repeat ${h.repeat})` : `${h.type}${h.fd === undefined ? '' : ` fd ${h.fd}`}`));
  return [
    `baton process ${pid} still running after the test failed: ${(report.header?.commandLine ?? []).join(' ')}`,
    `  main thread: ${stack(report)}`,
    ...(report.workers ?? []).map((w, i) => `  worker thread ${i}: ${stack(w)}`),
    `  event loop held by: ${held.join(', ') || 'nothing'}`,
    `  its stderr, last 2,000 characters: ${(stderrOf.get(pid)?.() ?? '(not kept)').slice(-2000)}`,
  ].join('\n');
}

async function reportOf(pid: number): Promise<Report | undefined> {
  process.kill(pid, 'SIGUSR2');
  for (let waited = 0; waited < 5000; waited += 100) {
    await sleep(100);
    const file = readdirSync(reports).find((f) => f.includes(`.${pid}.`) && f.endsWith('.json'));
    if (file === undefined) continue;
    try {
      return JSON.parse(readFileSync(path.join(reports, file), 'utf8')) as Report;
    } catch {
      // Still being written.
    }
  }
  return undefined;
}

afterEach(async (context) => {
  if (context.task.result?.state !== 'fail') return;
  for (const pid of runningBatonChildren()) {
    const report = await reportOf(pid).catch(() => undefined);
    process.stderr.write(`${report ? summary(pid, report) : `baton process ${pid} still running after the test failed; it wrote no report within 5 s`}\n`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Ended meanwhile.
    }
  }
});
