import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeText } from '../../src/core/write-text.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'baton-write-text-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeText', () => {
  it('writes the text as UTF-8, replacing what a longer file held', async () => {
    const file = path.join(dir, 'run.json');
    writeFileSync(file, 'x'.repeat(1000));
    await writeText(file, '{"goal":"Rapport Q2 · été"}\n');
    expect(readFileSync(file, 'utf8')).toBe('{"goal":"Rapport Q2 · été"}\n');
  });

  it('fails as the file system says, naming the file, for a missing folder and a folder in the way', async () => {
    const missing = path.join(dir, 'no-such-folder', 'run.json');
    await expect(writeText(missing, '{}')).rejects.toMatchObject({ code: 'ENOENT', path: missing });
    await expect(writeText(dir, '{}')).rejects.toMatchObject({ code: 'EISDIR' });
  });
});
