/**
 * Messages between a Baton process and its launcher, the small helper process that starts command
 * agents (see `process-launcher.ts`). Sent over Node's IPC channel with the `advanced` (structured
 * clone) serialisation, so byte arrays pass as they are.
 */

/** Starts one command agent. */
export interface SpawnMessage {
  type: 'spawn';
  id: number;
  file: string;
  args: string[];
  cwd?: string;
  env: Record<string, string>;
  /** Written to the agent's stdin, which is then closed. */
  input: string;
  /** The agent's BATON_AGENT_TOKEN (also in `env`): what it leaves running is found by it. */
  token: string;
  /** Bytes of stdout read at most; past them the agent and all it started are killed. */
  maxOutputBytes: number;
  /**
   * The agent reports as it runs: it gets a fourth pipe (fd 3), each line it writes there is sent
   * on as a {@link ReportMessage}, and its result comes after the last of them.
   */
  reports?: boolean;
}

/** Stops an agent: SIGTERM to all it started, SIGKILL after the grace period. */
export interface StopMessage {
  type: 'stop';
  id: number;
}

/** Asks whether an agent's main process had exited by `deadline` (answered once pending I/O was read). */
export interface QueryMessage {
  type: 'query';
  id: number;
  queryId: number;
  /** Epoch ms. */
  deadline: number;
}

export type ToLauncher = SpawnMessage | StopMessage | QueryMessage;

/** How one agent ended, sent once everything it started is gone and its output is read. */
export interface LaunchResult {
  /** The exit of its main process; absent when it could not be started. */
  exit?: { code: number | null; signal: string | null };
  /** When its main process exited, at the earliest (epoch ms). */
  exitedAt?: number;
  /** Why it could not be started (e.g. ENOENT). */
  spawnError?: string;
  stdout: Uint8Array;
  /** The last few KB of stderr. */
  stderrTail: string;
  /** Stdout went past `maxOutputBytes`; `stdout` holds what came before. */
  overflow: boolean;
}

export interface ResultMessage {
  type: 'result';
  id: number;
  result: LaunchResult;
}

export interface ReplyMessage {
  type: 'reply';
  queryId: number;
  exited: boolean;
}

/** A line an agent started with `reports` wrote on its fd 3, without the newline. */
export interface ReportMessage {
  type: 'report';
  id: number;
  line: string;
}

/** The longest report line sent on: a longer one is dropped. */
export const MAX_REPORT_CHARS = 4 * 1024;

export type FromLauncher = ResultMessage | ReplyMessage | ReportMessage;
