import { closeSync, lstatSync, openSync, readdirSync, readSync } from 'node:fs';

/**
 * The scan of /proc for processes carrying an agent token (see `orphan-sweep.ts`). It reads
 * synchronously, three system calls per file into one buffer (~14 µs a process on a 2-vCPU
 * microVM; an async readFile costs ten times that), so it runs in a thread of its own
 * (`proc-scanner.ts`): a read of a process's environment blocks for as long as that process is
 * stuck holding its memory map (a fault on a dead NFS mount), and must not hold an event loop.
 */
export const AGENT_TOKEN_VAR = 'BATON_AGENT_TOKEN';

/** How long a read of /proc waits for a process inside `execve` to show its new environment. */
const EXEC_WAIT_MS = 1_000;
/** Flags of /proc/<pid>/stat (include/linux/sched.h): a kernel thread; a thread inside its exit. */
const PF_KTHREAD = 0x00200000;
const PF_EXITING = 0x00000004;
/** Indexes in {@link statFields}: fields 5, 9, 20, 22, 26, 50 and 51 of /proc/<pid>/stat (proc(5)). */
const STAT = { group: 2, flags: 6, threads: 17, startTime: 19, startCode: 23, envStart: 47, envEnd: 48 } as const;
const PROC_BUFFER_BYTES = 16 * 1024;

/**
 * Every read of /proc goes into this buffer (one file at a time). It grows for a large environment,
 * and a scan that left it at 1 MiB or more gives that back.
 */
let procBuffer = Buffer.allocUnsafe(PROC_BUFFER_BYTES);

/** Why the last {@link readProc} could not open its file (its error code), or undefined when it could. */
let openError: string | undefined;

/**
 * Reads a file of /proc whole into {@link procBuffer} and returns its length; undefined when it
 * cannot be read (the process is gone, or it is another user's; {@link openError} says which).
 */
function readProc(file: string): number | undefined {
  openError = undefined;
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    openError = (e as NodeJS.ErrnoException).code;
    return undefined;
  }
  try {
    let length = 0;
    for (;;) {
      if (length === procBuffer.length) {
        const bigger = Buffer.allocUnsafe(procBuffer.length * 2);
        procBuffer.copy(bigger, 0, 0, length);
        procBuffer = bigger;
      }
      const read = readSync(fd, procBuffer, length, procBuffer.length - length, null);
      if (read === 0) return length;
      length += read;
    }
  } catch {
    return undefined;
  } finally {
    try {
      closeSync(fd);
    } catch {
      // Nothing to do: the descriptor is released either way.
    }
  }
}

/**
 * The fields of /proc/<pid>/stat from the third (the state) on; undefined once the process is
 * gone. `pid` may name a thread (`<pid>/task/<tid>`).
 */
function statFields(pid: number | string): string[] | undefined {
  const length = readProc(`/proc/${pid}/stat`);
  if (length === undefined) return undefined;
  const stat = procBuffer.toString('latin1', 0, length);
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** The start time of a process: with the pid, it names one process. */
export function startTimeOf(pid: number): string | undefined {
  return statFields(pid)?.[STAT.startTime];
}

/** The process group of a process; undefined once it is gone. */
export function processGroupOf(pid: number): number | undefined {
  const group = statFields(pid)?.[STAT.group];
  return group === undefined ? undefined : Number(group);
}

/**
 * The fields of /proc/<pid>/stat (see {@link statFields}) of a process that has not exited;
 * undefined once it has (a zombie, or dead). A process whose main thread has exited while its other
 * threads run has not: its state is the main thread's, Z, but its threads count more than one.
 */
function liveFields(pid: number | string): string[] | undefined {
  const fields = statFields(pid);
  if (fields === undefined) return undefined;
  return (fields[0] === 'Z' || fields[0] === 'X') && Number(fields[STAT.threads]) <= 1 ? undefined : fields;
}

/** True when the process has exited (gone, or a zombie waiting to be reaped). */
export function isGone(pid: number): boolean {
  return liveFields(pid) === undefined;
}

/** The start time of a process that has not exited; undefined once it has. */
export function liveStartTimeOf(pid: number): string | undefined {
  return liveFields(pid)?.[STAT.startTime];
}

const TOKEN_KEY = Buffer.from(`${AGENT_TOKEN_VAR}=`, 'latin1');
const TOKEN_AFTER_NUL = Buffer.from(`\0${AGENT_TOKEN_VAR}=`, 'latin1');

/** The token in the first `length` bytes of {@link procBuffer}, an environment block (NUL-separated). */
function tokenInBuffer(length: number): string | undefined {
  const environ = procBuffer.subarray(0, length);
  let at: number;
  if (length >= TOKEN_KEY.length && environ.compare(TOKEN_KEY, 0, TOKEN_KEY.length, 0, TOKEN_KEY.length) === 0) {
    at = TOKEN_KEY.length;
  } else {
    const found = environ.indexOf(TOKEN_AFTER_NUL);
    if (found === -1) return undefined;
    at = found + TOKEN_AFTER_NUL.length;
  }
  const end = environ.indexOf(0, at);
  return environ.toString('latin1', at, end === -1 ? length : end);
}

/**
 * A read of /proc/<pid>/environ that showed nothing: the file read empty, or could not be opened
 * for want of memory to read from (ESRCH, on recent kernels such as 6.18; older ones read such a
 * file as empty). See {@link whyEmpty}.
 */
const EMPTY = Symbol('empty environment');

type TokenRead = string | undefined | typeof EMPTY;

/** The token of a process, read once; undefined when it has none or its environment cannot be read. */
function tokenNow(pid: string): TokenRead {
  const length = readProc(`/proc/${pid}/environ`);
  if (length === undefined) return openError === 'ESRCH' ? EMPTY : undefined;
  return length === 0 ? EMPTY : tokenInBuffer(length);
}

/**
 * The token of a process read through its threads (they share its memory), the main thread last:
 * the one that has none left. EMPTY when none shows an environment while they can be read (a
 * thread inside `execve` takes the main thread's pid as it ends it: the process is looked at
 * again); undefined when it carries no token, its environment is empty indeed, or its threads
 * cannot be read.
 */
function tokenOfThreads(pid: string): TokenRead {
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  let denied = false;
  for (const tid of [...threads.filter((t) => t !== pid), pid]) {
    const length = readProc(`/proc/${pid}/task/${tid}/environ`);
    if (length === undefined) denied ||= openError === 'EACCES' || openError === 'EPERM';
    else if (length > 0) return tokenInBuffer(length);
    else {
      // Empty: `env -i` (the environment ends where it starts), or a thread with no memory left.
      const fields = statFields(`${pid}/task/${tid}`);
      if (fields !== undefined && emptyForGood(fields)) return undefined;
    }
  }
  return denied ? undefined : EMPTY;
}

/**
 * Whether stat `fields` show an environment that is empty for good (`env -i`): it ends where it
 * starts, and the program is loaded. Inside `execve` the new memory's environment also ends where
 * it starts for a while (from when the kernel starts laying the variables on the new stack until
 * it is done), but then no code is mapped yet: the start of the code is still 0.
 */
function emptyForGood(fields: readonly string[]): boolean {
  const envEnd = fields[STAT.envEnd];
  return envEnd !== '0' && envEnd === fields[STAT.envStart] && fields[STAT.startCode] !== '0';
}

/**
 * Why a process's environment showed nothing ({@link EMPTY}), from its stat:
 * - `final`: it is gone or exiting, a zombie whose threads are all gone too, or its environment is
 *   empty indeed (`env -i`: see {@link emptyForGood});
 * - `kernel`: a kernel thread, which has no memory of its own;
 * - `threads`: its main thread has exited (or is exiting) while others run, as in a daemon whose
 *   `main` ends with `pthread_exit`: its environment is read through them;
 * - `exec`: it is inside `execve` (its new memory has none yet, or is being given it, or the read
 *   opened the memory the execve replaced): it is read again.
 */
function whyEmpty(pid: string): EmptyBecause {
  return whyEmptyFrom(statFields(pid));
}

/** Why an environment showed nothing, from the stat `fields` of its process (undefined: gone). See {@link whyEmpty}. */
export function whyEmptyFrom(fields: readonly string[] | undefined): EmptyBecause {
  if (fields === undefined) return 'final';
  if (kernelThread(fields)) return 'kernel';
  // The main thread has exited, or is inside its exit (its memory may be gone already).
  const ending = fields[0] === 'Z' || fields[0] === 'X' || (Number(fields[STAT.flags]) & PF_EXITING) !== 0;
  if (Number(fields[STAT.threads]) > 1 && (ending || fields[STAT.envEnd] === '0')) return 'threads';
  if (ending) return 'final';
  return emptyForGood(fields) ? 'final' : 'exec';
}

type EmptyBecause = 'final' | 'kernel' | 'threads' | 'exec';

/** Whether stat `fields` are a kernel thread's. */
function kernelThread(fields: readonly string[] | undefined): boolean {
  return fields !== undefined && (Number(fields[STAT.flags]) & PF_KTHREAD) !== 0;
}

/** What a scan asks of whoever drives it between its steps: a turn of the event loop, or a 1 ms wait. */
export type ScanPause = 'turn' | 'wait';

/**
 * The kernel threads the last scan met (most of a small host's processes: 57 of 66 here), by pid,
 * with their /proc entry's {@link entryId} then. While a pid's entry is the same, so is its
 * process, and one `lstat` (~5 µs) passes it by instead of a read that shows nothing (~13 µs: an
 * open that fails, on recent kernels) and a read of its stat. A pid used again by a new process
 * is a new entry: the kernel drops the old one when it finds its process gone. Only kernel
 * threads: a user process can take over an entry (a thread other than the main one that calls
 * `execve` takes the main thread's pid); a kernel thread does not carry a token (the user-mode
 * helpers older kernels start as kernel threads that then exec are started by the kernel, not by
 * an agent).
 */
let kernelThreads = new Map<string, string>();

/** A process's /proc entry: its inode and when it was made. With the pid, it names one process while it lives. */
export function entryId(pid: string): string | undefined {
  const stat = lstatSync(`/proc/${pid}`, { throwIfNoEntry: false });
  return stat && `${stat.ino}/${stat.ctimeMs}`;
}

/** Processes a scan reads between two turns (~14 µs each on a 2-vCPU microVM). */
const READS_PER_TURN = 64;

/**
 * Where a scan is, for a watchdog in another thread: [0] the pid whose environment it is reading (0
 * between reads), [1] how many environments it has read.
 */
export type ScanProgress = Int32Array;

/** `read(pid)`, a read of that process's environment, shown in `progress`. */
function watched(pid: string, progress: ScanProgress | undefined, read: (pid: string) => TokenRead): TokenRead {
  if (progress === undefined) return read(pid);
  Atomics.store(progress, 0, Number(pid));
  const token = read(pid);
  Atomics.store(progress, 0, 0);
  Atomics.add(progress, 1, 1);
  return token;
}

/**
 * Rounds of reading the processes born while a scan ran, at most: each is a listing of /proc
 * (~70 µs for 70 processes) and the newcomers' reads. A host that forks all the time (threads
 * count) rarely lets a round pass without a birth, and a double fork needs two rounds.
 */
const BIRTH_ROUNDS = 8;

/**
 * The last pid the kernel gave out in this PID namespace; undefined where it cannot be read. A
 * process born after a moment has a pid after the one given out then, counting round past pid_max.
 */
function lastPid(): number | undefined {
  const length = readProc('/proc/sys/kernel/ns_last_pid');
  const pid = length === undefined ? NaN : Number(procBuffer.toString('latin1', 0, length).trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Whether `pid` was given out after `from` and up to `to`, counting round past pid_max. */
function bornBetween(pid: number, from: number, to: number): boolean {
  return from < to ? pid > from && pid <= to : pid > from || pid <= to;
}

/**
 * Every live process (not `exceptPid`, none of `skip`) that carries an agent token, with its token,
 * as a generator that pauses every READS_PER_TURN processes and between its rounds of reading again
 * the processes met inside `execve` (a daemon an agent starts execs right after it forks: `setsid
 * sleep &`); those are read again all at once, at once and then every 1 ms, until each shows its
 * environment or EXEC_WAIT_MS has passed. {@link scanNow} and {@link scanYielding} drive it.
 *
 * The listing of /proc is a snapshot: a process carrying a token that forks once it was listed
 * and exits before it is read (the middle of a double fork) leaves a child no read meets. So once
 * it has read what it listed, a scan lists /proc again for the processes born since it began (by
 * `ns_last_pid`), and reads those, until none was born during a round.
 */
export function* scanForTokens(exceptPid: number, skip: ReadonlySet<number> = new Set(), progress?: ScanProgress): Generator<ScanPause, Array<[number, string]>> {
  const found: Array<[number, string]> = [];
  let born = lastPid();
  let pids: string[];
  try {
    pids = readdirSync('/proc');
  } catch {
    // /proc cannot be listed (not mounted): no process can be found there.
    return [];
  }
  const stillKernel = new Map<string, string>();
  const began = Date.now();
  let until: number | undefined;
  let read = 0;
  for (let round = 0; ; round++) {
    const pending: string[] = [];
    for (const pid of pids) {
      if (!/^\d+$/.test(pid) || Number(pid) === exceptPid || skip.has(Number(pid))) continue;
      if (++read % READS_PER_TURN === 0) yield 'turn';
      const known = kernelThreads.get(pid);
      if (known !== undefined && entryId(pid) === known) {
        stillKernel.set(pid, known);
        continue;
      }
      const token = watched(pid, progress, tokenNow);
      if (token === EMPTY) pending.push(pid);
      else if (token !== undefined) found.push([Number(pid), token]);
    }
    if (pending.length > 0) {
      // Newcomers met inside execve (a daemon's exec after its fork) get their own wait, within
      // twice the wait of the whole scan.
      until = Math.min(began + 2 * EXEC_WAIT_MS, Math.max(until ?? 0, Date.now() + EXEC_WAIT_MS));
      yield* readAgainUntilShown(pending, until, found, stillKernel, progress);
    }
    const now = born === undefined ? undefined : lastPid();
    if (born === undefined || now === undefined || now === born || round + 1 >= BIRTH_ROUNDS) break;
    const from = born;
    born = now;
    try {
      pids = readdirSync('/proc').filter((pid) => bornBetween(Number(pid), from, now));
    } catch {
      break;
    }
  }
  kernelThreads = stillKernel;
  if (procBuffer.length >= 1024 * 1024) procBuffer = Buffer.allocUnsafe(PROC_BUFFER_BYTES);
  // A process born between the first read of ns_last_pid and the first listing is in two listings.
  const once = new Map(found);
  return [...once].filter(([pid]) => !isGone(pid));
}

/**
 * Reads again the processes whose environment showed nothing ({@link EMPTY}), at once and then
 * every 1 ms until `until`, adding what they carry to `found` and the kernel threads among them
 * to `stillKernel`.
 */
function* readAgainUntilShown(pending: string[], until: number, found: Array<[number, string]>, stillKernel: Map<string, string>, progress: ScanProgress | undefined): Generator<ScanPause, void> {
  // The first round reads again at once: a read that met the memory an execve replaced is over.
  for (let round = 0; pending.length > 0; round++) {
    if (round > 0) {
      if (Date.now() >= until) break;
      yield 'wait';
    }
    const still: string[] = [];
    for (const pid of pending) {
      const why = whyEmpty(pid);
      if (why === 'final') continue;
      if (why === 'kernel') {
        // Its entry, then its stat again: the entry was the kernel thread's, not a new process's.
        const id = entryId(pid);
        if (id !== undefined && kernelThread(statFields(pid))) stillKernel.set(pid, id);
        continue;
      }
      const token = watched(pid, progress, why === 'threads' ? tokenOfThreads : tokenNow);
      if (token === EMPTY) still.push(pid);
      else if (token !== undefined) found.push([Number(pid), token]);
    }
    pending = still;
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Runs a scan without a pause: in the scanning thread, which has nothing else to do. */
export function scanNow(scan: Generator<ScanPause, Array<[number, string]>>): Array<[number, string]> {
  for (;;) {
    const step = scan.next();
    if (step.done) return step.value;
    if (step.value === 'wait') Atomics.wait(sleeper, 0, 0, 1);
  }
}

/** Runs a scan in an event loop's thread, giving the loop a turn at each pause. */
export async function scanYielding(scan: Generator<ScanPause, Array<[number, string]>>): Promise<Array<[number, string]>> {
  for (;;) {
    const step = scan.next();
    if (step.done) return step.value;
    await new Promise((resolve) => (step.value === 'wait' ? setTimeout(resolve, 1) : setImmediate(resolve)));
  }
}
