/**
 * Tools from an MCP server (stdio or streamable HTTP) as AI SDK tools for an `llm` agent. A tool's
 * result reaches the model as quoted data: a server's text is never taken as instructions.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { dynamicTool, jsonSchema } from 'ai';
import type { JSONSchema7, ToolSet } from 'ai';
import { AGENT_TOKEN_VAR, killAgentProcesses, newAgentToken } from 'batonjs/internal';
import { BatonError, errorMessage, MAX_TIMER_MS } from 'batonjs/internal';
import type { ToolSpec } from 'batonjs/internal';
import { quoteData } from '../quote.ts';
import { watchConnection } from './mcp-connection-watch.ts';
import { useLinearReadBuffer } from './mcp-read-buffer.ts';
import { listAllTools, rememberTools, usableTools } from './mcp-tool-list.ts';

export type McpToolSpec = Extract<ToolSpec, { kind: 'mcp' }>;

/** An open connection to one MCP server and the tools it lends. */
export interface McpConnection {
  /** The name the manifest gives the server. */
  name: string;
  /** Its tools by their names on the server, which a model may not accept (see `callableNames`). */
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
    useLinearReadBuffer(stdio);
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
    // Not raced with the watch: a refused initialize closes the connection before connect rejects with the server's error.
    await client.connect(transport, request);
    step = 'tools/list';
    const listed = await watch.untilLost(listAllTools(client, request));
    const tools = pickTools(spec, usableTools(spec, listed, options.where), options.where);
    rememberTools(client, tools);
    const set = Object.create(null) as ToolSet;
    for (const t of tools) {
      set[t.name] = dynamicTool({
        description: t.description ?? `${t.name} (from MCP server ${spec.name})`,
        inputSchema: jsonSchema(t.inputSchema as JSONSchema7),
        execute: async (input, { abortSignal }) => {
          let result: Awaited<ReturnType<Client['callTool']>>;
          // The attempt's signal bounds the call (it is aborted when the attempt times out or
          // ends); the SDK's own 60 s limit would cut a slow tool in an attempt allowed longer.
          const bounds = abortSignal ? { signal: abortSignal, timeout: MAX_TIMER_MS } : undefined;
          try {
            result = await watch.untilLost(client.callTool({ name: t.name, arguments: (input ?? {}) as Record<string, unknown> }, undefined, bounds));
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
