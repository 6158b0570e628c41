/** The stdio MCP client's read buffer: messages cut anywhere across chunks, read in linear time. */
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ReadBuffer } from '@modelcontextprotocol/sdk/shared/stdio.js';
import { describe, expect, it } from 'vitest';
import { LinearReadBuffer, useLinearReadBuffer } from '../src/tools/mcp-read-buffer.ts';

const message = (id: number, text = 'ok') => ({ jsonrpc: '2.0', id, result: { text } });

function readAll(buffer: ReadBuffer): unknown[] {
  const read: unknown[] = [];
  for (let m = buffer.readMessage(); m !== null; m = buffer.readMessage()) read.push(m);
  return read;
}

describe('LinearReadBuffer', () => {
  it('reads what the SDK reads, with the lines cut at every byte, several in a chunk, CRLF endings', () => {
    const text = `${JSON.stringify(message(1))}\n${JSON.stringify(message(2, 'é ü 😀'))}\r\n${JSON.stringify(message(3))}\n`;
    const bytes = Buffer.from(text);
    for (const size of [1, 2, 3, 7, 64, bytes.length]) {
      const ours = new LinearReadBuffer();
      const sdks = new ReadBuffer();
      const got: unknown[] = [];
      const expected: unknown[] = [];
      for (let at = 0; at < bytes.length; at += size) {
        const chunk = bytes.subarray(at, at + size);
        ours.append(chunk);
        sdks.append(chunk);
        got.push(...readAll(ours));
        expected.push(...readAll(sdks));
      }
      expect(got, `chunks of ${size} bytes`).toEqual(expected);
      expect(got).toEqual([message(1), message(2, 'é ü 😀'), message(3)]);
    }
  });

  it('refuses more than its limit unread, with the words the SDK uses, and starts afresh', () => {
    const buffer = new LinearReadBuffer(100);
    buffer.append(Buffer.alloc(60, 0x20));
    expect(() => buffer.append(Buffer.alloc(60, 0x20))).toThrow('ReadBuffer exceeded maximum size of 100 bytes');
    buffer.append(Buffer.from(`${JSON.stringify(message(4))}\n`));
    expect(readAll(buffer)).toEqual([message(4)]);
  });

  it('takes the place of the read buffer of the SDK stdio transport', () => {
    const transport = new StdioClientTransport({ command: 'true' });
    useLinearReadBuffer(transport);
    expect((transport as unknown as { _readBuffer: unknown })._readBuffer).toBeInstanceOf(LinearReadBuffer);
  });
});
