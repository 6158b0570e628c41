import { open } from 'node:fs/promises';
import { MAX_DOCUMENT_BYTES } from './defaults.ts';

/** A file (or stream) was larger than the most Baton reads of it. */
export class TooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`it is larger than ${maxBytes} bytes (${maxBytes / (1024 * 1024)} MiB), the most Baton reads of a manifest, suite, plan or parameters file`);
    this.name = 'TooLargeError';
  }
}

async function collect(chunks: AsyncIterable<Buffer | string>, maxBytes: number, stop?: () => unknown): Promise<string> {
  const parts: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of chunks) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    bytes += buffer.length;
    if (bytes > maxBytes) {
      await stop?.();
      throw new TooLargeError(maxBytes);
    }
    parts.push(buffer);
  }
  return Buffer.concat(parts).toString('utf8');
}

/**
 * A text file read as UTF-8, up to `maxBytes`: what a path names may have no end (/dev/zero, a
 * device, a pipe that is never closed by a writer that never stops).
 * @throws TooLargeError past `maxBytes`; the errors of `open` and `read` (ENOENT, EISDIR...).
 */
export async function readTextFile(file: string, maxBytes = MAX_DOCUMENT_BYTES): Promise<string> {
  const handle = await open(file, 'r');
  try {
    return await collect(handle.createReadStream({ autoClose: false, highWaterMark: 1024 * 1024 }), maxBytes);
  } finally {
    await handle.close();
  }
}

/** Standard input read to its end as UTF-8, up to `maxBytes`. @throws TooLargeError past it. */
export function readStdinText(maxBytes = MAX_DOCUMENT_BYTES): Promise<string> {
  return collect(process.stdin as AsyncIterable<Buffer>, maxBytes, () => process.stdin.destroy());
}
