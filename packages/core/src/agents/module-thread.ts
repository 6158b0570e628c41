/**
 * The body of a module agent's worker thread: loads the module once, then runs the attempts the
 * main thread sends, several at once when they wait on I/O, as the main thread would. The output goes back as JSON text, measured here against the
 * output limit, so a huge or non-JSON output costs this thread, not the orchestrator's.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { AgentContext } from '../core/contracts.ts';
import { BatonError, errorMessage } from '../core/errors.ts';
import { checkedUsage } from '../core/usage-check.ts';
import { outputAsJson } from '../validation/output-size.ts';
import { loadModuleAgent } from './module-exports.ts';
import type { LoadedModule } from './module-exports.ts';
import type { FromModuleThread, ModuleThreadData, ThreadError, ToModuleThread } from './module-thread-protocol.ts';

const port = parentPort!;
const { file, agent } = workerData as ModuleThreadData;
const running = new Map<number, AbortController>();

function post(message: FromModuleThread): void {
  port.postMessage(message);
}

function toThreadError(e: unknown): ThreadError {
  if (!BatonError.isInstance(e)) return { message: errorMessage(e, 'agent') };
  return { message: e.message, code: e.code, retryable: e.retryable };
}

async function runOne(loaded: LoadedModule, message: Extract<ToModuleThread, { type: 'run' }>): Promise<void> {
  const controller = new AbortController();
  running.set(message.id, controller);
  const ctx: AgentContext = {
    signal: controller.signal,
    reportUsage: (usage) => post({ type: 'usage', id: message.id, usage: checkedUsage(usage) }),
    ...(message.deadline === undefined ? {} : { deadline: message.deadline }),
    ...(message.maxOutputBytes === undefined ? {} : { maxOutputBytes: message.maxOutputBytes }),
  };
  try {
    const output: unknown = await loaded.run(message.input, ctx);
    const json = outputAsJson(output, message.maxOutputBytes);
    const at = Date.now();
    post(json === undefined ? { type: 'result', id: message.id, at } : { type: 'result', id: message.id, at, json });
  } catch (e) {
    post({ type: 'error', id: message.id, at: Date.now(), error: toThreadError(e) });
  } finally {
    running.delete(message.id);
  }
}

function listen(loaded: LoadedModule): void {
  port.on('message', (message: ToModuleThread) => {
    switch (message.type) {
      case 'run':
        void runOne(loaded, message);
        break;
      case 'abort':
        running.get(message.id)?.abort(Object.assign(new Error(message.reason), { name: message.name }));
        break;
      case 'ping':
        post({ type: 'pong', id: message.id });
        break;
      case 'close':
        void Promise.resolve(loaded.close?.())
          .catch(() => undefined)
          .finally(() => post({ type: 'closed' }));
        break;
    }
  });
}

try {
  const loaded = await loadModuleAgent(file, agent);
  listen(loaded);
  post(loaded.version === undefined ? { type: 'loaded' } : { type: 'loaded', version: loaded.version });
} catch (e) {
  // The main thread terminates this thread when it reads this.
  post({ type: 'load-failed', error: toThreadError(e) });
}
