import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { errorMessage } from 'batonjs/internal';
import type { Manifest } from 'batonjs/internal';
import type { RunEventSource } from 'batonjs/internal';
import { exportAgents } from './export-agent.ts';
import type { ExportAgents } from './export-agent.ts';
import { RunSpanRecorder } from './run-spans.ts';

/**
 * A running telemetry pipeline; `shutdown` flushes the last spans and stops. Neither method ever
 * rejects, and each settles within the export timeout and a second: a dead or silent collector
 * costs a short wait, never a run's outcome or exit code.
 */
export interface Telemetry {
  /** Sends every finished span now. */
  flush(): Promise<void>;
  /** Ends open spans, flushes and stops listening. */
  shutdown(): Promise<void>;
}

/** How long one export may take, retries included, unless OTEL_EXPORTER_OTLP_(TRACES_)TIMEOUT says. */
export const DEFAULT_EXPORT_TIMEOUT_MS = 3000;

export interface TelemetryOptions {
  /** Where OTEL_* settings are read from (default: process.env). */
  env?: Record<string, string | undefined>;
  /** Replaces the OTLP exporter (tests, other backends). When given, no endpoint is needed. */
  exporter?: SpanExporter;
  /** The service.name resource attribute (default: OTEL_SERVICE_NAME, else `baton`). */
  serviceName?: string;
  /** Told when spans could not be delivered at flush or shutdown (a log line; default: nothing). */
  onError?: (message: string) => void;
}

/** The export timeout in ms from the standard variables, else {@link DEFAULT_EXPORT_TIMEOUT_MS}. */
export function exportTimeoutMs(env: Record<string, string | undefined>): number {
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', 'OTEL_EXPORTER_OTLP_TIMEOUT']) {
    const raw = env[name]?.trim();
    if (raw && /^[0-9]{1,9}$/.test(raw) && Number(raw) > 0) return Number(raw);
  }
  return DEFAULT_EXPORT_TIMEOUT_MS;
}

/** Waits for `work` at most `ms`; says what went wrong instead of rejecting. */
async function settleWithin(work: Promise<void>, ms: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${ms} ms`), ms);
  });
  try {
    return await Promise.race([work.then(() => undefined, (e: unknown) => errorMessage(e)), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The OTLP/HTTP traces URL from the standard variables, or undefined when tracing is off. */
export function otlpTracesUrl(env: Record<string, string | undefined>): string | undefined {
  const traces = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']?.trim();
  if (traces) return traces;
  const base = env['OTEL_EXPORTER_OTLP_ENDPOINT']?.trim();
  if (!base) return undefined;
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * Exports run → task → attempt spans over OTLP/HTTP (JSON) when OTEL_EXPORTER_OTLP_ENDPOINT (or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set; returns undefined, and does nothing, otherwise.
 * Spans are built from the event stream of `source` (an Orchestrator), so the core is unaware.
 * OTEL_EXPORTER_OTLP_HEADERS is honoured by the exporter (e.g. an API key for the collector).
 */
export function startTelemetry(source: RunEventSource & { manifest?: Manifest }, options: TelemetryOptions = {}): Telemetry | undefined {
  const env = options.env ?? process.env;
  const timeoutMs = exportTimeoutMs(env);
  let exporter = options.exporter;
  let sockets: ExportAgents | undefined;
  const url = otlpTracesUrl(env);
  if (!exporter) {
    if (!url) return undefined;
    // The exporter's timeout bounds how long each request may stay silent, and its retries; a
    // collector that answers slowly is cut off at shutdown by closing the agents' sockets.
    sockets = exportAgents(env);
    exporter = new OTLPTraceExporter({ url, timeoutMillis: timeoutMs, httpAgentOptions: sockets.factory });
  }
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName ?? env['OTEL_SERVICE_NAME'] ?? 'baton' }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000 })],
  });
  const agents = source.manifest?.agents ?? {};
  const recorder = new RunSpanRecorder(provider.getTracer('baton'), (name) => agents[name]?.model);
  const unsubscribe = source.on(recorder.record);
  // OTel rejects a flush or shutdown whose last export failed; a span that is lost is reported, not thrown.
  const bounded = async (what: string, work: () => Promise<void>): Promise<void> => {
    const problem = await settleWithin(work(), timeoutMs + 1000);
    if (problem) options.onError?.(`could not send the ${what} spans to ${url ?? 'the exporter'}: ${problem}`);
  };
  let stopped: Promise<void> | undefined;
  return {
    flush: () => bounded('finished', () => provider.forceFlush()),
    shutdown() {
      stopped ??= (async () => {
        unsubscribe();
        recorder.endAll();
        await bounded('last', () => provider.shutdown());
        // Nothing is sent after shutdown: an export still under way would only keep the process alive.
        sockets?.destroy();
      })();
      return stopped;
    },
  };
}
