/**
 * Loading a manifest: text or object → environment placeholders → shape → references → files →
 * `Manifest`. Every check runs even when an earlier one failed, and all problems are thrown
 * together as one `ManifestError`.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { BatonError, ManifestError, errorMessage } from '../core/errors.ts';
import type { Manifest } from '../core/types.ts';
import { buildManifest } from './build.ts';
import { formatPath } from './describe.ts';
import { checkFiles } from './files.ts';
import type { Finding } from './findings.ts';
import { interpolateEnv, type EnvSource } from './interpolate.ts';
import { checkReferences } from './references.ts';
import { validateShape } from './shape.ts';
import { parseManifestText, toProblems, type ManifestSource } from './source.ts';

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
    text = await readFile(absolute, 'utf8');
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
  const parsed = parseManifestText(text, options.file);
  if (!parsed.ok) throw new ManifestError(parsed.problems);
  return validate(parsed.value, options, parsed.source);
}

/**
 * Validates a manifest written as a JavaScript object, with the same rules as a file.
 * @throws ManifestError listing every problem.
 */
export async function manifestFromObject(obj: unknown, options: { file?: string; baseDir: string } & ManifestLoadOptions): Promise<Manifest> {
  return validate(obj, options);
}

async function validate(
  value: unknown,
  options: { file?: string; baseDir: string } & ManifestLoadOptions,
  source?: ManifestSource,
): Promise<Manifest> {
  const file = options.file ?? '(manifest object)';
  const baseDir = resolve(options.baseDir);
  if (value === null || value === undefined) {
    throw new ManifestError([{ file, path: '', message: 'the manifest is empty: expected version: 1, orchestrator and agents' }]);
  }
  const envFindings: Finding[] = [];
  const manifest = interpolateEnv(value, options.env ?? process.env, envFindings);
  const shape = validateShape(manifest);
  // A field left as ${VAR} would also fail its own check; the missing variable is the problem to report.
  const envPaths = new Set(envFindings.map((f) => formatPath(f.path)));
  const shapeFindings = shape.findings.filter((f) => !envPaths.has(formatPath(f.path)));
  const files = await checkFiles(manifest, baseDir);
  const findings = [...envFindings, ...shapeFindings, ...checkReferences(manifest), ...files.findings];

  if (findings.length > 0 || shape.manifest === undefined) {
    const problems = toProblems(findings, file, source);
    problems.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0));
    throw new ManifestError(problems);
  }
  return buildManifest(shape.manifest, files, { baseDir, ...(options.file === undefined ? {} : { file: options.file }) });
}
