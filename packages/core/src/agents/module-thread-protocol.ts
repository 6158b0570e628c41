/** Messages between a module agent (main thread) and the worker thread that runs its module. */
import { BatonError, errorMessage } from '../core/errors.ts';
import type { BatonErrorCode } from '../core/errors.ts';
import type { AgentInput, Usage } from '../core/types.ts';

/** What a worker is started with. */
export interface ModuleThreadData {
  /** Absolute path of the module. */
  file: string;
  /** The agent's name, for messages. */
  agent: string;
  /**
   * Where the starting thread keeps V8's compiled code (Node 22.8+'s module compile cache, which
   * the `baton` command turns on), if it does: the module's thread keeps its own under it, as a
   * thread does not inherit it.
   */
  compileCacheDir?: string;
  /** The token the processes this thread starts carry (`thread-processes.ts`); its attempts' are `<token>.<id>`. */
  token: string;
}

export type ToModuleThread =
  | { type: 'run'; id: number; input: AgentInput; deadline?: number; maxOutputBytes?: number }
  | { type: 'abort'; id: number; reason: string; name: string }
  /** Answered by a pong as soon as the thread's event loop is free: a thread that does not answer is blocked. */
  | { type: 'ping'; id: number }
  | { type: 'close' };

/** An error as it crosses the thread boundary: its message and what Baton needs to classify it. */
export interface ThreadError {
  message: string;
  code?: BatonErrorCode;
  retryable?: boolean;
}

export type FromModuleThread =
  | { type: 'loaded'; version?: string }
  | { type: 'load-failed'; error: ThreadError }
  | { type: 'usage'; id: number; usage: Usage }
  /** The output as JSON text (absent when the module returned undefined); `at`: when it was made (epoch ms). */
  | { type: 'result'; id: number; at: number; json?: string }
  | { type: 'error'; id: number; at: number; error: ThreadError }
  | { type: 'pong'; id: number }
  | { type: 'closed' }
  /** The thread started its first process: it has processes to kill when it ends. */
  | { type: 'started-process' }
  /** A stopped attempt had started processes (carrying `<token>.<id>`): they are to be stopped now. */
  | { type: 'stopped-with-processes'; id: number };

/** What a module threw, as it crosses to another thread or process: a BatonError keeps its code and whether it may be retried. */
export function portableError(e: unknown): ThreadError {
  try {
    if (BatonError.isInstance(e)) {
      const { message, code, retryable } = e;
      // Fields that could not be posted would have killed the thread and every attempt in it.
      if (typeof message === 'string' && typeof code === 'string' && typeof retryable === 'boolean') return { message, code, retryable };
    }
  } catch {
    // A getter that throws: told as any other thrown value.
  }
  return { message: errorMessage(e, 'agent') };
}
