import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readTextFile, TooLargeError } from '../../src/core/read-text.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'baton-read-text-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readTextFile', () => {
  it('reads a file up to its limit as UTF-8, a BOM and CRLF left as they are', async () => {
    const file = path.join(dir, 'plan.yaml');
    writeFileSync(file, '\ufefftasks:\r\n  - { id: a, agent: é }\r\n');
    const text = await readTextFile(file, Buffer.byteLength('\ufefftasks:\r\n  - { id: a, agent: é }\r\n'));
    expect(text).toBe('\ufefftasks:\r\n  - { id: a, agent: é }\r\n');
  });

  it('stops past its limit, on a file and on one without an end (/dev/zero), holding no more than the limit', async () => {
    const file = path.join(dir, 'big.json');
    writeFileSync(file, 'x'.repeat(1025));
    await expect(readTextFile(file, 1024)).rejects.toThrow(TooLargeError);
    const before = process.memoryUsage().rss;
    await expect(readTextFile('/dev/zero', 8 * 1024 * 1024)).rejects.toThrow(/larger than 8388608 bytes \(8 MiB\)/);
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * 1024 * 1024);
  });

  it('fails as the file system says for a folder and a missing file', async () => {
    await expect(readTextFile(dir)).rejects.toMatchObject({ code: 'EISDIR' });
    await expect(readTextFile(path.join(dir, 'missing.json'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
