import type { Integrator } from '../core/contracts.ts';
import { BatonError, errorMessage } from '../core/errors.ts';
import { defaultExport, importModule } from '../core/import-module.ts';
import type { Manifest } from '../core/types.ts';
import { collectArtifacts } from './collect.ts';

/** The manifest's `orchestrator.integrator` module (its default export), or the default integrator. */
export async function loadIntegrator(manifest: Manifest): Promise<Integrator> {
  const file = manifest.orchestrator.integrator;
  if (!file) return collectArtifacts;
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
