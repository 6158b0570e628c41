/** Test doubles for LLM mode: `import { ScriptedModel } from 'batonjs-llm/testing'`. */
export { ScriptedModel } from './scripted-model.ts';
export type { ModelReply, ScriptedCall, ScriptedUsage } from './scripted-model.ts';
