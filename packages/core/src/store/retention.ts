import { readdir, readFile, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import type { RunRecord, RunStore, RunStoreRetention, SpaceReport } from '../core/contracts.ts';
import { BatonError, errorMessage } from '../core/errors.ts';
import type { RunEvent } from '../core/events.ts';
import { reduceEvents } from '../core/reduce.ts';
import { isFinalStatus } from '../core/types.ts';
import { MAX_LIST_LIMIT, runRunningError } from './journal-rules.ts';

/** True when `store` can delete runs (the optional `RunStoreRetention` capability). */
export function supportsRetention(store: RunStore): store is RunStore & RunStoreRetention {
  const s = store as Partial<RunStoreRetention>;
  return typeof s.deleteRun === 'function' && typeof s.reclaimSpace === 'function';
}

/** The store as a RunStoreRetention, or an error saying this journal cannot delete runs. */
export function retentionOf(store: RunStore): RunStore & RunStoreRetention {
  if (supportsRetention(store)) return store;
  throw new BatonError('BAD_REQUEST', 'this journal cannot delete runs: its RunStore does not implement RunStoreRetention (deleteRun, reclaimSpace)', { retryable: false });
}

/** A run that was (or, in a dry run, would be) deleted. */
export interface DeletedRun {
  runId: string;
  status: RunRecord['status'];
  createdAt: string;
  /** The run's out folder, as journaled in `run.started`. */
  outDir?: string;
  /**
   * Set when the out folder is still there, saying why: a later run wrote over it (nothing of it
   * was removed), or it holds files the run did not write (only the run's own were removed).
   */
  outDirKept?: string;
  /** Why its files could not all be removed (the journal rows are gone regardless). */
  filesError?: string;
}

/** Files Baton itself writes into a run's out folder. */
const OWN_FILES = ['run.json', 'deliverable.md', 'deliverable.json'];

/** The out folder a run journaled in `run.started` (`options.outDir`). */
function outDirOf(events: readonly RunEvent[]): string | undefined {
  const started = events.find((e): e is Extract<RunEvent, { type: 'run.started' }> => e.type === 'run.started');
  const dir = started?.options?.['outDir'];
  return typeof dir === 'string' && dir !== '' ? path.resolve(dir) : undefined;
}

/** The run whose `run.json` is in `dir`, when one is there and says so. */
async function runJsonOwner(dir: string): Promise<string | undefined> {
  const text = await readFile(path.join(dir, 'run.json'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const runId = (JSON.parse(text) as { runId?: unknown } | null)?.runId;
    return typeof runId === 'string' ? runId : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes a run's files; resolves why the out folder is still there, if it is. A folder named
 * after the run (`out/<id>`, the server's `<data-dir>/runs/<id>`) is removed whole; a folder
 * chosen with `--out` loses only the files the run listed in its deliverable (and Baton's own),
 * and is removed once empty. A folder whose `run.json` names another run is left as it is: that
 * run used the same `--out` later and wrote over these files.
 */
async function removeRunFiles(runId: string, outDir: string, events: readonly RunEvent[]): Promise<string | undefined> {
  const owner = await runJsonOwner(outDir);
  if (owner !== undefined && owner !== runId) return `its run.json belongs to run ${owner}, which used the same folder later: nothing was removed`;
  if (path.basename(outDir) === runId) {
    await rm(outDir, { recursive: true, force: true });
    return undefined;
  }
  const listed = reduceEvents(events)?.deliverable.files ?? [];
  const inside = (f: string): boolean => {
    const rel = path.relative(outDir, f);
    return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
  };
  const files = new Set([...OWN_FILES.map((f) => path.join(outDir, f)), ...listed.map((f) => path.resolve(f)).filter(inside)]);
  for (const f of files) await rm(f, { force: true });
  // The folders those files were in go too once empty (charts/, then the out folder itself).
  const folders = [...new Set([...files].map((f) => path.dirname(f)))].sort((a, b) => b.length - a.length);
  for (const start of folders) {
    for (let dir = start; dir === outDir || inside(dir); dir = path.dirname(dir)) {
      const left = await readdir(dir).catch(() => undefined);
      if (!left || left.length > 0) break;
      await rmdir(dir);
      if (dir === outDir) break;
    }
  }
  const left = await readdir(outDir).catch(() => undefined);
  return left === undefined ? undefined : "it holds files the run did not write: only the run's own were removed";
}

/**
 * Deletes a run's out folder, then the run from the journal: a process killed in between leaves
 * the run in the journal, which the next delete or prune finishes, never a folder that no run in
 * the journal names any more. Files that cannot be removed (`filesError`) do not keep the rows:
 * the report names them. Resolves undefined when the journal has no such run; rejects with
 * `RUN_RUNNING` for a running run, touching nothing.
 */
export async function deleteRunAndFiles(store: RunStore & RunStoreRetention, runId: string): Promise<DeletedRun | undefined> {
  const record = await store.getRun(runId);
  if (!record) return undefined;
  // An ended run never runs again: its files can go before its rows.
  if (!isFinalStatus(record.status)) throw runRunningError(runId);
  const events = await store.readEvents(runId);
  const deleted: DeletedRun = { runId, status: record.status, createdAt: record.createdAt };
  const outDir = outDirOf(events);
  if (outDir) {
    deleted.outDir = outDir;
    try {
      const kept = await removeRunFiles(runId, outDir, events);
      if (kept !== undefined) deleted.outDirKept = kept;
    } catch (e) {
      deleted.filesError = errorMessage(e);
    }
  }
  if (!(await store.deleteRun(runId))) return undefined;
  return deleted;
}

export interface PruneOptions {
  /** Runs created longer ago than this are deleted (ms). */
  olderThanMs: number;
  /** Always keep this many of the newest runs, whatever their age (default 0). */
  keep?: number;
  /** Only report what would be deleted. */
  dryRun?: boolean;
  /** Rewrite the journal to give all free space back (SQLite VACUUM). */
  full?: boolean;
  /** Default: Date.now(). */
  now?: number;
}

export interface PruneReport {
  deleted: DeletedRun[];
  /** Runs that started running again between listing and deleting: kept. */
  skipped: string[];
  /** The journal's size before and after, when the backend knows it (not in a dry run). */
  space?: SpaceReport;
}

/** The runs a prune would delete: ended, created before the cutoff, not among the `keep` newest. */
async function pruneCandidates(store: RunStore, cutoff: string, keep: number): Promise<RunRecord[]> {
  const out: RunRecord[] = [];
  let seen = 0;
  let before: string | undefined;
  for (;;) {
    const page = await store.listRuns({ limit: MAX_LIST_LIMIT, ...(before === undefined ? {} : { before }) });
    for (const r of page) {
      seen++;
      if (seen > keep && isFinalStatus(r.status) && r.createdAt < cutoff) out.push(r);
    }
    if (page.length < MAX_LIST_LIMIT) return out;
    before = page[page.length - 1]!.runId;
  }
}

/**
 * Deletes ended runs older than `olderThanMs` (journal rows and out folders together), keeping
 * the `keep` newest runs and every running one, then reclaims the journal's space.
 */
export async function pruneRuns(store: RunStore & RunStoreRetention, options: PruneOptions): Promise<PruneReport> {
  const cutoffDate = new Date((options.now ?? Date.now()) - options.olderThanMs);
  if (Number.isNaN(cutoffDate.getTime())) {
    throw new BatonError('BAD_REQUEST', `olderThanMs must be a number of milliseconds that leaves a date (at most 8.64e15, 100000000 days), got ${options.olderThanMs}`, { retryable: false });
  }
  const cutoff = cutoffDate.toISOString();
  const candidates = await pruneCandidates(store, cutoff, options.keep ?? 0);
  if (options.dryRun) return { deleted: candidates.map((r) => ({ runId: r.runId, status: r.status, createdAt: r.createdAt })), skipped: [] };
  const report: PruneReport = { deleted: [], skipped: [] };
  for (const r of candidates) {
    try {
      const d = await deleteRunAndFiles(store, r.runId);
      if (d) report.deleted.push(d);
    } catch (e) {
      if (BatonError.isInstance(e) && e.code === 'RUN_RUNNING') report.skipped.push(r.runId);
      else throw e;
    }
  }
  if (report.deleted.length > 0 || options.full) {
    const space = await store.reclaimSpace(options.full ? { full: true } : {});
    if (space) report.space = space;
  }
  return report;
}
