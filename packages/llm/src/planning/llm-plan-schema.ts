/**
 * The structured output asked of an LLM planner, and its conversion into a Baton `Plan`. Shape
 * problems are worded like `validatePlan`'s, so both can be sent back to the model together.
 */
import { z } from 'zod';
import type { JsonSchema, Plan, PlanTask } from 'batonjs/internal';
import type { PlanProblem } from 'batonjs/internal';

const names = (what: string) => z.array(z.string()).describe(what);

export const llmTaskSchema = z.object({
  id: z.string().describe('Unique task id: lower-case letters, digits and "-", e.g. "t1-extract-sales-dataset".'),
  title: z.string().describe('A short human title.'),
  instructions: z.string().describe('What the agent must do for this task, for this goal.'),
  agent: z.string().describe('The name of the sub-agent from the catalogue that does the task.'),
  dependsOn: names('Ids of tasks that must finish first (those producing what this task consumes).'),
  consumes: names("Artifact types this task reads; each must be among the agent's consumes."),
  produces: names("Artifact types this task makes; non-empty, each among the agent's produces."),
  reason: z.string().optional().describe('Why the plan needs this task.'),
});

export const llmPlanSchema = z.object({
  tasks: z.array(llmTaskSchema).describe('The tasks, in a sensible order (empty when the goal is refused).'),
  requested: names('The artifact types the goal asks for (the final outputs).'),
  excluded: names('Artifact types the goal rules out ("no X", "without X", "only Y" rules out the rest); never in requested.').optional(),
  refused: z.string().optional().describe('Only when the goal asks for nothing the sub-agents make: one sentence saying why. Leave tasks empty.'),
  notes: names('Short notes for the user about choices made (may be empty).').optional(),
});

export type LlmPlanReply = z.infer<typeof llmPlanSchema>;

/** The reply's JSON Schema, sent to the model as the response format. */
export const LLM_PLAN_JSON_SCHEMA: JsonSchema = z.toJSONSchema(llmPlanSchema, { target: 'draft-7' }) as JsonSchema;

/** Reads a reply into a Plan, a refusal (the model's reason), or lists what is wrong with its shape. */
export function readPlanReply(value: unknown): { plan: Plan } | { refused: string } | { problems: PlanProblem[] } {
  const parsed = llmPlanSchema.safeParse(value);
  if (!parsed.success) {
    return {
      problems: parsed.error.issues.map((issue) => ({
        message: `${issue.path.length ? issue.path.join('.') : '(the reply)'}: ${issue.message}`,
      })),
    };
  }
  const reply = parsed.data;
  if (reply.refused !== undefined && reply.refused.trim() !== '' && reply.tasks.length === 0) return { refused: reply.refused.trim() };
  const tasks: PlanTask[] = reply.tasks.map((t) => ({
    id: t.id,
    title: t.title,
    instructions: t.instructions,
    agent: t.agent,
    dependsOn: t.dependsOn,
    consumes: t.consumes,
    produces: t.produces,
    ...(t.reason ? { reason: t.reason } : {}),
  }));
  const plan: Plan = { tasks, requested: reply.requested };
  if (reply.notes && reply.notes.length > 0) plan.notes = reply.notes;
  if (reply.excluded && reply.excluded.length > 0) plan.excluded = [...new Set(reply.excluded)];
  return { plan };
}
