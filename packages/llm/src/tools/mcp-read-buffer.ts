/**
 * The stdio MCP client's read buffer, in linear time. The SDK's copies its whole buffer and
 * searches all of it for a newline on every chunk (64 KiB): a 10 MB answer cost ~3.5 s of CPU in
 * the orchestrator's event loop, in which no other run moved.
 */
import type { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { deserializeMessage, ReadBuffer, STDIO_DEFAULT_MAX_BUFFER_SIZE } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

const NEWLINE = 0x0a;

/** Chunks kept as they came; each byte is searched for the end of its line once. */
export class LinearReadBuffer extends ReadBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Chunks at the front already searched, and found without a newline. */
  private searched = 0;

  constructor(private readonly maxBytes = STDIO_DEFAULT_MAX_BUFFER_SIZE) {
    super({ maxBufferSize: maxBytes });
  }

  override append(chunk: Buffer): void {
    if (this.size + chunk.length > this.maxBytes) {
      this.clear();
      // The SDK's words: Baton explains them (mcp-connection-watch.ts).
      throw new Error(`ReadBuffer exceeded maximum size of ${this.maxBytes} bytes`);
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  override readMessage(): JSONRPCMessage | null {
    for (let i = this.searched; i < this.chunks.length; i++) {
      const chunk = this.chunks[i]!;
      const end = chunk.indexOf(NEWLINE);
      if (end === -1) {
        this.searched = i + 1;
        continue;
      }
      const line = Buffer.concat([...this.chunks.slice(0, i), chunk.subarray(0, end)]);
      const rest = chunk.subarray(end + 1);
      this.chunks = rest.length > 0 ? [rest, ...this.chunks.slice(i + 1)] : this.chunks.slice(i + 1);
      this.size -= line.length + 1;
      this.searched = 0;
      return deserializeMessage(line.toString('utf8').replace(/\r$/, ''));
    }
    return null;
  }

  override clear(): void {
    this.chunks = [];
    this.size = 0;
    this.searched = 0;
  }
}

/** Gives `transport` a {@link LinearReadBuffer} in place of the SDK's, when it has one where expected. */
export function useLinearReadBuffer(transport: StdioClientTransport): void {
  const fields = transport as unknown as { _readBuffer?: unknown };
  if (fields._readBuffer instanceof ReadBuffer) fields._readBuffer = new LinearReadBuffer();
}
