import path from 'node:path';
import type { RunStore } from '../core/contracts.ts';
import { errorMessage } from '../core/errors.ts';
import { importOptional } from '../core/optional.ts';
import type { Manifest } from '../core/types.ts';
import { createDispatch } from '../cli/dispatch-choice.ts';
import type { Dispatch } from '../cli/dispatch-choice.ts';
import { createJudgeIfNeeded, createPlanner } from '../cli/planner-choice.ts';
import type { Limiter } from '../execution/limiter.ts';
import { loadManifest } from '../manifest/load.ts';
import { unjudgedChecksWarning } from '../manifest/rubric-checks.ts';
import { Orchestrator } from '../orchestrator.ts';
import { openStore } from '../store/open-store.ts';

/** What `baton run`, `baton serve` and `baton worker` are built from (their command-line options). */
export interface RuntimeOptions {
  /** The manifest file (default `./baton.yaml`), or an already loaded manifest. */
  manifest?: string | Manifest;
  /** The journal: a SQLite path, `memory` or a postgres:// URL (default: BATON_DATABASE_URL, else `.baton/baton.db`). */
  store?: string | RunStore;
  /** `builtin` or `llm` (default: llm when the orchestrator has a model). */
  planner?: string;
  /** Dispatch attempts to `baton worker`s on this Redis (default: BATON_REDIS_URL, else in this process). */
  redis?: string;
  /** Each run's folder (default: none). */
  outDir?: string | ((runId: string) => string);
  /** A cap on attempts in flight shared with the server's other runs. */
  limiter?: Limiter;
  /** Export spans when an OTLP endpoint is set (default true); failures go to `onTelemetryError`. */
  telemetry?: boolean;
  onTelemetryError?: (message: string) => void;
  /** What went wrong while closing (an agent whose `close()` failed or hung); the rest is closed all the same. */
  onCloseError?: (message: string) => void;
  /** What the user should hear of before anything runs (rubric checks that no model will judge). */
  onWarning?: (message: string) => void;
}

/** A ready orchestrator and everything it holds, closed together. */
export interface Runtime {
  manifest: Manifest;
  store: RunStore;
  orchestrator: Orchestrator;
  dispatch: Dispatch;
  /** Stops telemetry, closes agents, dispatch and the journal; never rejects. */
  close(): Promise<void>;
}

/**
 * The one place where a manifest, a journal, a planner, a rubric judge, dispatch (in-process or
 * BullMQ) and telemetry meet to make an orchestrator. The CLI's `run`, `runs resume`, `runs
 * cancel`, `baton serve` and `baton eval` all call it, so a fix lands everywhere at once.
 */
export async function buildRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const manifest = typeof options.manifest === 'object' ? options.manifest : await loadManifest(path.resolve(options.manifest ?? 'baton.yaml'));
  const planner = await createPlanner(options.planner, manifest);
  const judge = await createJudgeIfNeeded(manifest);
  const unjudged = unjudgedChecksWarning(manifest);
  if (unjudged) options.onWarning?.(unjudged);
  const store = typeof options.store === 'object' ? options.store : await openStore(options.store, { cwd: process.cwd() });
  const closers: (() => Promise<unknown>)[] = [() => store.close()];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse()) await close().catch((e: unknown) => options.onCloseError?.(errorMessage(e)));
  };
  try {
    const dispatch = await createDispatch(manifest, options.redis ? { redisUrl: options.redis } : {});
    closers.push(() => dispatch.close());
    const orchestrator = new Orchestrator({
      manifest,
      store,
      ...(planner ? { planner } : {}),
      ...(judge ? { extraChecks: judge } : {}),
      ...(dispatch.registry ? { registry: dispatch.registry } : {}),
      ...(options.limiter ? { limiter: options.limiter } : {}),
      ...(options.outDir ? { outDir: options.outDir } : {}),
    });
    dispatch.attach(orchestrator);
    closers.push(() => orchestrator.close(false));
    if (options.telemetry !== false && (process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] || process.env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'])) {
      // OpenTelemetry is loaded only when an OTLP endpoint is configured: it is slow to import.
      const { startTelemetry } = await importOptional('batonjs-telemetry', 'OTEL_EXPORTER_OTLP_ENDPOINT (OpenTelemetry spans)');
      const telemetry = startTelemetry(orchestrator, options.onTelemetryError ? { onError: options.onTelemetryError } : {});
      if (telemetry) closers.push(() => telemetry.shutdown());
    }
    return { manifest, store, orchestrator, dispatch, close: closeAll };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
