/**
 * What an `llm` agent sends its model. The manifest's instructions, the goal and the task are the
 * instructions; the inputs (other agents' artifacts) and the validator's feedback are quoted data.
 */
import type { AgentInput, AgentSpec, JsonSchema } from 'batonjs/internal';
import { DATA_RULE, quoteData } from './quote.ts';

/** The system prompt of an `llm` agent. */
export function agentSystem(spec: AgentSpec, toolNames: readonly string[]): string {
  return [
    spec.instructions?.trim() ?? '',
    `You are the sub-agent "${spec.name}" (${spec.description}). You do one task of a larger plan made by an orchestrator.`,
    toolNames.length > 0 ? `You may call these tools: ${toolNames.join(', ')}. Call them only when the task needs them.` : 'You have no tools.',
    'When you are done, reply with one JSON object following the reply schema, and nothing else (no prose, no code fences).',
    DATA_RULE,
  ]
    .filter(Boolean)
    .join('\n\n');
}

/** The user message of one attempt. */
export function agentPrompt(input: AgentInput, produces: readonly string[], replySchema: JsonSchema): string {
  const inputs = Object.entries(input.inputs);
  const params = input.params ?? {};
  return [
    `Goal of the whole run: ${input.goal}`,
    Object.keys(params).length > 0 ? `The run's parameters (set by the user who started it):\n${quoteData('params', params)}` : '',
    `Your task (${input.task.id}): ${input.task.title}\n${input.task.instructions}`,
    inputs.length > 0 ? `Your inputs, one data block per artifact type:\n${inputs.map(([name, value]) => quoteData(name, value)).join('\n')}` : 'You have no inputs.',
    input.feedback
      ? `This is attempt ${input.attempt}. Your previous reply was rejected by the output checks, for this reason (quoted):\n${quoteData('feedback', input.feedback)}\nFix exactly that.`
      : '',
    `Reply with one JSON object with the key${produces.length === 1 ? '' : 's'} ${produces.map((p) => `"${p}"`).join(', ')}. Reply schema (JSON Schema):\n${JSON.stringify(replySchema)}`,
  ]
    .filter(Boolean)
    .join('\n\n');
}
