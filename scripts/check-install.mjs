#!/usr/bin/env node
// Proves the packages install and work as a user gets them: packs every package, installs the
// tarballs into fresh projects with plain npm, imports them from plain Node (no loader, no
// NODE_OPTIONS) and from TypeScript under `tsc --strict`, runs `npx baton run`, `npx baton init`
// and the new project's own run, test and type check, and measures what each install weighs.
// Fails (exit 1) when any of it breaks, or when batonjs alone installs more than 40 MB.
// Usage: npm run check:install            (BATON_KEEP_INSTALL=1 keeps the temporary projects)
//   BATON_PACKED_DIR=<dir>   pack into <dir>, or reuse the tarballs already there (a second Node)
//   BATON_INSTALL_CHECK=quick  only what depends on the Node version: batonjs alone, the project
//                              from npx batonjs init, the sample run (no sizes, no tsc pass)
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CheckFailure, hasNodeSqlite, MB, mb, newProject, npmInstall, npmInstallAsync, packageCount, run, treeBytes } from './install-check/lib.mjs';
import { packAll } from './install-check/pack.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');
const HERE = path.join(ROOT, 'scripts/install-check');
const CORE_LIMIT = 40 * MB;
const work = mkdtempSync(path.join(tmpdir(), 'baton-install-'));
const started = Date.now();
const sizes = [];
const quick = process.env.BATON_INSTALL_CHECK === 'quick';

function step(title) {
  console.log(`\n▶ ${title} (${Math.round((Date.now() - started) / 1000)}s)`);
}

function expectIncludes(text, wanted, what) {
  if (!text.includes(wanted)) throw new CheckFailure(`${what}: expected to see ${JSON.stringify(wanted)} in:\n${text.slice(-3000)}`);
}

function measure(label, dir, note = '') {
  const bytes = treeBytes(path.join(dir, 'node_modules'));
  sizes.push({ label, bytes, packages: packageCount(path.join(dir, 'node_modules')), note });
  return bytes;
}

/** `npx baton ...` in a project, as its user types it. */
function baton(cwd, args, options = {}) {
  return run('npx', ['--no-install', 'baton', ...args], { cwd, ...options });
}

async function main() {
  console.log(`install check on Node ${process.versions.node}, npm ${run('npm', ['--version'], { cwd: work }).stdout.trim()}, in ${work}`);

  step('npm pack every package (prepack builds dist/ with tsc) and check each tarball');
  const packed = packAll(ROOT, process.env.BATON_PACKED_DIR || path.join(work, 'tarballs'));
  for (const p of Object.values(packed)) console.log(`  ${p.name}@${p.version}: ${p.files.length} files, ${mb(p.packedBytes)} packed, ${mb(p.unpackedBytes)} unpacked`);
  const version = packed.core.version;
  for (const p of Object.values(packed)) {
    if (p.version !== version) throw new CheckFailure(`${p.name} is at ${p.version}, batonjs at ${version}: the packages are released together`);
    // Each package pins its siblings exactly: they share batonjs/internal, which is not a stable API.
    for (const [dep, range] of Object.entries(p.peerDependencies ?? {})) {
      if (dep.startsWith('batonjs') && range !== version) throw new CheckFailure(`${p.name} wants ${dep}@${range}; the packages pin each other at exactly ${version}`);
    }
  }

  step('a project with batonjs alone: size, no native module on import, `npx baton run`');
  const alone = newProject(path.join(work, 'core-only'), 'core-only');
  npmInstall(alone, [packed.core.tarball]);
  const coreBytes = measure('batonjs alone', alone, `limit ${mb(CORE_LIMIT)}`);
  if (coreBytes > CORE_LIMIT) throw new CheckFailure(`batonjs alone installs ${mb(coreBytes)} of node_modules, more than the ${mb(CORE_LIMIT)} allowed`);
  cpSync(path.join(HERE, 'native-probe.mjs'), path.join(alone, 'native-probe.mjs'));
  const sqliteHere = hasNodeSqlite();
  console.log(`  ${run('node', ['native-probe.mjs', path.join(alone, 'probe.db'), sqliteHere ? 'sqlite' : 'no-sqlite'], { cwd: alone }).stdout.trim()}`);
  expectIncludes(baton(alone, ['--version']).stdout, version, 'npx baton --version');
  cpSync(path.join(HERE, 'fixture'), alone, { recursive: true });
  const words = baton(alone, ['run', 'word report for these six words']);
  expectIncludes(words.stdout, '## word-report', 'npx baton run prints the deliverable');
  expectIncludes(words.stdout, '| words | 6 |', 'npx baton run prints the deliverable');
  if (!sqliteHere) expectIncludes(words.stderr, 'this run is journaled in memory only (install better-sqlite3@12', 'npx baton run on Node 20 without better-sqlite3');
  else expectIncludes(baton(alone, ['runs', 'list']).stdout, 'word report for these six words', 'npx baton runs list');
  // A manifest with a model but no rubric checks needs no batonjs-llm under the builtin planner.
  const withModel = readFileSync(path.join(alone, 'baton.yaml'), 'utf8').replace('\norchestrator:\n', '\norchestrator:\n  model: openai:gpt-4o-mini\n');
  writeFileSync(path.join(alone, 'with-model.yaml'), withModel);
  const builtin = baton(alone, ['run', '-m', 'with-model.yaml', '--planner', 'builtin', 'word report for these six words']);
  expectIncludes(builtin.stdout, '| words | 6 |', 'npx baton run --planner builtin with orchestrator.model and only batonjs installed');
  const empty = baton(alone, ['run', ' '], { expect: 64 });
  expectIncludes(empty.stderr, 'the goal is empty', 'npx baton run " "');
  // The PostgreSQL journal is batonjs-scale/postgres: the error names the package to install.
  const noScale = baton(alone, ['runs', 'list', '--store', 'postgres://127.0.0.1:1/none'], { expect: 64 });
  expectIncludes(noScale.stderr, 'a PostgreSQL journal needs the optional package batonjs-scale: install it next to batonjs', 'npx baton runs list --store postgres://… with only batonjs installed');

  step('from an empty folder, as the README says: `npx batonjs init app`, then npm install, npx baton run, npm test, npm run typecheck, npm run eval');
  // The tarball stands in for the registry's batonjs (npx runs its only bin, baton).
  const home = path.join(work, 'empty-folder');
  mkdirSync(home);
  run('npx', ['--yes', `--package=${packed.core.tarball}`, '--', 'baton', 'init', 'app'], { cwd: home });
  const app = path.join(home, 'app');
  const appPkg = JSON.parse(readFileSync(path.join(app, 'package.json'), 'utf8'));
  if (appPkg.dependencies.batonjs !== version) throw new CheckFailure(`baton init wrote batonjs ${appPkg.dependencies.batonjs}, expected ${version}`);
  // The tarball stands in for the registry version package.json names; the rest comes from npm.
  npmInstall(app, [packed.core.tarball]);
  cpSync(path.join(HERE, 'native-probe.mjs'), path.join(app, 'native-probe.mjs'));
  console.log(`  ${run('node', ['native-probe.mjs', path.join(app, 'probe.db'), 'sqlite'], { cwd: app }).stdout.trim()}`);
  const appRun = baton(app, ['run', 'Describe this machine']);
  expectIncludes(appRun.stdout, '## machine-report', 'npx baton run in the new project');
  expectIncludes(baton(app, ['runs', 'list']).stdout, 'Describe this machine', 'npx baton runs list in the new project');
  run('npm', ['test'], { cwd: app });
  run('npm', ['run', 'typecheck'], { cwd: app });
  const evaluated = run('npm', ['run', 'eval'], { cwd: app });
  expectIncludes(`${evaluated.stdout}${evaluated.stderr}`, 'eval: 3 passed, 0 failed', 'npm run eval in the new project');
  console.log('  the new project runs, journals, passes its tests, its eval suite and its type check');

  if (!quick) await everyPackage(packed, coreBytes);
  sampleProject(packed, sqliteHere);

  console.log(`\ninstalled sizes on Node ${process.versions.node} (node_modules, apparent bytes):`);
  for (const s of sizes) console.log(`  ${s.label.padEnd(40)} ${mb(s.bytes).padStart(9)}  ${String(s.packages).padStart(4)} packages  ${s.note}`);
  console.log(`\ninstall check${quick ? ' (quick)' : ''} passed in ${Math.round((Date.now() - started) / 1000)}s`);
}

/** All five packages in one project (plain Node and tsc), then each optional package's own size. */
async function everyPackage(packed, coreBytes) {
  step('every package together: plain Node and tsc --strict (nodenext) over every entry point');
  const all = newProject(path.join(work, 'all'), 'all-packages');
  npmInstall(all, Object.values(packed).map((p) => p.tarball));
  measure('all five packages', all);
  npmInstall(all, ['typescript@5.9.3', '@types/node@20'], ['--save-dev']);
  cpSync(path.join(HERE, 'use-all.ts'), path.join(all, 'use-all.ts'));
  writeFileSync(
    path.join(all, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', types: ['node'], outDir: 'build' }, files: ['use-all.ts'] }),
  );
  run('npx', ['--no-install', 'tsc', '-p', 'tsconfig.json'], { cwd: all });
  console.log(`  ${run('node', ['build/use-all.js'], { cwd: all }).stdout.trim()}`);

  step('each optional package next to batonjs: its own install size');
  // Side by side: four npm installs one after another were ~65 s of CI's longest install check.
  const optional = ['server', 'scale', 'llm', 'telemetry'];
  const projects = optional.map((dir) => newProject(path.join(work, `with-${dir}`), `with-${dir}`));
  const installs = await Promise.allSettled(projects.map((p, i) => npmInstallAsync(p, [packed.core.tarball, packed[optional[i]].tarball])));
  const failed = installs.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  for (const [i, p] of projects.entries()) {
    const bytes = measure(`batonjs + ${packed[optional[i]].name}`, p);
    sizes[sizes.length - 1].note = `+${mb(bytes - coreBytes)} over batonjs alone`;
  }
}

/** The sample report installed like a user's project; run when this Node has SQLite built in. */
function sampleProject(packed, sqliteHere) {
  step('the sample report as a user project (examples/sales-report with the packed packages)');
  const sample = path.join(work, 'sales-report');
  cpSync(path.join(ROOT, 'examples/sales-report'), sample, { recursive: true, filter: (src) => !/(node_modules|[/\\]out|\.sqlite[-\w]*)$/.test(src) });
  npmInstall(sample, [packed.core.tarball, packed.llm.tarball]);
  measure('the sample (examples/sales-report)', sample, 'charts: vega, vega-lite, resvg');
  if (sqliteHere) {
    const charts = baton(sample, ['run', 'just the charts for Q2'], { timeoutMs: 300_000 });
    expectIncludes(charts.stderr, 'succeeded', 'the sample run');
    console.log('  the sample ran from the packed packages');
  } else {
    console.log(`  (its run is left to the test suite here: on Node ${process.versions.node} it needs better-sqlite3, built from source on this machine)`);
  }
}

try {
  await main();
} catch (e) {
  console.error(`\ninstall check FAILED: ${e instanceof CheckFailure ? e.message : e?.stack ?? e}`);
  process.exitCode = 1;
} finally {
  if (process.env.BATON_KEEP_INSTALL) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
