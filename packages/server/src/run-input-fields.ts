import { z } from 'zod';
import { BatonError, WORKFLOW_NOT_A_NAME } from 'batonjs/internal';

/** `plan` of a run's start (`POST /v1/runs`, an A2A DataPart): a plan object, checked further by the orchestrator. */
export const planField = z.record(z.string(), z.unknown(), { error: 'plan must be an object: the output of baton plan --json, or its plan member { "tasks": [...] }' });

/** `workflow` of a run's start: the name of one of the manifest's workflows. */
export const workflowField = z.string({ error: (issue) => (issue.code === 'invalid_type' ? WORKFLOW_NOT_A_NAME : undefined) }).min(1).max(200);

/**
 * `value` as the field `name` of a run's start, or a `BAD_REQUEST` worded as `POST /v1/runs`
 * words it (`plan: plan must be an object: ...`), after `what` ("invalid data part").
 */
export function runInputField<T>(what: string, name: string, field: z.ZodType<T>, value: unknown): T {
  const parsed = field.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => ({ path: [name, ...i.path].join('.'), message: i.message }));
  throw new BatonError('BAD_REQUEST', `${what}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, { retryable: false, details: problems });
}
