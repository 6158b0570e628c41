/**
 * The bytes V8's minor GCs promoted while a child process ran its measured window: the child is
 * started with `--trace-gc-nvp` (V8 prints each GC on stdout) and prints `measuring` before the
 * window and `measured` (or `measured <figure>`) after it, so only the window's GCs are counted.
 */

/** The lines a child printed between its `measuring` and `measured` lines, and the `measured` line itself. */
export function measuredWindow(stdout: string, child: string): { lines: string[]; end: string } {
  const lines = stdout.split('\n');
  const from = lines.indexOf('measuring');
  const to = lines.findIndex((l) => l === 'measured' || l.startsWith('measured '));
  if (from < 0 || to < from) throw new Error(`the ${child} child printed no measured window`);
  return { lines: lines.slice(from + 1, to), end: lines[to]! };
}

/** The bytes promoted by, and the number of, the minor GCs (scavenges) among `--trace-gc-nvp` lines. */
export function promotedIn(lines: readonly string[]): { bytes: number; scavenges: number } {
  let bytes = 0;
  let scavenges = 0;
  for (const line of lines) {
    if (!/\bgc=s\b/.test(line)) continue;
    scavenges++;
    bytes += Number(/\bpromoted=(\d+)/.exec(line)?.[1] ?? 0);
  }
  return { bytes, scavenges };
}
