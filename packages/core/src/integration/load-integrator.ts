import type { Integrator } from '../core/contracts.ts';
import { BatonError, errorMessage } from '../core/errors.ts';
import { defaultExport, fileVersion, forgetModule, importModule } from '../core/import-module.ts';
import type { Manifest } from '../core/types.ts';
import { collectArtifacts } from './collect.ts';

/**
 * Integrator modules loaded in this thread, by file. A TypeScript file is imported through tsx,
 * which gives each import a namespace of its own: every orchestrator made over one manifest (a
 * `baton eval` run case, a service that makes one per request) loaded and kept for good a copy of
 * the integrator and of all it imports (~70 ms and ~0.9 MB each for the sample report's). An
 * integrator is a function of its input, so one copy serves them all, as Node shares a JavaScript
 * file. A TypeScript file changed since (its time or size) is loaded again, as each orchestrator
 * did before; so is one whose load failed (it may have been fixed). A JavaScript file is Node's
 * to cache: it keeps the first.
 */
const loaded = new Map<string, { version: string; integrator: Promise<Integrator> }>();

/** The manifest's `orchestrator.integrator` module (its default export), or the default integrator. */
export function loadIntegrator(manifest: Manifest): Promise<Integrator> {
  const file = manifest.orchestrator.integrator;
  if (!file) return Promise.resolve(collectArtifacts);
  const version = fileVersion(file);
  const known = loaded.get(file);
  if (known?.version === version) return known.integrator;
  const integrator = importIntegrator(file);
  const entry = { version, integrator };
  loaded.set(file, entry);
  integrator.catch(() => loaded.get(file) === entry && loaded.delete(file));
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
    // A fix to what the file imports must load at the next try, as a failed import's does.
    forgetModule(file);
    throw new BatonError('MANIFEST_INVALID', `orchestrator.integrator: ${file} must default-export a function (input) => deliverable`, { retryable: false });
  }
  return fn as Integrator;
}
