import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { RunEvent } from 'batonjs/internal';
import type { RunService } from '../run-service.ts';
import { openRegularFile, safeFile } from './file-access.ts';

/** Past this a `run.json` is not parsed to learn whose it is (in the request path); the files are served as listed. */
const MAX_RUN_JSON_BYTES = 64 * 1024 * 1024;

/**
 * Where the files of a run are served from. A run this server started (its files in
 * `<data-dir>/runs/<id>`) serves its whole folder. A run another process wrote (`baton run --out
 * DIR` on the same journal, another serve, or this one carrying on such a run) serves only the files
 * it listed in its deliverable, from the out folder it journaled: that folder may hold anything
 * (`--out ~`).
 */
export type RunFileSource =
  | { kind: 'folder'; root: string }
  | {
      kind: 'reported';
      root: string;
      /** The listed files, relative to `root`, `/`-separated. */
      names: ReadonlySet<string>;
      /** Why none of them is served although the run listed them. */
      unavailable?: string;
    };

/** The source of a run's files, from its folder in the data dir or else its journal. */
export async function runFileSource(runs: RunService, runId: string): Promise<RunFileSource> {
  const own = runs.runDir(runId);
  if ((await stat(own).catch(() => undefined))?.isDirectory()) return { kind: 'folder', root: own };
  const events = await runs.store.readEvents(runId);
  const started = events.find((e): e is Extract<RunEvent, { type: 'run.started' }> => e.type === 'run.started');
  const outDir = started?.options?.['outDir'];
  if (typeof outDir !== 'string' || outDir === '' || path.resolve(outDir) === path.resolve(own)) return { kind: 'folder', root: own };
  const root = path.resolve(outDir);
  const ended = events.findLast((e): e is Extract<RunEvent, { type: 'run.ended' }> => e.type === 'run.ended');
  const names = new Set(ended ? reportedNames(outDir, ended.deliverable.files) : []);
  const owner = names.size > 0 ? await runJsonOwner(root) : undefined;
  if (owner !== undefined && owner !== runId) {
    return { kind: 'reported', root, names: new Set(), unavailable: `its out folder now holds the files of run ${owner}, which wrote to the same folder later` };
  }
  return { kind: 'reported', root, names };
}

/**
 * The files a run listed in its deliverable (`deliverable.files`), as names relative to its out
 * folder `outDir`, `/`-separated and sorted; entries outside that folder are left out. The writer
 * lists a file relative to its working folder when it is inside it, else absolute, and does not
 * journal that folder: the entry for the `run.json` it always writes in `outDir` shows how it
 * saw the out folder, and every other entry is read the same way.
 */
export function reportedNames(outDir: string, files: readonly string[]): string[] {
  const base = listedOutDir(outDir, files);
  if (base === undefined) return [];
  const names = new Set<string>();
  for (const file of files) {
    if (path.isAbsolute(file) !== path.isAbsolute(base)) continue;
    const rel = path.relative(base, file);
    if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) continue;
    names.add(rel.split(path.sep).join('/'));
  }
  return [...names].sort();
}

/** The out folder as the writer listed it: the folder of its `run.json` entry. */
function listedOutDir(outDir: string, files: readonly string[]): string | undefined {
  const dirs = files.filter((f) => path.basename(f) === 'run.json').map((f) => path.dirname(f));
  const absolute = path.resolve(outDir);
  if (dirs.some((d) => path.isAbsolute(d) && path.resolve(d) === absolute)) return absolute;
  // Listed relative to the writer's working folder, which held the out folder: the listed form is
  // a tail of the journaled path (or, journaled relative, that same path). The longest tail wins.
  const whole = segments(outDir);
  const fits = (d: string): boolean => {
    const tail = segments(d);
    if (!path.isAbsolute(outDir)) return tail.join('/') === whole.join('/');
    return tail.length <= whole.length && tail.every((s, i) => whole[whole.length - tail.length + i] === s);
  };
  return dirs.filter((d) => !path.isAbsolute(d) && fits(d)).sort((a, b) => segments(b).length - segments(a).length)[0];
}

function segments(p: string): string[] {
  return path.normalize(p).split(path.sep).filter((s) => s !== '' && s !== '.');
}

/** The run whose `run.json` is in `dir`, when one is there and says so. */
async function runJsonOwner(dir: string): Promise<string | undefined> {
  const file = await safeFile(dir, 'run.json', true);
  const opened = file ? await openRegularFile(file) : undefined;
  if (!opened) return undefined;
  try {
    if (opened.size > MAX_RUN_JSON_BYTES) return undefined;
    const runId = (JSON.parse(await opened.handle.readFile('utf8')) as { runId?: unknown } | null)?.runId;
    return typeof runId === 'string' ? runId : undefined;
  } catch {
    return undefined;
  } finally {
    await opened.handle.close();
  }
}
