import type { Integrator } from '../core/contracts.ts';
import { BatonError, errorMessage } from '../core/errors.ts';
import { defaultExport, importModule } from '../core/import-module.ts';
import type { Manifest } from '../core/types.ts';
import { collectArtifacts } from './collect.ts';

/**
 * Integrator modules loaded in this thread, by file. A TypeScript file is imported through tsx,
 * which gives each import a namespace of its own: every orchestrator made over one manifest (a
 * `baton eval` run case, a service that makes one per request) loaded and kept for good a copy of
 * the integrator and of all it imports (~70 ms and ~0.9 MB each for the sample report's). An
 * integrator is a function of its input, so one copy serves them all, as Node shares a JavaScript
 * file. A module that could not be loaded is tried again next time (it may have been fixed).
 */
const loaded = new Map<string, Promise<Integrator>>();

/** The manifest's `orchestrator.integrator` module (its default export), or the default integrator. */
export function loadIntegrator(manifest: Manifest): Promise<Integrator> {
  const file = manifest.orchestrator.integrator;
  if (!file) return Promise.resolve(collectArtifacts);
  let integrator = loaded.get(file);
  if (!integrator) {
    integrator = importIntegrator(file);
    loaded.set(file, integrator);
    integrator.catch(() => loaded.delete(file));
  }
  return integrator;
}

async function importIntegrator(file: string): Promise<Integrator> {
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(file);
  } catch (e) {
    throw new BatonError('MANIFEST_INVALID', `orchestrator.integrator: cannot load ${file}: ${errorMessage(e, 'the module')}`, { retryable: false, cause: e });
  }
  const fn = defaultExport(mod);
  if (typeof fn !== 'function') {
    throw new BatonError('MANIFEST_INVALID', `orchestrator.integrator: ${file} must default-export a function (input) => deliverable`, { retryable: false });
  }
  return fn as Integrator;
}
