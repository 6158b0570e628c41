import { open } from 'node:fs/promises';
import { MAX_DOCUMENT_BYTES } from './defaults.ts';

/** A file (or stream) was larger than the most Baton reads of it. */
export class TooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`it is larger than ${maxBytes} bytes (${maxBytes / (1024 * 1024)} MiB), the most Baton reads of a manifest, suite, plan or parameters file`);
    this.name = 'TooLargeError';
  }
}

/** A file that was to be UTF-8 text holds bytes that are not (Latin-1, UTF-16...). */
export class NotUtf8Error extends Error {
  constructor(
    /** 1-based line and column of the first byte that is not UTF-8. */
    readonly line: number,
    readonly column: number,
    readonly byte: number,
  ) {
    super(`not UTF-8 text: byte 0x${byte.toString(16).padStart(2, '0')} at line ${line}, column ${column} is not UTF-8 (saved as Latin-1 or UTF-16?); save the file as UTF-8`);
    this.name = 'NotUtf8Error';
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** `bytes` as UTF-8 text. @throws NotUtf8Error at the first byte that is not UTF-8. */
function decodeStrict(bytes: Buffer): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    // Everything before the first replacement that stands for bad bytes (not for an EF BF BD
    // written in the file) decoded as written: its length in bytes is the bad byte's offset.
    const lossy = bytes.toString('utf8');
    let offset = 0;
    let line = 1;
    let column = 1;
    for (const char of lossy) {
      const written = char !== '\uFFFD' || (bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd);
      if (!written) break;
      offset += Buffer.byteLength(char);
      if (char === '\n') {
        line++;
        column = 1;
      } else column++;
    }
    throw new NotUtf8Error(line, column, bytes[offset] ?? 0);
  }
}

async function collect(chunks: AsyncIterable<Buffer | string>, maxBytes: number, stop?: () => unknown, strict = false): Promise<string> {
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
  const all = Buffer.concat(parts);
  return strict ? decodeStrict(all) : all.toString('utf8');
}

/**
 * A text file read as UTF-8, up to `maxBytes`: what a path names may have no end (/dev/zero, a
 * device, a pipe that is never closed by a writer that never stops). Bytes that are not UTF-8 are
 * read as U+FFFD, or with `strict` refused.
 * @throws TooLargeError past `maxBytes`; NotUtf8Error (`strict`); the errors of `open` and `read` (ENOENT, EISDIR...).
 */
export async function readTextFile(file: string, maxBytes = MAX_DOCUMENT_BYTES, options: { strict?: boolean } = {}): Promise<string> {
  const handle = await open(file, 'r');
  try {
    return await collect(handle.createReadStream({ autoClose: false, highWaterMark: 1024 * 1024 }), maxBytes, undefined, options.strict === true);
  } finally {
    await handle.close();
  }
}

/** Standard input read to its end as UTF-8, up to `maxBytes`. @throws TooLargeError past it. */
export function readStdinText(maxBytes = MAX_DOCUMENT_BYTES): Promise<string> {
  return collect(process.stdin as AsyncIterable<Buffer>, maxBytes, () => process.stdin.destroy());
}
