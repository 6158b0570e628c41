/**
 * Marks the processes a module agent starts from its worker thread, as Baton marks a command
 * agent's (`orphan-sweep.ts`): each carries `BATON_AGENT_TOKEN`, and so does everything it starts.
 * A process started while an attempt runs carries `<thread token>.<attempt id>`, so that it is
 * killed when that attempt is stopped; one started outside any attempt (as the module loads, by a
 * timer an attempt left, or as a stopped attempt's signal fires) carries the thread's token. All
 * are killed when the thread ends (`module-thread-pool.ts`).
 *
 * The thread shares Baton's environment (SHARE_ENV), and runs several attempts at once, so the
 * token cannot be put in `process.env`: it is added to each process's own environment as Node
 * starts it. Every asynchronous start (spawn, exec, execFile, fork, and libraries built on them)
 * goes through `ChildProcess.prototype.spawn`; the synchronous ones are wrapped where exported.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import * as childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import { AGENT_TOKEN_VAR } from './proc-scan.ts';

/** An attempt running in this thread, as the processes it starts see it. */
export interface AttemptScope {
  readonly id: number;
  /** Set once the attempt answered or was stopped: what it starts from then on is the thread's. */
  ended: boolean;
  /** Whether it started a process while it ran. */
  started: boolean;
}

interface SpawnOptions {
  envPairs?: string[];
}

const attempts = new AsyncLocalStorage<AttemptScope>();
const TOKEN_PREFIX = `${AGENT_TOKEN_VAR}=`;
let threadToken = '';
let onFirstStart: () => void = () => undefined;

/** The token for a process started now, and a note that one was. */
function tokenForNow(): string {
  onFirstStart();
  onFirstStart = () => undefined;
  const scope = attempts.getStore();
  if (!scope || scope.ended) return threadToken;
  scope.started = true;
  return `${threadToken}.${scope.id}`;
}

function environmentWith(env: NodeJS.ProcessEnv | undefined, token: string): NodeJS.ProcessEnv {
  return { ...(env ?? process.env), [AGENT_TOKEN_VAR]: token };
}

/**
 * `options` of a synchronous start (`spawnSync(file, args?, options?)`, `execFileSync` alike,
 * `execSync(command, options?)`) with the token in its environment. Arguments Node would refuse are
 * passed as they are, for Node's own error.
 */
function withToken(args: unknown[], argsMayComeFirst: boolean): unknown[] {
  const at = argsMayComeFirst && (Array.isArray(args[1]) || (args[1] == null && args.length > 2)) ? 2 : 1;
  const options = args[at];
  if (options !== undefined && (typeof options !== 'object' || options === null)) return args;
  const given = options as { env?: NodeJS.ProcessEnv } | undefined;
  const copy = [...args];
  copy[at] = { ...given, env: environmentWith(given?.env, tokenForNow()) };
  return copy;
}

/**
 * Installs the marking in this thread, before the module loads. `token` is the thread's;
 * `started` is called once, as the first process is started.
 */
export function markStartedProcesses(token: string, started: () => void): void {
  threadToken = token;
  onFirstStart = started;
  const proto = childProcess.ChildProcess.prototype as unknown as { spawn(this: unknown, options: SpawnOptions): unknown };
  const spawn = proto.spawn;
  proto.spawn = function (this: unknown, options: SpawnOptions) {
    if (options && typeof options === 'object') {
      const token = tokenForNow();
      const pairs = options.envPairs ?? Object.entries(process.env).map(([k, v]) => `${k}=${v}`);
      options.envPairs = [...pairs.filter((p) => !p.startsWith(TOKEN_PREFIX)), TOKEN_PREFIX + token];
    }
    return spawn.call(this, options);
  };
  const exported = (childProcess as unknown as { default: Record<string, (...args: unknown[]) => unknown> }).default;
  for (const [name, argsMayComeFirst] of [['spawnSync', true], ['execFileSync', true], ['execSync', false]] as const) {
    const original = exported[name]!;
    exported[name] = (...args: unknown[]) => original(...withToken(args, argsMayComeFirst));
  }
  // What `import { spawnSync } from 'node:child_process'` gives the module, from now on.
  syncBuiltinESMExports();
}

/** Runs an attempt in `scope`: the processes it starts carry the attempt's token until it ends. */
export function inAttempt<T>(scope: AttemptScope, run: () => T): T {
  return attempts.run(scope, run);
}
