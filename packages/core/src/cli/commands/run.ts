import path from 'node:path';
import { importOptional } from '../../core/optional.ts';
import type { RunResult } from '../../core/types.ts';
import type { RunHandle } from '../../orchestrator.ts';
import { Orchestrator } from '../../orchestrator.ts';
import type { CommonOptions } from '../context.ts';
import { openJournal, readManifest } from '../context.ts';
import { exitCodeFor, EXIT } from '../exit-codes.ts';
import { createDispatch } from '../dispatch-choice.ts';
import { color } from '../format.ts';
import { deliverablePreview } from '../deliverable-output.ts';
import { ProgressView, summaryTable } from '../progress.ts';
import { createJudgeIfNeeded, createPlanner } from '../planner-choice.ts';

export interface RunCommandOptions extends CommonOptions {
  json?: boolean;
  out?: string;
  planner?: string;
  /** Dispatch attempts to `baton worker`s through BullMQ on this Redis (else BATON_REDIS_URL, else in-process). */
  redis?: string;
}

/** `baton run "<goal>"` and `baton runs resume <id>`: run to the end, show progress, exit with the run's status. */
export async function runCommand(goal: string | undefined, opts: RunCommandOptions, resumeId?: string): Promise<number> {
  const store = await openJournal(opts, { memoryFallback: !resumeId });
  const manifest = await readManifest(resumeId ? await manifestForResume(opts, resumeId, store) : opts);
  const planner = await createPlanner(opts.planner, manifest);
  const judge = await createJudgeIfNeeded(manifest);
  const dispatch = await createDispatch(manifest, opts.redis ? { redisUrl: opts.redis } : {}).catch(async (e: unknown) => {
    await store.close();
    throw e;
  });
  const orchestrator = new Orchestrator({
    manifest,
    store,
    ...(planner ? { planner } : {}),
    ...(judge ? { extraChecks: judge } : {}),
    ...(dispatch.registry ? { registry: dispatch.registry } : {}),
    outDir: (runId) => path.resolve(opts.out ?? path.join('out', runId)),
  });
  dispatch.attach(orchestrator);
  // OpenTelemetry is loaded only when an OTLP endpoint is configured: it is slow to import.
  const telemetry =
    process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] || process.env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']
      ? (await importOptional('batonjs-telemetry', 'OTEL_EXPORTER_OTLP_ENDPOINT (OpenTelemetry spans)')).startTelemetry(orchestrator, {
          onError: (m) => process.stderr.write(`${color.yellow(`telemetry: ${m}`)}\n`),
        })
      : undefined;
  const progress = new ProgressView();
  const onEvent = progress.onEvent;
  let handle: RunHandle;
  try {
    handle = resumeId ? await orchestrator.resume(resumeId, { onEvent }) : orchestrator.start(goal ?? '', { onEvent });
  } catch (e) {
    await orchestrator.close();
    await dispatch.close();
    await telemetry?.shutdown();
    throw e;
  }
  const signals = trapSignals(handle);
  let result: RunResult;
  try {
    result = await handle.result;
  } finally {
    signals.release();
    progress.finish();
    await orchestrator.close();
    await dispatch.close();
    await telemetry?.shutdown();
  }
  if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  printEnding(result);
  // The deliverable is the run's answer: on stdout, unless stdout carries the JSON result.
  const preview = opts.json ? undefined : deliverablePreview(result);
  if (preview) process.stdout.write(`\n${preview}`);
  return exitCodeFor(result.status);
}

async function manifestForResume(opts: RunCommandOptions, runId: string, store: Awaited<ReturnType<typeof openJournal>>): Promise<CommonOptions> {
  if (opts.manifest) return opts;
  const record = await store.getRun(runId);
  return record?.manifestFile ? { ...opts, manifest: record.manifestFile } : opts;
}

/** Ctrl-C or SIGTERM cancels the run cleanly; a second Ctrl-C leaves at once. */
function trapSignals(handle: RunHandle): { release(): void } {
  let count = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    count++;
    if (count > 1) process.exit(EXIT.cancelled);
    process.stderr.write(`\n${color.yellow(`${sig}: cancelling run ${handle.runId} (again to quit at once)`)}\n`);
    handle.cancel(`cancelled by ${sig}`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    release() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

function printEnding(result: RunResult): void {
  const err = process.stderr;
  const paint = result.status === 'succeeded' ? color.green : result.status === 'partial' || result.status === 'cancelled' ? color.yellow : color.red;
  err.write(`\n${summaryTable(result)}\n\n`);
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
