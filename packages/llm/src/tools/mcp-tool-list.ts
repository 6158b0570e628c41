/** A server's tools/list, every page, each tool checked alone so that a bad one is named. */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { PaginatedResultSchema, ToolSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { errorMessage } from 'batonjs/internal';
import type { McpToolSpec } from './mcp-client.ts';

/** Tools a server listed: those whose definition the SDK accepts, and the others, each with its problem. */
export interface ListedTools {
  valid: Tool[];
  invalid: InvalidTool[];
}

interface InvalidTool {
  /** Its name, when it has one. */
  name: string | undefined;
  /** How a message names it: by name, or by its place in the list. */
  label: string;
  problem: string;
}

/** A page of tools/list with its tools left unchecked: each is checked alone, so a bad one is named. */
const ToolsPageSchema = PaginatedResultSchema.extend({ tools: z.array(z.unknown()) });

/** Longest part of a server's text (a tool's name, a problem) in a message. */
const MAX_QUOTED_CHARS = 80;

/**
 * Lists every page of a server's tools. Not with the SDK's `listTools`: its check of the whole
 * list refuses it for one bad tool, with a dump of the problems that names the tool's index only.
 */
export async function listAllTools(client: Client, request: { signal: AbortSignal } | undefined): Promise<ListedTools> {
  const listed: ListedTools = { valid: [], invalid: [] };
  const seen = new Set<string>();
  let cursor: string | undefined;
  let index = 0;
  do {
    const page = await listToolsPage(client, cursor, request);
    for (const entry of page.tools) checkTool(entry, index++, listed);
    cursor = page.nextCursor;
    // A server that hands back a cursor it gave before would be listed without end.
    if (cursor !== undefined) {
      if (seen.has(cursor)) throw new Error(`tools/list gave the cursor ${JSON.stringify(cursor.slice(0, 80))} twice (after ${index} tools): its list never ends`);
      seen.add(cursor);
    }
  } while (cursor);
  return listed;
}

async function listToolsPage(client: Client, cursor: string | undefined, request: { signal: AbortSignal } | undefined): Promise<z.infer<typeof ToolsPageSchema>> {
  const result = await client.request(cursor ? { method: 'tools/list', params: { cursor } } : { method: 'tools/list' }, z.unknown(), request);
  const page = ToolsPageSchema.safeParse(result);
  if (!page.success) throw new Error(`tools/list answered with an invalid result: ${issuesText(page.error)}`);
  return page.data;
}

function checkTool(entry: unknown, index: number, listed: ListedTools): void {
  const tool = ToolSchema.safeParse(entry);
  if (tool.success) {
    listed.valid.push(tool.data);
    return;
  }
  const name = (entry as { name?: unknown } | null)?.name;
  const named = typeof name === 'string' ? name : undefined;
  const label = named === undefined ? `the nameless tool at index ${index} of its tools/list` : `tool '${clip(named)}'`;
  listed.invalid.push({ name: named, label, problem: issuesText(tool.error) });
}

/** The first problem zod found, as `field: what was expected`, and how many more there are. */
function issuesText(error: z.ZodError): string {
  const [first, ...rest] = error.issues;
  if (!first) return 'invalid';
  const field = first.path.map(String).join('.') || 'the whole';
  const more = rest.length > 0 ? `; and ${rest.length} more problem${rest.length === 1 ? '' : 's'}` : '';
  return `${field}: ${clip(first.message.replace(/^Invalid input: /, ''))}${more}`;
}

function clip(text: string): string {
  return text.length > MAX_QUOTED_CHARS ? `${text.slice(0, MAX_QUOTED_CHARS)}…` : text;
}

/**
 * Keeps what the SDK's own `listTools` keeps of the tools the agent is given: with it, `callTool`
 * checks a result against the tool's output schema, and refuses a tool that needs the SDK's task
 * API. An output schema the SDK cannot compile is named with its tool.
 */
export function rememberTools(client: Client, tools: Tool[]): void {
  const cache = (client as unknown as { cacheToolMetadata(tools: Tool[]): void }).cacheToolMetadata.bind(client);
  try {
    cache(tools);
  } catch (e) {
    // Which one: the SDK's message names none.
    for (const tool of tools) {
      try {
        cache([tool]);
      } catch (one) {
        throw new Error(`tool '${clip(tool.name)}' has an output schema that cannot be used (${clip(errorMessage(one))}); fix the server, or leave that tool out with allow: [...]`);
      }
    }
    throw e;
  }
}

/**
 * The tools whose definition is valid. A tool with an invalid one that the agent would be given
 * (there is no `allow`, or it names the tool) refuses the server; one that `allow` leaves out is
 * only warned of.
 */
export function usableTools(spec: McpToolSpec, listed: ListedTools, where: string): Tool[] {
  const given = (t: InvalidTool): boolean => !spec.allow || (t.name !== undefined && spec.allow.includes(t.name));
  const refused = listed.invalid.filter(given);
  if (refused.length > 0) throw new Error(`${invalidToolsText(refused)}; fix the server, or leave ${refused.length === 1 ? 'that tool' : 'those tools'} out with allow: [...]`);
  const ignored = listed.invalid.filter((t) => !given(t));
  if (ignored.length > 0) process.emitWarning(`${where}: MCP server '${spec.name}': ${invalidToolsText(ignored)}; left out, as allow does not name ${ignored.length === 1 ? 'it' : 'them'}`, 'BatonWarning');
  return listed.valid;
}

/** Invalid tools for a message: the first three, each with its problem, and how many more. */
function invalidToolsText(tools: InvalidTool[]): string {
  const shown = tools.slice(0, 3).map((t) => `${t.label} (${t.problem})`);
  const more = tools.length > shown.length ? `, and ${tools.length - shown.length} more` : '';
  return `${tools.length === 1 ? 'the definition of' : 'the definitions of'} ${shown.join(', ')}${more} ${tools.length === 1 ? 'is' : 'are'} invalid`;
}
