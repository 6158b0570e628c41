import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';

/**
 * Resolves `name` (`/`-separated) inside `root`, refusing anything that could leave it (`..`,
 * absolute, NUL, symlinks out). With `exact`, a name whose real path is not that very name (a
 * symlink on its way, even one to a file inside `root`) is refused too.
 */
export async function safeFile(root: string, name: string, exact = false): Promise<string | undefined> {
  if (!name || name.includes('\0') || name.includes('\\')) return undefined;
  const parts = name.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) return undefined;
  let realRoot: string;
  let real: string;
  try {
    realRoot = await realpath(root);
    real = await realpath(path.resolve(root, ...parts));
  } catch {
    return undefined;
  }
  if (!real.startsWith(realRoot + path.sep)) return undefined;
  if (exact && real !== path.join(realRoot, ...parts)) return undefined;
  return real;
}

/** An open regular file, or undefined for anything else (gone, a folder, a FIFO, a link swapped in). */
export async function openRegularFile(file: string): Promise<{ handle: FileHandle; size: number } | undefined> {
  // NOFOLLOW: a link put in place after the check is not followed; NONBLOCK: a FIFO cannot hang the open.
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => undefined);
  if (!handle) return undefined;
  const info = await handle.stat().catch(() => undefined);
  if (info?.isFile()) return { handle, size: info.size };
  await handle.close();
  return undefined;
}
