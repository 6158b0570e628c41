export { BuiltinPlanner, planGoal } from './builtin-planner.ts';
export { explainPlan } from './explain-plan.ts';
export { topologicalOrder, findCycles } from './plan-graph.ts';
export { validatePlan, assertValidPlan, formatPlanProblems, TASK_ID_PATTERN, type PlanProblem } from './validate-plan.ts';
export { tokenize, stemsOf, type Token } from './text-match.ts';
export { verbOf, taskId } from './task-ids.ts';
export { StaticPlanner } from './static-planner.ts';
export { FixedPlanner } from './fixed-planner.ts';
import { z } from 'zod';
import { planInputSchemas } from './plan-input-schema.ts';

export { completePlan, checkPlanInput, fixedPlanOf, type PlanInput, type TaskInput, type FixedPlanProblem } from './fixed-plan.ts';
export const { planInputSchema, taskInputSchema } = planInputSchemas(z);
