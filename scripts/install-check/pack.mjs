// Packs every publishable package (prepack builds dist/ with tsc) and checks what each tarball holds.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { staleDist } from '../../packages/core/bin/checkout-dist.mjs';
import { CheckFailure, run, userEnv } from './lib.mjs';

/** Built and packed in this order: each package's declarations need the core's. */
export const PACKAGES = ['core', 'telemetry', 'llm', 'scale', 'server'];

/** Files a package cannot work without, besides its exports and README. */
const REQUIRED = {
  core: ['bin/baton.js', 'templates/starter/baton.yaml', 'templates/starter/agents/facts.sh', 'templates/starter/agents/report.ts', 'templates/starter/test/workflow.test.ts', 'templates/starter/evals/plans.yaml', 'templates/starter/gitignore', 'templates/starter/README.md'],
  server: ['dist/dashboard/index.html', 'dist/dashboard/app.js', 'dist/dashboard/run-view.js', 'dist/dashboard/deliverable.js', 'dist/dashboard/app.css', 'dist/dashboard/run.css', 'dist/dashboard/favicon.svg'],
};

/** Paths no tarball may hold: sources, tests, source maps, build state. */
const FORBIDDEN = [/^src\//, /^test\//, /^(?!templates\/).*\.test\.[cm]?[jt]s$/, /\.map$/, /\.tsbuildinfo$/, /^node_modules\//];

/** The files each `exports` entry points at (import and types), for every subpath. */
function exportedFiles(pkg) {
  const out = [];
  for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
    if (typeof target === 'string') out.push({ subpath, file: target });
    else for (const key of ['import', 'types']) if (target[key]) out.push({ subpath, file: target[key] });
  }
  return out.map((e) => ({ ...e, file: e.file.replace(/^\.\//, '') }));
}

/** Checks one tarball's file list; returns the problems found. */
export function tarballProblems(name, pkg, files) {
  const has = new Set(files);
  const problems = [];
  for (const f of ['package.json', 'README.md', 'LICENSE', ...(REQUIRED[name] ?? [])]) if (!has.has(f)) problems.push(`missing ${f}`);
  for (const { subpath, file } of exportedFiles(pkg)) if (!has.has(file)) problems.push(`exports['${subpath}'] points at ${file}, which is not in the tarball`);
  if (!files.some((f) => f.endsWith('.d.ts'))) problems.push('no .d.ts declarations');
  for (const f of files) if (FORBIDDEN.some((re) => re.test(f))) problems.push(`holds ${f}, which users do not need`);
  return problems;
}

/** Packs every package into `dest`; returns { [dir]: { name, version, peerDependencies, tarball, files, packedBytes, unpackedBytes } }. */
export function packAll(root, dest) {
  if (process.env.BATON_PACK_BUILT === '1') {
    const stale = staleDist(path.join(root, 'packages'));
    if (stale) throw new CheckFailure(`BATON_PACK_BUILT=1 packs the built dist/ as it is, but ${stale}: run \`npm run build\` first`);
  }
  const packed = {};
  mkdirSync(dest, { recursive: true });
  for (const dir of PACKAGES) {
    const cwd = path.join(root, 'packages', dir);
    const pkg = JSON.parse(readFileSync(path.join(cwd, 'package.json'), 'utf8'));
    const info = packedBefore(dest, pkg) ?? pack(cwd, dest);
    const files = info.files.map((f) => f.path);
    const problems = tarballProblems(dir, pkg, files);
    if (problems.length) throw new CheckFailure(`the ${pkg.name} tarball is not complete:\n  ${problems.join('\n  ')}`);
    packed[dir] = { name: pkg.name, version: pkg.version, peerDependencies: pkg.peerDependencies, tarball: path.join(dest, info.filename), files, packedBytes: info.size, unpackedBytes: info.unpackedSize };
  }
  return packed;
}

/**
 * Packs the package in `cwd` into `dest` (prepack builds it, unless BATON_PACK_BUILT=1 says dist/ was
 * just built from this checkout, as CI's `npm test` does); npm's report of the tarball.
 */
function pack(cwd, dest) {
  const built = process.env.BATON_PACK_BUILT === '1' ? ['--ignore-scripts'] : [];
  const out = run('npm', ['pack', '--json', ...built, '--pack-destination', dest], { cwd, env: userEnv({ PATH: process.env.PATH }) }).stdout;
  const [info] = JSON.parse(out.slice(out.indexOf('[')));
  writeFileSync(path.join(dest, `${info.filename}.json`), JSON.stringify(info));
  return info;
}

/** npm's report of a tarball packed into `dest` before (by a run on another Node), if any. */
function packedBefore(dest, pkg) {
  const file = path.join(dest, `${pkg.name}-${pkg.version}.tgz`);
  if (!existsSync(file) || !existsSync(`${file}.json`)) return undefined;
  return JSON.parse(readFileSync(`${file}.json`, 'utf8'));
}

