import { fstatSync } from 'node:fs';
import { isatty } from 'node:tty';

/** How long the process may stay up after its command has ended before {@link exitOnceDone} ends it. */
export const EXIT_GRACE_MS = 2000;

/** How often, past the grace, it looks again while stdout or stderr still has output to write. */
const OUTPUT_POLL_MS = 100;

/**
 * Ends the `baton` process once its command has ended. The command has closed everything Baton
 * opened by then, and Node exits as soon as nothing is left; but an agent that runs in Baton's own
 * thread (a module agent with `isolation: none`, a code agent) can leave a timer, a socket or a
 * child process behind it, and that alone would keep the process, and whoever waits for it (a
 * shell script, CI, a cron job), up for ever. What still holds the process `graceMs` after the
 * command ended is named on stderr and the process exits with the command's own code. Output a
 * slow reader has not taken yet (stdout piped to a pager) is written out first: a pending write
 * is the reader's to end, not a leak.
 *
 * The timer is unref'd, so a process with nothing left ends at once, as before.
 */
export function exitOnceDone(graceMs = EXIT_GRACE_MS): void {
  const check = (): void => {
    if (process.stdout.writableLength > 0 || process.stderr.writableLength > 0) {
      setTimeout(check, OUTPUT_POLL_MS).unref();
      return;
    }
    const code = typeof process.exitCode === 'number' ? process.exitCode : 0;
    const held = withoutStdio(() => process.getActiveResourcesInfo());
    process.stderr.write(`${heldMessage(graceMs, held, code)}\n`, () => process.exit(code));
  };
  setTimeout(check, graceMs).unref();
}

/**
 * What holds the process, less the handles of stdin, stdout and stderr: Node lists a pipe or a
 * terminal once its stream is made, though it does not keep the process up. Each stream is made
 * here if it was not, so that each pipe or terminal counted out is one that is listed.
 */
function withoutStdio(resources: () => string[]): string[] {
  void [process.stdin, process.stdout, process.stderr];
  const held = resources();
  for (const fd of [0, 1, 2]) {
    const kind = stdioKind(fd);
    const at = kind === undefined ? -1 : held.indexOf(kind);
    if (at >= 0) held.splice(at, 1);
  }
  return held;
}

function stdioKind(fd: number): string | undefined {
  if (isatty(fd)) return 'TTYWrap';
  try {
    const stat = fstatSync(fd);
    return stat.isFIFO() || stat.isSocket() ? 'PipeWrap' : undefined;
  } catch {
    return undefined;
  }
}

/** "Timeout ×2, TCPWrap": the kinds of what keeps the event loop alive, counted. */
function describeHeld(resources: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const kind of resources) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return [...counts].map(([kind, n]) => (n === 1 ? kind : `${kind} ×${n}`)).join(', ');
}

function heldMessage(graceMs: number, resources: readonly string[], code: number): string {
  const held = describeHeld(resources);
  return (
    `baton: the command ended ${graceMs / 1000} s ago, but the process is still held${held ? ` by ${held}` : ''}: exiting with its code, ${code}. ` +
    "Something in Baton's own thread left it running: most often an agent with isolation: none (or a code agent) that did not clear a timer or close a socket or a child process; with isolation: thread, what an agent leaves ends with its thread."
  );
}
