// Helpers of the install check: processes with a user's environment, fresh projects, sizes.
import { spawn, spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The environment a user's shell has: none of the npm_* variables `npm run` sets for this
 * repository, and no NODE_OPTIONS (the checkout's source condition must not leak in).
 */
export function userEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'NODE_OPTIONS' && k !== 'INIT_CWD') env[k] = v;
  return { ...env, NO_COLOR: '1', ...extra };
}

/** Thrown when a step fails: the message says which command, where, and its output. */
export class CheckFailure extends Error {}

/**
 * Runs a command to its end. Returns { code, stdout, stderr }; throws a CheckFailure when the
 * exit code is not `expect` (default 0).
 */
export function run(cmd, args, { cwd, env = userEnv(), expect = 0, input, timeoutMs = 600_000 } = {}) {
  const r = spawnSync(cmd, args, { cwd, env, input, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  return ended(cmd, args, cwd, expect, { code: r.status, signal: r.signal, error: r.error, stdout: r.stdout, stderr: r.stderr });
}

/**
 * {@link run} without blocking this process, for commands that may run side by side (npm installs
 * into separate projects: four at once took ~23 s in CI against ~52 s one after another).
 */
export function runAsync(cmd, args, { cwd, env = userEnv(), expect = 0, timeoutMs = 600_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    // Not spawn's own `timeout`: its timer is cleared on 'exit', which a command that could not
    // start (ENOENT) never emits, and it then kept this process alive for the whole timeout.
    let error;
    const timer = setTimeout(() => {
      error = new Error(`timed out after ${timeoutMs} ms`);
      child.kill('SIGTERM');
    }, timeoutMs);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
    child.once('error', (e) => (error ??= e));
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      try {
        resolve(ended(cmd, args, cwd, expect, { code, signal, error, stdout, stderr }));
      } catch (e) {
        reject(e);
      }
    });
  });
}

function ended(cmd, args, cwd, expect, { code, signal, error, stdout, stderr }) {
  if (error || (expect !== undefined && code !== expect)) {
    const tail = (s) => (s ?? '').split('\n').slice(-40).join('\n');
    throw new CheckFailure(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${code ?? signal}${error ? ` (${error.message})` : ''}, expected ${expect}\n--- stdout\n${tail(stdout)}\n--- stderr\n${tail(stderr)}`);
  }
  return { code, stdout: stdout ?? '', stderr: stderr ?? '' };
}

/** `npm install` in a project, as a user types it; an engine warning (EBADENGINE) fails the check. */
export function npmInstall(cwd, specs = [], extraArgs = []) {
  return withoutEngineWarnings(run('npm', npmInstallArgs(specs, extraArgs), { cwd }), cwd, specs);
}

/** {@link npmInstall} without blocking this process. */
export async function npmInstallAsync(cwd, specs = [], extraArgs = []) {
  return withoutEngineWarnings(await runAsync('npm', npmInstallArgs(specs, extraArgs), { cwd }), cwd, specs);
}

const npmInstallArgs = (specs, extraArgs) => ['install', '--no-audit', '--no-fund', '--loglevel=warn', ...extraArgs, ...specs];

function withoutEngineWarnings(r, cwd, specs) {
  const engine = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /EBADENGINE|Unsupported engine/i.test(l));
  if (engine.length) throw new CheckFailure(`npm install ${specs.join(' ')} warned about engines on Node ${process.versions.node} (in ${cwd}):\n${engine.join('\n')}`);
  return r;
}

/** A new, empty ESM project folder with a package.json. */
export function newProject(dir, name) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name, version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`);
  return dir;
}

/** Apparent size of everything under `dir` (bytes; symlinks counted as links, not followed). */
export function treeBytes(dir) {
  let total = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += treeBytes(p);
    else total += lstatSync(p).size;
  }
  return total;
}

/** How many packages a node_modules holds (nested ones included). */
export function packageCount(nodeModules) {
  let n = 0;
  let entries;
  try {
    entries = readdirSync(nodeModules, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    const p = path.join(nodeModules, e.name);
    if (e.name.startsWith('@')) n += packageCount(p);
    else n += 1 + packageCount(path.join(p, 'node_modules'));
  }
  return n;
}

export const MB = 1024 * 1024;
export const mb = (bytes) => `${(bytes / MB).toFixed(1)} MB`;

/** True when this Node has a built-in SQLite (node:sqlite, 22.13 and later). */
export function hasNodeSqlite() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 13);
}
