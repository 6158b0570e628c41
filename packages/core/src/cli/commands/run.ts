import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { BatonError, errorMessage } from '../../core/errors.ts';
import { TakeoverSweeper } from '../../execution/takeover.ts';
import type { RunEvent } from '../../core/events.ts';
import type { Manifest, RunResult } from '../../core/types.ts';
import { loadManifest } from '../../manifest/index.ts';
import { buildRuntime } from '../../runtime/build-runtime.ts';
import type { Runtime } from '../../runtime/build-runtime.ts';
import { MemoryRunStore } from '../../store/memory-store.ts';
import { isJournalUnavailable } from '../../store/journal-rules.ts';
import { openStore } from '../../store/open-store.ts';
import type { CommonOptions } from '../context.ts';
import { manifestPath, missingJournalFile, openJournalOfRun, runJournalSpec } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { color } from '../format.ts';
import { deliverablePreview } from '../deliverable-output.ts';
import { ProgressView, summaryTable } from '../progress.ts';
import { exitFor, interactive, RunTerminal, trapSignals } from '../run-terminal.ts';
import { runInputs } from '../run-inputs.ts';

export interface RunCommandOptions extends CommonOptions {
  json?: boolean;
  out?: string;
  planner?: string;
  /** Dispatch attempts to `baton worker`s through BullMQ on this Redis (else BATON_REDIS_URL, else in-process). */
  redis?: string;
  /** `runs resume`: continue under the manifest file as it is now, not as the run journaled it. */
  useCurrentManifest?: boolean;
  /** `--param KEY=VALUE`, repeated. */
  param?: string[];
  /** `--params FILE|-`: JSON or YAML. */
  params?: string;
  /** `--plan FILE|-`: the output of `baton plan --json` (or its `plan` member). */
  plan?: string;
  /** `--workflow NAME`: one of the manifest's workflows. */
  workflow?: string;
  /** `--yes`: approve every decision of the run up front. */
  yes?: boolean;
}

/**
 * `baton run "<goal>"` and `baton runs resume <id>`: run to the end, show progress, exit with the
 * run's status. A decision the run waits for is asked in a terminal; without one the run is left
 * waiting in the journal and the exit code is 3.
 */
export async function runCommand(goal: string | undefined, opts: RunCommandOptions, resumeId?: string): Promise<number> {
  if (opts.out !== undefined) checkOutFolder(opts.out);
  const inputs = resumeId ? {} : await runInputs(goal, opts);
  const runtime = resumeId ? await runtimeForResume(opts, resumeId) : await buildRuntime(runtimeOptions({ ...opts, ...storeOf(runJournalSpec(opts)) }, opts.manifest));
  const ask = interactive() && !opts.yes;
  const terminal = new RunTerminal(runtime.orchestrator, { ask });
  // Listeners hear a run's start once it is journaled: then it can be carried on.
  let journaled = resumeId !== undefined;
  const onEvent = (e: RunEvent): void => {
    if (e.type === 'run.started') journaled = true;
    terminal.onEvent(e);
  };
  const steer = { onEvent, detachWhenWaiting: !ask, ...(opts.yes ? { autoApprove: { by: 'baton run --yes' } } : {}) };
  const inMemory = runtime.store instanceof MemoryRunStore;
  let result: RunResult;
  let runId: string | undefined;
  try {
    const handle = resumeId
      ? await runtime.orchestrator.resume(resumeId, { ...steer, useCurrentManifest: opts.useCurrentManifest === true })
      : runtime.orchestrator.start(goal ?? '', { ...steer, ...inputs });
    runId = handle.runId;
    result = await terminal.follow(handle);
  } catch (e) {
    throw runId !== undefined && isJournalUnavailable(e) ? journalLost(e, runId, journaled) : e;
  } finally {
    await runtime.close();
  }
  if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  printEnding(result);
  // The deliverable is the run's answer: on stdout, unless stdout carries the JSON result.
  const preview = opts.json ? undefined : deliverablePreview(result);
  if (preview) process.stdout.write(`\n${preview}`);
  if (result.status === 'awaiting-approval' && inMemory) {
    process.stderr.write(`${color.yellow('the journal of this run is in memory: nobody can decide on it once this process exits')}; run it again with --yes, in a terminal, or with a journal that lasts (--store FILE or postgres://...)\n`);
  }
  return exitFor(result);
}

/** The run's journal could not be reached: what became of the run, and what to do about it. */
function journalLost(e: BatonError, runId: string, journaled: boolean): BatonError {
  const next = journaled
    ? `run ${runId} stopped here, and the journal keeps it as far as it was written: carry it on with \`baton runs resume ${runId}\` once the journal answers (a \`baton serve\` on this journal does so by itself)`
    : `run ${runId} did not start here (its start could not be journaled, or not confirmed): once the journal answers, \`baton runs show ${runId}\` tells whether it was recorded; run the command again if it was not`;
  return new BatonError('JOURNAL_UNAVAILABLE', `${e.message}; ${next}`, { runId, cause: e });
}

/** `--out` must be a folder, or not exist yet: a file there is a usage error, found before anything runs. */
function checkOutFolder(out: string): void {
  let isFolder: boolean;
  try {
    isFolder = statSync(out).isDirectory();
  } catch {
    return;
  }
  if (!isFolder) throw new BatonError('BAD_REQUEST', `--out ${out}: a file is there; give a folder (it is made when missing)`, { retryable: false });
}

function storeOf(spec: string | undefined): { store?: string } {
  return spec === undefined ? {} : { store: spec };
}

function runtimeOptions(opts: RunCommandOptions, manifest: string | Manifest | undefined): Parameters<typeof buildRuntime>[0] {
  return {
    ...(manifest === undefined ? {} : { manifest }),
    ...(opts.store === undefined ? {} : { store: opts.store }),
    ...(opts.planner === undefined ? {} : { planner: opts.planner }),
    ...(opts.redis === undefined ? {} : { redis: opts.redis }),
    outDir: (runId) => path.resolve(opts.out ?? path.join('out', runId)),
    onTelemetryError: (m) => process.stderr.write(`${color.yellow(`telemetry: ${m}`)}\n`),
    onCloseError: (m) => process.stderr.write(`${color.yellow(`closing: ${m}`)}\n`),
    onWarning: (m) => process.stderr.write(`${color.yellow(`baton: warning: ${m}`)}\n`),
  };
}

/**
 * `baton runs resume <id>` carries one run on; `baton runs resume --all` every run whose process is
 * gone (what `baton serve` does by itself), in this process, until each ends. Exit codes as `run`
 * (the worst of all runs with --all).
 */
export async function resumeCommand(runId: string | undefined, opts: RunCommandOptions & { all?: boolean }): Promise<number> {
  if (runId && opts.all) throw new BatonError('BAD_REQUEST', 'baton runs resume takes a run id or --all, not both', { retryable: false });
  if (runId) return runCommand(undefined, opts, runId);
  if (!opts.all) throw new BatonError('BAD_REQUEST', 'baton runs resume needs a run id (see `baton runs list --status running`) or --all', { retryable: false });
  // A journal that is not there holds nothing to carry on, and is not made by looking.
  const missing = missingJournalFile(opts);
  if (missing !== undefined) {
    process.stderr.write(`no run to carry on: there is no journal at ${missing}\n`);
    return EXIT.succeeded;
  }
  const manifest = opts.manifest ?? (existsSync('baton.yaml') ? 'baton.yaml' : await journaledManifestOfAny(opts));
  // Nothing to carry on needs no manifest: a recovery job run where there is none exits 0, not 64.
  if (manifest === 'none') {
    process.stderr.write('no run to carry on: the journal holds no unfinished run\n');
    return EXIT.succeeded;
  }
  const runtime = await buildRuntime(runtimeOptions(opts, manifest));
  const progress = new ProgressView();
  const stop = runtime.orchestrator.on(progress.onEvent);
  let results: RunResult[];
  let failures = 0;
  try {
    // A run that waits for a decision is left waiting (there is nobody here to ask).
    const handles = await new TakeoverSweeper(runtime.orchestrator, { resume: { detachWhenWaiting: true } }).sweep();
    if (handles.length === 0) {
      process.stderr.write('no run to carry on: every unfinished run has a live process\n');
      return EXIT.succeeded;
    }
    process.stderr.write(`carrying on ${handles.length} run(s): ${handles.map((h) => h.runId).join(', ')}\n`);
    const signals = handles.map((h) => trapSignals(h));
    try {
      // Each run's end is its own: one that could not be carried on is reported, the others still end.
      const settled = await Promise.allSettled(handles.map((h) => h.result));
      results = [];
      settled.forEach((s, i) => {
        if (s.status === 'fulfilled') results.push(s.value);
        else {
          failures++;
          process.stderr.write(`run ${handles[i]!.runId} could not be carried on: ${errorMessage(s.reason)}\n`);
        }
      });
    } finally {
      for (const s of signals) s.release();
    }
  } finally {
    stop();
    progress.finish();
    await runtime.close();
  }
  if (opts.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  for (const r of results) printEnding(r);
  return worstExitCode([...results.map((r) => exitFor(r)), ...(failures > 0 ? [EXIT.failed] : [])]);
}

/** The manifest some unfinished run journaled, for `resume --all` where no baton.yaml is at hand; `none` when no run is unfinished. */
async function journaledManifestOfAny(opts: RunCommandOptions): Promise<Manifest | 'none' | undefined> {
  const store = await openStore(opts.store, { cwd: process.cwd() });
  try {
    const unfinished = [...(await store.listRuns({ status: 'running', limit: 50 })), ...(await store.listRuns({ status: 'awaiting-approval', limit: 50 }))];
    if (unfinished.length === 0) return 'none';
    for (const r of unfinished) {
      const started = (await store.readEvents(r.runId)).find((e): e is Extract<RunEvent, { type: 'run.started' }> => e.type === 'run.started');
      if (started?.manifest) return started.manifest.manifest;
    }
    return undefined;
  } finally {
    await store.close();
  }
}

/** Failed over partial over waiting for a decision over cancelled over succeeded. */
function worstExitCode(codes: number[]): number {
  for (const code of [EXIT.failed, EXIT.partial, EXIT.awaitingApproval, EXIT.cancelled]) if (codes.includes(code)) return code;
  return EXIT.succeeded;
}

/**
 * The runtime of a resumed run: built over the manifest file as it is now (given with -m, else the
 * one the run was started from), so a change since the run started is noticed and reported; when
 * that file is gone or broken, over the manifest the run journaled.
 */
export async function runtimeForResume(opts: RunCommandOptions, runId: string): Promise<Runtime> {
  const store = await openJournalOfRun(runId, opts);
  let started: Extract<RunEvent, { type: 'run.started' }> | undefined;
  try {
    started = (await store.readEvents(runId, 0)).find((e): e is Extract<RunEvent, { type: 'run.started' }> => e.type === 'run.started');
  } catch (e) {
    await store.close();
    throw e;
  }
  const file = opts.manifest ? manifestPath(opts) : started?.manifestFile;
  let manifest: Manifest | undefined;
  if (file) {
    try {
      manifest = await loadManifest(file);
    } catch (e) {
      if (!started?.manifest || opts.useCurrentManifest) {
        await store.close();
        throw e;
      }
      process.stderr.write(`${color.yellow(`note: ${file} cannot be loaded now (${(e as Error).message.split('\n')[0]}); continuing under the manifest the run journaled`)}\n`);
    }
  }
  return buildRuntime({ ...runtimeOptions(opts, manifest ?? started?.manifest?.manifest), store });
}

export function printEnding(result: RunResult): void {
  const err = process.stderr;
  const paint = result.status === 'succeeded' ? color.green : result.status === 'partial' || result.status === 'cancelled' ? color.yellow : color.red;
  // A run refused or failed at planning ran no task: no table of nothing.
  err.write(result.tasks.length > 0 ? `\n${summaryTable(result)}\n\n` : '\n');
  err.write(`${paint(`run ${result.runId} ${result.status}`)}${result.reason ? `: ${result.reason}` : ''}\n`);
  const files = result.deliverable.files;
  const main = files.find((f) => /report\.html$/.test(f)) ?? files.find((f) => /deliverable\.md$/.test(f)) ?? files.find((f) => !f.endsWith('run.json'));
  if (main) err.write(`${color.bold('deliverable:')} ${main}\n`);
  if (files.length > 0) {
    const dir = path.dirname(main ?? files[0]!);
    const inDir = files.filter((f) => path.dirname(f) === dir).map((f) => path.basename(f));
    const elsewhere = files.length - inDir.length;
    err.write(color.dim(`files in ${dir}/: ${inDir.join(', ')}${elsewhere > 0 ? ` (+${elsewhere} in subfolders)` : ''}\n`));
  }
}
