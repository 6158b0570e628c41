import { Worker } from 'node:worker_threads';
import type { WorkerOptions } from 'node:worker_threads';

// From the TypeScript sources (a checkout, the tests), a thread's entry is loaded through tsx.
const BOOTSTRAP = `const { workerData } = require('node:worker_threads');
import(workerData.tsxApi).then((api) => api.tsImport(workerData.entry, workerData.entry));`;

/**
 * Starts a worker thread on one of this package's modules, `name` next to the module at `base` (its
 * `import.meta.url`): the compiled file in a package, the TypeScript source through tsx in a
 * checkout (where `workerData` also carries `entry` and `tsxApi`, so it must be an object).
 */
export function startPackageThread(base: string, name: string, options: WorkerOptions = {}): Worker {
  const fromSource = base.endsWith('.ts');
  const entry = new URL(`./${name}${fromSource ? '.ts' : '.js'}`, base);
  if (!fromSource) return new Worker(entry, options);
  const workerData = { ...(options.workerData as object | undefined), entry: entry.href, tsxApi: import.meta.resolve('tsx/esm/api') };
  return new Worker(BOOTSTRAP, { ...options, eval: true, workerData });
}
