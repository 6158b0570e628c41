/**
 * Load-time rules for how a run is steered (DESIGN section 9): the run parameters' schema compiles
 * and describes an object. Read leniently, like the other cross-field rules.
 */
import { errorMessage } from '../core/errors.ts';
import { compileSchemaWithDefaults } from '../validation/schema-compiler.ts';
import { describeValue } from './describe.ts';
import type { Finding } from './findings.ts';
import { asRecord, isRecord } from './lenient.ts';

/** Checks `orchestrator.params`: a JSON Schema of `type: object` that compiles. */
export function checkParamsSchema(manifest: unknown): Finding[] {
  const params = asRecord(asRecord(manifest)['orchestrator'])['params'];
  if (!isRecord(params)) return [];
  const findings: Finding[] = [];
  if (params['type'] !== 'object') {
    findings.push({
      path: ['orchestrator', 'params', 'type'],
      message: `expected type: object (the run parameters are a mapping of names to values, with properties: under it), got ${describeValue(params['type'])}`,
    });
  }
  try {
    compileSchemaWithDefaults(params);
  } catch (e) {
    findings.push({ path: ['orchestrator', 'params'], message: `not a valid JSON Schema: ${errorMessage(e)}` });
  }
  return findings;
}
