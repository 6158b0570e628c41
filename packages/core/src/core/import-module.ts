import { statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** Imports a user's JS or TS file (agents, integrators). TypeScript loads through tsx, so no loader flag is needed. */
export async function importModule(file: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(file).href;
  if (/\.[cm]?tsx?$/.test(file)) {
    const { tsImport } = await import('tsx/esm/api');
    return (await tsImport(url, import.meta.url)) as Record<string, unknown>;
  }
  return (await import(url)) as Record<string, unknown>;
}

/** The default export of a module, unwrapping the extra `default` a CommonJS build adds. */
export function defaultExport(mod: Record<string, unknown>): unknown {
  const d = mod.default;
  if (d && typeof d === 'object' && 'default' in d && !('run' in d)) return (d as { default: unknown }).default;
  return d;
}

/**
 * When and how big `file` was last written ('' when it cannot be read: its import says why). A
 * module loaded through tsx is a new copy at each import, so the caches of loaded modules use this
 * to load a TypeScript file again once it changed, as Node would not for JavaScript.
 */
export function fileVersion(file: string): string {
  try {
    const { mtimeMs, size } = statSync(file);
    return `${mtimeMs}:${size}`;
  } catch {
    return '';
  }
}
