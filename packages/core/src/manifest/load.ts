/**
 * Loading a manifest: text or object → environment placeholders → shape → references → files →
 * `Manifest`. Every check runs even when an earlier one failed, and all problems are thrown
 * together as one `ManifestError`.
 */
import { stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { BatonError, errorMessage } from '../core/errors.ts';
import { readTextFile } from '../core/read-text.ts';
import type { Manifest } from '../core/types.ts';
import type { EnvSource } from './interpolate.ts';

// The checks (zod, yaml, ajv: ~10 MB, ~100 ms to load) load with the first manifest read, not
// with Baton: an orchestrator defined in code never needs them.
const checks = () => import('./validate.ts');

export interface ManifestLoadOptions {
  /** Variables for `${VAR}` placeholders; defaults to `process.env`. */
  env?: EnvSource;
}

/** The file name looked for when a folder is given. */
export const DEFAULT_MANIFEST_FILE = 'baton.yaml';

/**
 * Reads and validates a manifest file (YAML or JSON). Relative paths in it resolve against its
 * folder. Given a folder, reads `baton.yaml` inside it.
 * @throws BatonError `MANIFEST_NOT_FOUND` when the file cannot be read; `ManifestError` listing every problem.
 */
export async function loadManifest(file: string, options: ManifestLoadOptions = {}): Promise<Manifest> {
  let absolute = resolve(file);
  if ((await stat(absolute).catch(() => undefined))?.isDirectory() === true) absolute = join(absolute, DEFAULT_MANIFEST_FILE);
  let text: string;
  try {
    text = await readTextFile(absolute);
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    const message = missing
      ? `manifest not found: ${absolute}. Pass the manifest's path with -m, or create ${DEFAULT_MANIFEST_FILE} there`
      : `cannot read manifest ${absolute}: ${errorMessage(e)}`;
    throw new BatonError('MANIFEST_NOT_FOUND', message, { retryable: false, cause: e });
  }
  return parseManifest(text, { file: absolute, baseDir: dirname(absolute), ...options });
}

/**
 * Validates manifest text (YAML or JSON). `file` names it in problems; `baseDir` is where relative paths resolve.
 * @throws ManifestError listing every problem, each with its line and column.
 */
export async function parseManifest(text: string, options: { file: string; baseDir: string } & ManifestLoadOptions): Promise<Manifest> {
  return (await checks()).validateManifestText(text, options);
}

/**
 * Validates a manifest written as a JavaScript object, with the same rules as a file.
 * @throws ManifestError listing every problem.
 */
export async function manifestFromObject(obj: unknown, options: { file?: string; baseDir: string } & ManifestLoadOptions): Promise<Manifest> {
  return (await checks()).validateManifest(obj, options);
}
