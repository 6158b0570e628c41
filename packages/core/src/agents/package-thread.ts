import { Worker } from 'node:worker_threads';
import type { WorkerOptions } from 'node:worker_threads';

// From the TypeScript sources (a checkout, the tests), a thread's entry is loaded through tsx, in
// a namespace of its own that is the same in every process (as tsImport does, with a random one):
// a compile cache finds the thread's modules again, as it finds those of the built package.
const BOOTSTRAP = `const { workerData } = require('node:worker_threads');
Promise.all([import(workerData.tsxApi), import(workerData.tsxCjsApi)]).then(([esm, cjs]) => {
  cjs.register({ namespace: 'baton-checkout' });
  return esm.register({ namespace: 'baton-checkout' }).import(workerData.entry, workerData.entry);
});`;

/**
 * Starts a worker thread on one of this package's modules, `name` next to the module at `base` (its
 * `import.meta.url`): the compiled file in a package, the TypeScript source through tsx in a
 * checkout (where `workerData` also carries `entry`, `tsxApi` and `tsxCjsApi`, so it must be an object).
 */
export function startPackageThread(base: string, name: string, options: WorkerOptions = {}): Worker {
  const fromSource = base.endsWith('.ts');
  const entry = new URL(`./${name}${fromSource ? '.ts' : '.js'}`, base);
  if (!fromSource) return new Worker(entry, options);
  const workerData = { ...(options.workerData as object | undefined), entry: entry.href, tsxApi: import.meta.resolve('tsx/esm/api'), tsxCjsApi: import.meta.resolve('tsx/cjs/api') };
  return new Worker(BOOTSTRAP, { ...options, eval: true, workerData });
}
