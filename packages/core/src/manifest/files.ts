/**
 * The parts of a manifest that name files: agent modules and the integrator must exist, artifact
 * schemas are loaded (JSON or YAML) and compiled, so a broken schema fails at load time.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { errorMessage } from '../core/errors.ts';
import { hasDuplicateKey } from '../core/json-duplicate-key.ts';
import { readTextFile } from '../core/read-text.ts';
import type { JsonSchema } from '../core/types.ts';
import type { FieldPath } from './describe.ts';
import type { Finding } from './findings.ts';
import { compileSchema as compileJsonSchema } from '../validation/schema-compiler.ts';
import { asRecord, isRecord } from './lenient.ts';

/** A compiled-once artifact schema with the path it was read from (none when inline). */
export interface LoadedSchema {
  schema: JsonSchema;
  schemaPath?: string;
}

export interface FileCheck {
  findings: Finding[];
  /** agent name → artifact type → its schema. */
  schemas: Map<string, Map<string, LoadedSchema>>;
  /** The schemas of agents' examples, by {@link exampleSchemaKey}. */
  exampleSchemas: Map<string, LoadedSchema>;
}

/** Where an example's schema for one artifact is kept in {@link FileCheck.exampleSchemas}. */
export function exampleSchemaKey(agent: string, example: number, artifact: string): string {
  return JSON.stringify([agent, example, artifact]);
}

/** Checks every file a manifest names, relative to `baseDir`. Reads the manifest leniently. */
export async function checkFiles(manifest: unknown, baseDir: string): Promise<FileCheck> {
  const findings: Finding[] = [];
  const schemas = new Map<string, Map<string, LoadedSchema>>();
  const exampleSchemas = new Map<string, LoadedSchema>();
  const schemaFiles = new Map<string, Promise<SchemaFile>>();
  const work: Promise<void>[] = [];
  const loadSchema = (schema: unknown, path: FieldPath, keep: (loaded: LoadedSchema) => void): void => {
    if (typeof schema === 'string' && schema !== '') {
      const file = resolve(baseDir, schema);
      if (!schemaFiles.has(file)) schemaFiles.set(file, readSchemaFile(file, schema));
      work.push(
        (schemaFiles.get(file) as Promise<SchemaFile>).then((result) => {
          if ('problem' in result) findings.push({ path, message: result.problem });
          else keep({ schema: result.schema, schemaPath: file });
        }),
      );
    } else if (isRecord(schema)) {
      const problem = compileProblem(schema, 'the inline schema');
      if (problem === undefined) keep({ schema });
      else findings.push({ path, message: problem });
    }
  };

  const integrator = asRecord(asRecord(manifest)['orchestrator'])['integrator'];
  if (typeof integrator === 'string' && integrator !== '') {
    work.push(checkModuleFile(integrator, baseDir, ['orchestrator', 'integrator'], 'integrator', findings));
  }
  for (const [name, raw] of Object.entries(asRecord(asRecord(manifest)['agents']))) {
    const agent = asRecord(raw);
    if (agent['kind'] === 'module' && typeof agent['module'] === 'string' && agent['module'] !== '') {
      work.push(checkModuleFile(agent['module'], baseDir, ['agents', name, 'module'], 'agent module', findings));
    }
    for (const [artifact, spec] of Object.entries(asRecord(agent['output']))) {
      loadSchema(asRecord(spec)['schema'], ['agents', name, 'output', artifact, 'schema'], (loaded) => {
        const byArtifact = schemas.get(name) ?? new Map<string, LoadedSchema>();
        schemas.set(name, byArtifact.set(artifact, loaded));
      });
    }
    const examples = Array.isArray(agent['examples']) ? (agent['examples'] as unknown[]) : [];
    examples.forEach((example, index) => {
      for (const [artifact, schema] of Object.entries(asRecord(asRecord(example)['schema']))) {
        const path = ['agents', name, 'examples', index, 'schema', artifact];
        loadSchema(schema, path, (loaded) => exampleSchemas.set(exampleSchemaKey(name, index, artifact), loaded));
      }
    });
  }
  await Promise.all(work);
  return { findings, schemas, exampleSchemas };
}

async function checkModuleFile(written: string, baseDir: string, path: FieldPath, what: string, findings: Finding[]): Promise<void> {
  const file = resolve(baseDir, written);
  const found = await stat(file).catch(() => undefined);
  if (found?.isFile() !== true) {
    const where = isAbsolute(written) ? file : `${file} (${written} resolved against ${baseDir})`;
    findings.push({ path, message: `${what} file not found: ${where}` });
  }
}

type SchemaFile = { schema: JsonSchema } | { problem: string };

async function readSchemaFile(file: string, written: string): Promise<SchemaFile> {
  let text: string;
  try {
    text = await readTextFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return { problem: `schema file ${written} (${file}) cannot be read: ${errorMessage(e)}` };
    return { problem: `schema file not found: ${file} (${written} resolved against the manifest's folder)` };
  }
  let schema: unknown;
  try {
    // JSON first: JSON.parse reads a schema file ~20x faster than the YAML parser, which serves
    // .yaml and .yml files and reports where a file that is neither went wrong.
    schema = parseJsonOrYaml(text);
  } catch (e) {
    const firstLine = (errorMessage(e).split('\n')[0] ?? '').replace(/:$/, '');
    return { problem: `schema file ${written} cannot be parsed: ${firstLine}` };
  }
  if (!isRecord(schema)) return { problem: `schema file ${written} must hold a JSON Schema object` };
  const problem = compileProblem(schema, `schema file ${written}`);
  return problem === undefined ? { schema } : { problem };
}

function parseJsonOrYaml(text: string): unknown {
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch {
    return parseYaml(text, { prettyErrors: true });
  }
  // JSON.parse keeps the last of two equal keys; the YAML parser refuses them, saying where.
  return hasDuplicateKey(text) ? parseYaml(text, { prettyErrors: true }) : json;
}

function compileProblem(schema: JsonSchema, what: string): string | undefined {
  try {
    compileJsonSchema(schema);
    return undefined;
  } catch (e) {
    return `${what} is not a valid JSON Schema: ${errorMessage(e)}`;
  }
}
