// Checkout-only (BATON_CHECKOUT_DIST=1): whether the dist/ of each of Baton's packages was built
// after the last change to its src/, so that a `baton` process (or a test) never runs code older
// than the sources beside it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** This checkout's packages/ folder. */
export const CHECKOUT_PACKAGES = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The newest file under `dir`. Editors' files (dot-files: swap files, lock links) are not sources,
 * and a file gone between the listing and its stat is not one either. A source deleted after a
 * build is not looked for: its importers changed with it.
 */
function newestFile(dir) {
  let newest = { file: '', mtimeMs: 0 };
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const file = path.join(dir, entry.name);
    let found;
    if (entry.isDirectory()) found = newestFile(file);
    else {
      try {
        const stat = statSync(file);
        if (!stat.isFile()) continue;
        found = { file, mtimeMs: stat.mtimeMs };
      } catch {
        continue;
      }
    }
    if (found.mtimeMs > newest.mtimeMs) newest = found;
  }
  return newest;
}

/** Whether the package in `dir` is built (a `build` script): only those have a dist/ to check. */
function isBuilt(dir) {
  try {
    return typeof JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).scripts?.build === 'string';
  } catch {
    return false;
  }
}

/**
 * Why the built dist/ of the packages under `packagesDir` cannot stand for their sources, or
 * undefined when each package that builds has a dist/index.js written after every file under its
 * src/ (the build rewrites all of dist/).
 * @param {string} [packagesDir] a checkout's packages/ folder (default: this one's)
 * @returns {string | undefined}
 */
export function staleDist(packagesDir = CHECKOUT_PACKAGES) {
  for (const name of readdirSync(packagesDir).sort()) {
    const dir = path.join(packagesDir, name);
    if (!isBuilt(dir)) continue;
    let built;
    try {
      built = statSync(path.join(dir, 'dist', 'index.js')).mtimeMs;
    } catch {
      return `packages/${name}/dist/ is not built`;
    }
    let newest;
    try {
      newest = newestFile(path.join(dir, 'src'));
    } catch {
      continue;
    }
    if (newest.mtimeMs > built) return `packages/${name}/${path.relative(dir, newest.file)} changed after packages/${name}/dist/ was built`;
  }
  return undefined;
}
