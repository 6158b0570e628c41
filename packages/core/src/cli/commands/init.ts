import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BatonError } from '../../core/errors.ts';
import { packageVersion } from '../arguments.ts';
import { color } from '../format.ts';

export interface InitOptions {
  force?: boolean;
  name?: string;
}

/** The starter project shipped in the package (`templates/starter`, two folders above src/cli and dist/cli). */
const TEMPLATE = fileURLToPath(new URL('../../../templates/starter/', import.meta.url));
/**
 * Template files kept under another name: npm never packs a .gitignore, and a tsconfig.json in
 * the template would take its files out of the repository's own type check.
 */
const RENAMED: Record<string, string> = { gitignore: '.gitignore', 'tsconfig.template.json': 'tsconfig.json' };
const GOAL = 'Describe this machine';

/** True on a Node without node:sqlite (before 22.13): a durable journal needs better-sqlite3 there. */
function needsBetterSqlite(version = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major < 22 || (major === 22 && minor < 13);
}

function templateFiles(dir = TEMPLATE, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? templateFiles(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}

/** A valid npm package name from a folder name. */
function packageName(dir: string): string {
  const name = path
    .basename(path.resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+|[-]+$/g, '');
  return name || 'baton-project';
}

function packageJson(name: string): string {
  const own = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { dependencies?: Record<string, string> };
  const dependencies: Record<string, string> = { batonjs: packageVersion() };
  const pkg = {
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    scripts: {
      start: `baton run "${GOAL}"`,
      test: 'node --import tsx --test test/workflow.test.ts',
      eval: 'baton eval evals/plans.yaml',
      typecheck: 'tsc',
    },
    dependencies,
    // Node 20 has no built-in SQLite: the journal (.baton/baton.db) needs the better-sqlite3
    // driver there. Optional: where it cannot be built, npm install still succeeds and
    // `baton run` keeps its journal in memory, saying so.
    ...(needsBetterSqlite() ? { optionalDependencies: { 'better-sqlite3': '^12.4.1' } } : {}),
    devDependencies: { '@types/node': '>=20', tsx: own.dependencies?.['tsx'] ?? '^4', typescript: '^5.9.3' },
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

/**
 * `baton init [DIR]`: writes the starter project (a manifest, a TypeScript module agent, a shell
 * command agent, schemas, a test, an eval suite, package.json, README) into DIR. Refuses a folder that is not
 * empty unless `--force`, and never overwrites a file.
 */
export async function initCommand(dir: string, opts: InitOptions): Promise<number> {
  const target = path.resolve(dir);
  const existing = (await readdir(target).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [] as string[];
    throw new BatonError('BAD_REQUEST', `cannot create a project in ${target}: ${e.code === 'ENOTDIR' ? 'it is a file' : e.message}`, { retryable: false });
  })).filter((f) => f !== '.git');
  if (existing.length > 0 && !opts.force) {
    throw new BatonError('BAD_REQUEST', `${target} is not empty (${existing.slice(0, 3).join(', ')}${existing.length > 3 ? ', …' : ''}): choose an empty folder, or pass --force to add the starter files next to what is there (no file is overwritten)`, {
      retryable: false,
    });
  }
  const name = opts.name ?? packageName(target);
  const files = new Map<string, string>();
  for (const rel of templateFiles()) {
    const text = await readFile(path.join(TEMPLATE, rel), 'utf8');
    files.set(RENAMED[rel] ?? rel, text.replaceAll('{{name}}', name));
  }
  files.set('package.json', packageJson(name));

  const written: string[] = [];
  const kept: string[] = [];
  for (const [rel, text] of files) {
    const file = path.join(target, rel);
    await mkdir(path.dirname(file), { recursive: true });
    try {
      await writeFile(file, text, { flag: 'wx' });
      written.push(rel);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      kept.push(rel);
    }
  }
  const out = process.stdout;
  out.write(`Created a Baton project in ${target}\n`);
  for (const f of written) out.write(`  ${color.green('+')} ${f}\n`);
  for (const f of kept) out.write(`  ${color.yellow('=')} ${f} ${color.dim('(exists, left as it was)')}\n`);
  const cd = path.relative(process.cwd(), target);
  out.write(`\nNext:\n${cd ? `  cd ${cd.includes(' ') ? JSON.stringify(cd) : cd}\n` : ''}  npm install\n  npx baton run "${GOAL}"\n  npm test\n`);
  if (needsBetterSqlite()) out.write(color.dim(`\nNode ${process.versions.node} has no built-in SQLite: package.json adds better-sqlite3 (optional) for the journal, .baton/baton.db.\n`));
  return 0;
}
