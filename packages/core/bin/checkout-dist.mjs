// Checkout-only (BATON_CHECKOUT_DIST=1): whether the dist/ of each of Baton's packages was built
// after the last change to its src/, so a `baton` process (or a test) never runs code older than
// the sources beside it.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The newest modification under `dir`: a file written, or a folder whose entries changed (a file deleted or renamed). */
function newestUnder(dir) {
  let newest = { file: dir, mtimeMs: statSync(dir).mtimeMs };
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    const found = entry.isDirectory() ? newestUnder(file) : { file, mtimeMs: statSync(file).mtimeMs };
    if (found.mtimeMs > newest.mtimeMs) newest = found;
  }
  return newest;
}

/**
 * Why the built dist/ of the packages under `packagesDir` cannot stand for their sources, or
 * undefined when each package with a src/ has a dist/index.js written after everything under
 * that src/ (the build rewrites every file of dist/).
 * @param {string} [packagesDir] the repository's packages/ folder (default: the one this file is in)
 * @returns {string | undefined}
 */
export function staleDist(packagesDir = fileURLToPath(new URL('../../', import.meta.url))) {
  for (const name of readdirSync(packagesDir).sort()) {
    const src = path.join(packagesDir, name, 'src');
    let built;
    try {
      if (!statSync(src).isDirectory()) continue;
    } catch {
      continue;
    }
    try {
      built = statSync(path.join(packagesDir, name, 'dist', 'index.js')).mtimeMs;
    } catch {
      return `packages/${name}/dist/ is not built`;
    }
    const newest = newestUnder(src);
    if (newest.mtimeMs > built) return `packages/${name}/${path.relative(path.join(packagesDir, name), newest.file)} changed after packages/${name}/dist/ was built`;
  }
  return undefined;
}
