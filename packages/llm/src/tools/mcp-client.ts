/**
 * Tools from an MCP server (stdio or streamable HTTP) as AI SDK tools for an `llm` agent. A tool's
 * result reaches the model as quoted data: a server's text is never taken as instructions.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, McpError, PaginatedResultSchema, ToolSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { dynamicTool, jsonSchema } from 'ai';
import type { JSONSchema7, ToolSet } from 'ai';
import { z } from 'zod';
import { AGENT_TOKEN_VAR, killAgentProcesses, newAgentToken } from 'batonjs/internal';
import { BatonError, errorMessage, MAX_TIMER_MS } from 'batonjs/internal';
import type { ToolSpec } from 'batonjs/internal';
import { quoteData } from '../quote.ts';

export type McpToolSpec = Extract<ToolSpec, { kind: 'mcp' }>;

/** An open connection to one MCP server and the tools it lends. */
export interface McpConnection {
  /** The name the manifest gives the server. */
  name: string;
  tools: ToolSet;
  /**
   * False once the connection closed (the server exited, or was closed) or its transport gave up on
   * it (a message too long): its tools answer no more, and a call's error says why.
   */
  alive(): boolean;
  close(): Promise<void>;
}

/** Longest tool result passed back to the model, in characters. */
export const MAX_TOOL_RESULT_CHARS = 20_000;

const STDERR_KEEP = 4_000;
/** How long a stdio server gets to go when its connection is closed before it is killed. */
const CLOSE_GRACE_MS = 1_000;

/**
 * Starts (stdio) or reaches (HTTP) an MCP server and lists its tools, keeping those in `allow`.
 *
 * @param where names the manifest field, for messages (`agents.data.tools[0]`).
 * @param startupTimeoutMs bounds starting the server, `initialize` and listing its tools.
 * @throws BatonError `AGENT_FAILED` (not retryable) when the server cannot be started or reached,
 *   when `allow` names a tool the server does not offer, or when a tool the agent would be given
 *   has an invalid definition (one that `allow` leaves out is left out with a `BatonWarning`);
 *   `AGENT_TIMEOUT` (retryable) naming the server and the request it did not answer in time.
 */
export async function connectMcp(spec: McpToolSpec, options: { cwd?: string; where: string; signal?: AbortSignal; startupTimeoutMs?: number }): Promise<McpConnection> {
  let stderr = '';
  let transport: Transport;
  let started: StdioClientTransport | undefined;
  // A server started here carries a token, like a command agent: whatever it leaves, or a server
  // orphaned by a SIGKILLed Baton, is found and killed by it.
  const token = spec.command ? newAgentToken() : undefined;
  if (spec.command) {
    const [command, ...args] = spec.command;
    const stdio = new StdioClientTransport({
      command: command ?? '',
      args,
      // The SDK passes only a safe subset of the environment; NODE_OPTIONS (the user's Node flags) goes too.
      env: { ...getDefaultEnvironment(), ...inheritedNodeOptions(), ...spec.env, ...(token ? { [AGENT_TOKEN_VAR]: token } : {}) },
      stderr: 'pipe',
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
    stdio.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEEP);
    });
    transport = started = stdio;
  } else if (spec.url) {
    transport = new StreamableHTTPClientTransport(new URL(spec.url));
  } else {
    throw new BatonError('MANIFEST_INVALID', `${options.where}: an mcp tool needs command: [...] or url: ...`, { retryable: false });
  }
  const client = new Client({ name: 'baton', version: '0.1.0' });
  const target = spec.command ? `'${spec.command.join(' ')}'` : spec.url;
  const close = (): Promise<void> => closeMcp(client, token);
  // Without a signal the SDK waits 60 s for an answer to initialize; the attempt's signal ends the wait.
  const limit = options.startupTimeoutMs === undefined ? undefined : AbortSignal.timeout(Math.min(options.startupTimeoutMs, MAX_TIMER_MS));
  const signals = [options.signal, limit].filter((s) => s !== undefined);
  const request = signals.length > 0 ? { signal: AbortSignal.any(signals) } : undefined;
  const watch = watchConnection(client, spec.name, started);
  let step = 'initialize';
  try {
    await watch.untilLost(client.connect(transport, request));
    step = 'tools/list';
    const listed = await watch.untilLost(listAllTools(client, request));
    const tools = pickTools(spec, usableTools(spec, listed, options.where), options.where);
    const set = Object.create(null) as ToolSet;
    const named = new Map<string, string>();
    for (const t of tools) {
      const key = toolKey(t.name);
      const other = named.get(key);
      // Two names the model would know as one (a.b and a_b): one of them would be lost without a word.
      if (other !== undefined) throw new BatonError('MANIFEST_INVALID', `${options.where}: MCP server '${spec.name}' offers tools '${other}' and '${t.name}', which the model would know by one name '${key}'; use allow: [...] to keep one`, { retryable: false });
      named.set(key, t.name);
      set[key] = dynamicTool({
        description: t.description ?? `${t.name} (from MCP server ${spec.name})`,
        inputSchema: jsonSchema(t.inputSchema as JSONSchema7),
        execute: async (input, { abortSignal }) => {
          let result: Awaited<ReturnType<Client['callTool']>>;
          try {
            result = await watch.untilLost(client.callTool({ name: t.name, arguments: (input ?? {}) as Record<string, unknown> }, undefined, abortSignal ? { signal: abortSignal } : undefined));
          } catch (e) {
            if (abortSignal?.aborted) throw e;
            // The server's error text is its words, not Baton's: quoted as data, as an isError result is.
            return quoteData(`${spec.name}.${t.name}`, { error: errorMessage(watch.explain(e)) });
          }
          return quoteData(`${spec.name}.${t.name}`, toolResultValue(result));
        },
      });
    }
    return { name: spec.name, tools: set, alive: () => !watch.lost(), close };
  } catch (e) {
    // Read before closing, which ends the connection too.
    const why = errorMessage(watch.explain(e));
    const tail = stderr.trim() ? `; its stderr ends with: ${stderr.trim().split('\n').slice(-5).join(' | ')}` : '';
    const waitedMs = options.signal?.aborted ? undefined : limit?.aborted ? options.startupTimeoutMs : requestTimeoutOf(e);
    if (waitedMs !== undefined) {
      // Killed at once, not asked to go (it would not answer that either), and the rest of the
      // closing is not awaited: the caller bounded the wait to report in time.
      killNow(started);
      void close();
      throw new BatonError('AGENT_TIMEOUT', `${options.where}: MCP server '${spec.name}' did not answer ${step} within ${waitedMs} ms (${target})${tail}`, { cause: e });
    }
    await close();
    if (BatonError.isInstance(e)) throw e;
    throw new BatonError('AGENT_FAILED', `${options.where}: MCP server '${spec.name}' (${target}) could not be used: ${why}${tail}`, { retryable: false, cause: e });
  }
}

/** What is known of how a connection ended: the SDK tells its transport's errors only to `onerror`. */
interface ConnectionWatch {
  /** True once the connection closed, or its transport gave up on it. */
  lost(): boolean;
  /** `work`, or a rejection saying why as soon as the connection is lost. */
  untilLost<T>(work: Promise<T>): Promise<T>;
  /** `e`, or once the connection is lost, an error saying why it was (not just "Connection closed"). */
  explain(e: unknown): unknown;
}

function watchConnection(client: Client, serverName: string, stdio: StdioClientTransport | undefined): ConnectionWatch {
  let lastError: Error | undefined;
  let ended: Error | undefined;
  let reject: (e: Error) => void = () => undefined;
  const whenLost = new Promise<never>((_, r) => (reject = r));
  whenLost.catch(() => undefined);
  const lose = (fatal: Error | undefined): void => {
    if (ended) return;
    ended = connectionLostError(serverName, fatal, lastError);
    reject(ended);
  };
  const onerror = client.onerror;
  client.onerror = (error) => {
    lastError = error;
    // After an error it cannot go on from (a message over its size limit), the stdio transport
    // drops its process and closes; its requests would fail only once the server has exited,
    // seconds later for a server that does not stop when its input ends.
    if (stdio) queueMicrotask(() => stdio.pid === null && lose(error));
    onerror?.(error);
  };
  const onclose = client.onclose;
  client.onclose = () => {
    lose(undefined);
    onclose?.();
  };
  return {
    lost: () => ended !== undefined,
    untilLost: (work) => Promise.race([work, whenLost]),
    // Not by the error's code: a server's own error may have the SDK's code for a closed connection.
    explain: (e) => ended ?? e,
  };
}

function connectionLostError(serverName: string, fatal: Error | undefined, lastError: Error | undefined): Error {
  if (fatal) return new Error(`the connection to MCP server '${serverName}' was closed: ${transportErrorText(fatal)}`);
  return new Error(`the connection to MCP server '${serverName}' closed${lastError ? ` (the last error on it: ${transportErrorText(lastError)})` : ''}`);
}

function transportErrorText(e: Error): string {
  const tooLong = /^ReadBuffer exceeded maximum size of (\d+) bytes/.exec(e.message);
  return tooLong ? `a message from the server was longer than the ${tooLong[1]} bytes a stdio MCP client reads in one (${e.message}); ask for less` : errorMessage(e);
}

function killNow(stdio: StdioClientTransport | undefined): void {
  try {
    if (stdio?.pid) process.kill(stdio.pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}

/** How long the SDK waited when `e` is its own request timeout (60 s by default). */
function requestTimeoutOf(e: unknown): number | undefined {
  if (!(e instanceof McpError) || e.code !== (ErrorCode.RequestTimeout as number)) return undefined;
  const waited = (e.data as { timeout?: unknown } | undefined)?.timeout;
  return typeof waited === 'number' ? waited : undefined;
}

/** Tools a server listed: those whose definition the SDK accepts, and the others, each with its problem. */
interface ListedTools {
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
 * Closes a connection. The SDK asks a stdio server to go (end of input, SIGTERM, SIGKILL, two
 * seconds apart); a server that ignores that is killed after {@link CLOSE_GRACE_MS}, and so is
 * anything it started.
 */
async function closeMcp(client: Client, token: string | undefined): Promise<void> {
  const timer = token ? setTimeout(() => void killAgentProcesses([token]), CLOSE_GRACE_MS) : undefined;
  await client.close().catch(() => undefined);
  clearTimeout(timer);
  if (token) await killAgentProcesses([token]);
}

/**
 * Lists every page of a server's tools. Not with the SDK's `listTools`: its check of the whole
 * list refuses it for one bad tool, with a dump of the problems that names the tool's index only.
 */
async function listAllTools(client: Client, request: { signal: AbortSignal } | undefined): Promise<ListedTools> {
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
  rememberTools(client, listed.valid);
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
 * Keeps what the SDK's own `listTools` keeps of the tools: with it, `callTool` checks a result
 * against the tool's output schema, and refuses a tool that needs the SDK's task API.
 */
function rememberTools(client: Client, tools: Tool[]): void {
  (client as unknown as { cacheToolMetadata?(tools: Tool[]): void }).cacheToolMetadata?.(tools);
}

/**
 * The tools whose definition is valid. A tool with an invalid one that the agent would be given
 * (there is no `allow`, or it names the tool) refuses the server; one that `allow` leaves out is
 * only warned of.
 */
function usableTools(spec: McpToolSpec, listed: ListedTools, where: string): Tool[] {
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

function pickTools(spec: McpToolSpec, listed: Tool[], where: string): Tool[] {
  if (!spec.allow) return listed;
  const offered = new Set(listed.map((t) => t.name));
  const unknown = spec.allow.filter((name) => !offered.has(name));
  if (unknown.length > 0) {
    throw new BatonError(
      'AGENT_FAILED',
      `${where}.allow names ${unknown.map((n) => `'${n}'`).join(', ')}, which MCP server '${spec.name}' does not offer (it offers: ${[...offered].join(', ') || 'nothing'})`,
      { retryable: false },
    );
  }
  return listed.filter((t) => spec.allow!.includes(t.name));
}

/** Names a model may call: letters, digits, `_` and `-` (what every provider accepts). */
export function toolKey(name: string): string {
  return name.replace(/[^\w-]/g, '_').slice(0, 64);
}

/**
 * An MCP tool result as one plain value: its structured content, else its text. One too long is
 * the start of that value's text (the JSON of structured content), saying how much was cut.
 */
function toolResultValue(result: Awaited<ReturnType<Client['callTool']>>): unknown {
  const r = result as { content?: { type: string; text?: string }[]; structuredContent?: unknown; isError?: boolean };
  const text = (r.content ?? []).map((c) => (c.type === 'text' ? (c.text ?? '') : `[${c.type} content]`)).join('\n');
  let value: unknown = r.structuredContent ?? parseJsonText(text);
  const full = typeof value === 'string' ? value : JSON.stringify(value);
  if (full.length > MAX_TOOL_RESULT_CHARS) {
    value = `${full.slice(0, MAX_TOOL_RESULT_CHARS)}… [truncated: ${full.length - MAX_TOOL_RESULT_CHARS} of ${full.length} characters cut; ask for less]`;
  }
  return r.isError ? { error: value } : value;
}

function parseJsonText(text: string): unknown {
  const t = text.trim();
  if (!t.startsWith('{') && !t.startsWith('[')) return text;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return text;
  }
}

function inheritedNodeOptions(): Record<string, string> {
  const options = process.env['NODE_OPTIONS'];
  return options ? { NODE_OPTIONS: options } : {};
}
