/**
 * Tools that ship with Baton, for `llm` agents: `tools: [{ builtin: calculator }]`.
 * - `calculator`: evaluates an arithmetic expression exactly as written (models are poor at sums);
 * - `clock`: the current date and time (options: `{ timeZone: "Europe/Paris" }`).
 */
import { tool } from 'ai';
import type { Tool } from 'ai';
import { z } from 'zod';
import { BatonError } from 'batonjs/internal';
import { evaluateArithmetic } from './arithmetic.ts';

type BuiltinFactory = (options: Record<string, unknown>) => Tool;

const BUILTINS: Record<string, BuiltinFactory> = {
  calculator: () =>
    tool({
      description: 'Evaluates an arithmetic expression with + - * / % ^ and parentheses, e.g. "(1520.5 - 1200) / 1200 * 100". Returns the number.',
      inputSchema: z.object({ expression: z.string().describe('The expression to evaluate.') }),
      execute: ({ expression }): Promise<{ result?: number; error?: string }> => {
        try {
          return Promise.resolve({ result: evaluateArithmetic(expression) });
        } catch (e) {
          return Promise.resolve({ error: (e as Error).message });
        }
      },
    }),
  clock: (options) => {
    const timeZone = typeof options.timeZone === 'string' ? options.timeZone : 'UTC';
    return tool({
      description: `Returns the current date and time (time zone ${timeZone}).`,
      inputSchema: z.object({}),
      execute: () => Promise.resolve({ now: new Date().toISOString(), local: new Date().toLocaleString('en-CA', { timeZone, hour12: false }), timeZone }),
    });
  },
};

/** Names of the built-in tools. */
export const BUILTIN_TOOL_NAMES = Object.keys(BUILTINS);

/**
 * Builds one built-in tool.
 *
 * @throws BatonError `MANIFEST_INVALID` naming the known tools when `name` is not one.
 */
export function builtinTool(name: string, options: Record<string, unknown> = {}, where = 'tools'): Tool {
  const make = Object.hasOwn(BUILTINS, name) ? BUILTINS[name] : undefined;
  if (!make) {
    throw new BatonError('MANIFEST_INVALID', `${where}: there is no builtin tool '${name}' (builtin tools: ${BUILTIN_TOOL_NAMES.join(', ')})`, { retryable: false });
  }
  return make(options);
}
