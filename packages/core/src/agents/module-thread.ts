/**
 * The body of a module agent's worker thread: loads the module once, then runs the attempts the
 * main thread sends, several at once when they wait on I/O, as the main thread would. The output goes back as JSON text, measured here against the
 * output limit, so a huge or non-JSON output costs this thread, not the orchestrator's.
 */
import * as nodeModule from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import type { AgentContext } from '../core/contracts.ts';
import { checkedUsage } from '../core/usage-check.ts';
import { outputAsJson } from '../validation/output-size.ts';
import { loadModuleAgent } from './module-exports.ts';
import type { LoadedModule } from './module-exports.ts';
import { portableError } from './module-thread-protocol.ts';
import type { FromModuleThread, ModuleThreadData, ToModuleThread } from './module-thread-protocol.ts';
import { inAttempt, markStartedProcesses } from './thread-processes.ts';
import { UsagePerTurn } from './usage-per-turn.ts';
import type { AttemptScope } from './thread-processes.ts';

const port = parentPort!;
const { file, agent, compileCacheDir, token } = workerData as ModuleThreadData;
// Before the module loads: its code (and what it imports: vega-lite, an SDK) compiled once, not at every start.
if (compileCacheDir !== undefined) (nodeModule as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache?.(compileCacheDir);
const running = new Map<number, { controller: AbortController; scope: AttemptScope }>();

function post(message: FromModuleThread): void {
  port.postMessage(message);
}

markStartedProcesses(token, () => post({ type: 'started-process' }));

const usage = new UsagePerTurn<number>((id, reported) => post({ type: 'usage', id, usage: reported }));

/** Posts an attempt's usage before its answer, so the answer comes with all of it counted. */
function postUsageOf(id: number): void {
  const held = usage.take(id);
  if (held) post({ type: 'usage', id, usage: held });
}

async function runOne(loaded: LoadedModule, message: Extract<ToModuleThread, { type: 'run' }>): Promise<void> {
  const controller = new AbortController();
  const scope: AttemptScope = { id: message.id, ended: false, started: false };
  running.set(message.id, { controller, scope });
  const ctx: AgentContext = {
    signal: controller.signal,
    reportUsage: (reported) => usage.report(message.id, checkedUsage(reported)),
    ...(message.deadline === undefined ? {} : { deadline: message.deadline }),
    ...(message.maxOutputBytes === undefined ? {} : { maxOutputBytes: message.maxOutputBytes }),
  };
  try {
    const output: unknown = await inAttempt(scope, () => loaded.run(message.input, ctx));
    const json = outputAsJson(output, message.maxOutputBytes);
    const at = Date.now();
    postUsageOf(message.id);
    post(json === undefined ? { type: 'result', id: message.id, at } : { type: 'result', id: message.id, at, json });
  } catch (e) {
    postUsageOf(message.id);
    post({ type: 'error', id: message.id, at: Date.now(), error: portableError(e) });
  } finally {
    scope.ended = true;
    running.delete(message.id);
  }
}

function listen(loaded: LoadedModule): void {
  port.on('message', (message: ToModuleThread) => {
    switch (message.type) {
      case 'run':
        void runOne(loaded, message);
        break;
      case 'abort': {
        const attempt = running.get(message.id);
        if (!attempt) break;
        // What it starts from now on (a clean-up its signal starts) is the thread's, not the stopped attempt's.
        attempt.scope.ended = true;
        attempt.controller.abort(Object.assign(new Error(message.reason), { name: message.name }));
        if (attempt.scope.started) post({ type: 'stopped-with-processes', id: message.id });
        break;
      }
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
  post({ type: 'load-failed', error: portableError(e) });
}
