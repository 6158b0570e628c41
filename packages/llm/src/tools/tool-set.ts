/** The tools of one `llm` agent, opened together and closed together. */
import type { ToolSet } from 'ai';
import { BatonError } from 'batonjs/internal';
import type { AgentSpec } from 'batonjs/internal';
import { builtinTool } from './builtin-tools.ts';
import type { McpConnection } from './mcp-client.ts';
import { callableNames, cleanedToolName } from './tool-names.ts';

/** Open tools; `close` stops MCP servers started for them. */
export interface OpenTools {
  /** The tools by the names the model is given (see {@link callableNames}). */
  tools: ToolSet;
  /** Which server (or `builtin`) each tool comes from, by the name the model is given. */
  origin: Record<string, string>;
  /** False once an MCP server's connection closed (it exited mid-call, say): the tools must be opened again. */
  alive(): boolean;
  close(): Promise<void>;
}

/**
 * Connects an agent's MCP servers (in parallel) and builds its built-in tools. Aborting `signal`
 * gives up the connections under way (their servers are closed); a server not ready within
 * `startupTimeoutMs` is given up on too, and the error names it. A tool whose name a model would
 * refuse (`fs/read`) is given to the model by another ({@link callableNames}).
 *
 * @throws BatonError when a server cannot be used, or when two servers offer tools of the same name
 *   (the message says which `allow` lists to narrow).
 */
export async function openTools(spec: AgentSpec, file?: string, signal?: AbortSignal, startupTimeoutMs?: number): Promise<OpenTools> {
  const base = `agents.${spec.name}.tools`;
  const where = (i: number): string => `${base}[${i}]${file ? ` in ${file}` : ''}`;
  const specs = spec.tools ?? [];
  // The MCP SDK is loaded by the first agent that has a server (~50 ms and ~10 MB on Node 20), not by every user of batonjs-llm.
  const mcp = specs.some((t) => t.kind === 'mcp') ? await import('./mcp-client.ts') : undefined;
  const settled = await Promise.allSettled(
    specs.map((t, i) =>
      t.kind === 'mcp' && mcp
        ? mcp.connectMcp(t, { where: where(i), ...(spec.baseDir ? { cwd: spec.baseDir } : {}), ...(signal ? { signal } : {}), ...(startupTimeoutMs === undefined ? {} : { startupTimeoutMs }) })
        : Promise.resolve(undefined),
    ),
  );
  const connections = settled.flatMap((s) => (s.status === 'fulfilled' && s.value ? [s.value] : []));
  const closeAll = async (): Promise<void> => {
    await Promise.allSettled(connections.map((c) => c.close()));
  };
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) {
    await closeAll();
    throw failure.reason;
  }
  // By the tools' own names, without a prototype: a tool named constructor or __proto__ is a tool like any other.
  const offered = new Map<string, { from: string; tool: ToolSet[string] }>();
  // Tools of two sources whose names differ only by characters a model cannot be given
  // (`fs/read` beside `fs_read`): one would take the plain name, so a server could stand in for
  // another's tool by naming its own so. Within one source, renaming is safe.
  const cleanedFrom = new Map<string, { name: string; from: string }>();
  const add = (name: string, from: string, tool: ToolSet[string], i: number): void => {
    const previous = offered.get(name);
    if (previous !== undefined) {
      throw new BatonError('MANIFEST_INVALID', `${where(i)}: tool '${name}' is offered by both ${previous.from} and ${from}; use allow: [...] on an mcp server to keep one`, { retryable: false });
    }
    const cleaned = cleanedToolName(name);
    const alike = cleanedFrom.get(cleaned);
    if (alike !== undefined && alike.from !== from) {
      throw new BatonError(
        'MANIFEST_INVALID',
        `${where(i)}: tool '${alike.name}' of ${alike.from} and tool '${name}' of ${from} would reach the model under one name ('${cleaned}'); use allow: [...] on an mcp server to keep one`,
        { retryable: false },
      );
    }
    cleanedFrom.set(cleaned, { name, from });
    offered.set(name, { from, tool });
  };
  try {
    let mcp = 0;
    specs.forEach((t, i) => {
      if (t.kind === 'builtin') return add(t.name, 'builtin', builtinTool(t.name, t.options, where(i)), i);
      const conn = connections[mcp++] as McpConnection;
      for (const [name, tool] of Object.entries(conn.tools)) add(name, `MCP server '${conn.name}'`, tool, i);
    });
  } catch (e) {
    await closeAll();
    throw e;
  }
  const tools = Object.create(null) as ToolSet;
  const origin = Object.create(null) as Record<string, string>;
  const names = callableNames([...offered.keys()]);
  // Each tool's execute calls its server by the tool's own name: only the name the model knows changes.
  for (const [original, { from, tool }] of offered) {
    const name = names.get(original)!;
    tools[name] = tool;
    origin[name] = from;
  }
  return { tools, origin, alive: () => connections.every((c) => c.alive()), close: closeAll };
}
