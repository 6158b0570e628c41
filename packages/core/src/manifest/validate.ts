/**
 * The checks of a manifest (DESIGN.md section 3), loaded by `load.ts` on the first manifest read:
 * text or object → environment placeholders → shape → references → files → `Manifest`. Every
 * check runs even when an earlier one failed, and all problems are thrown together as one
 * `ManifestError`.
 */
import { resolve } from 'node:path';
import { ManifestError } from '../core/errors.ts';
import type { Manifest } from '../core/types.ts';
import { buildManifest } from './build.ts';
import { formatPath } from './describe.ts';
import { checkFiles } from './files.ts';
import type { Finding } from './findings.ts';
import { interpolateEnv } from './interpolate.ts';
import type { ManifestLoadOptions } from './load.ts';
import { checkReferences } from './references.ts';
import { validateShape } from './shape.ts';
import { buildWorkflows, checkParamsSchema, checkWorkflowNames } from './steering-rules.ts';
import { parseManifestText, toProblems, type ManifestSource } from './source.ts';

/** Parses manifest text (YAML or JSON) and validates it (`parseManifest`). */
export async function validateManifestText(text: string, options: { file: string; baseDir: string } & ManifestLoadOptions): Promise<Manifest> {
  const parsed = parseManifestText(text, options.file);
  if (!parsed.ok) throw new ManifestError(parsed.problems);
  return validateManifest(parsed.value, options, parsed.source);
}

/** Validates a manifest's value, read from `source` when it comes from a file. */
export async function validateManifest(
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
  const findings = [...envFindings, ...shapeFindings, ...checkReferences(manifest), ...checkParamsSchema(manifest), ...checkWorkflowNames(manifest), ...files.findings];

  const fail = (found: Finding[]): never => {
    const problems = toProblems(found, file, source);
    problems.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0));
    throw new ManifestError(problems);
  };
  if (findings.length > 0 || shape.manifest === undefined) return fail(findings);
  const built = buildManifest(shape.manifest, files, { baseDir, ...(options.file === undefined ? {} : { file: options.file }) });
  // Workflows are plans: they are checked against the agents as built, like any planner's plan.
  const workflows = buildWorkflows(shape.manifest.workflows, built);
  if (workflows.findings.length > 0) return fail(workflows.findings);
  return workflows.workflows ? { ...built, workflows: workflows.workflows } : built;
}
