/**
 * The shape of a plan as a person writes it (a `--plan` file, `{plan}` over HTTP, a manifest's
 * `workflows:`), as zod schemas built on first use. Running a plan given in code needs them only
 * when one is checked, so importing Baton does not load zod (~7 MB, ~60 ms) for them.
 */
import { createRequire } from 'node:module';
import type { z as Zod } from 'zod';

/** Builds the schemas with the zod given (see {@link planInputSchemas}). */
export function definePlanInputSchemas(z: typeof Zod) {
  const names = () => z.array(z.string().min(1));

  /** One task as a person writes it: `{ id: f, agent: flights }`, the rest optional. */
  const taskInputSchema = z.strictObject({
    id: z.string().min(1).describe('The task id: lower-case letters, digits and -.'),
    agent: z.string().min(1).describe('The agent that does the task.'),
    title: z.string().optional(),
    instructions: z.string().optional().describe('What the agent is asked (default: none; the agent gets the goal and its inputs).'),
    dependsOn: names().optional().describe('Tasks that must end first (default: those producing what it consumes).'),
    consumes: names().optional().describe("Artifacts it takes as input (default: its agent's consumes)."),
    produces: names().optional().describe("Artifacts it makes (default: its agent's produces)."),
    reason: z.string().optional(),
  });

  /** A plan as a person writes it (the shape of `plan` in `baton plan --json`, tasks completed as above). */
  const planInputSchema = z.strictObject({
    tasks: z.array(taskInputSchema).min(1, { error: 'expected at least one task' }),
    requested: names().optional(),
    notes: z.array(z.string()).optional(),
    excluded: names().optional().describe('Artifacts the goal ruled out: none of them may be delivered.'),
  });

  return { taskInputSchema, planInputSchema };
}

export type PlanInputSchemas = ReturnType<typeof definePlanInputSchemas>;

const requireCjs = createRequire(import.meta.url);
let built: PlanInputSchemas | undefined;

/**
 * The plan input schemas, built once. The manifest schema (which embeds the task schema) builds
 * them with the zod it imports; a plan checked before any manifest was loaded builds them with
 * zod's CommonJS build, which `require` loads synchronously (plans are checked synchronously).
 */
export function planInputSchemas(z?: typeof Zod): PlanInputSchemas {
  built ??= definePlanInputSchemas(z ?? (requireCjs('zod') as { z: typeof Zod }).z);
  return built;
}
