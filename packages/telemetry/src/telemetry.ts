import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Manifest } from 'batonjs/internal';
import type { RunEventSource } from 'batonjs/internal';
import { RunSpanRecorder } from './run-spans.ts';

/** A running telemetry pipeline; `shutdown` flushes the last spans and stops. */
export interface Telemetry {
  /** Sends every finished span now. */
  flush(): Promise<void>;
  /** Ends open spans, flushes and stops listening. */
  shutdown(): Promise<void>;
}

export interface TelemetryOptions {
  /** Where OTEL_* settings are read from (default: process.env). */
  env?: Record<string, string | undefined>;
  /** Replaces the OTLP exporter (tests, other backends). When given, no endpoint is needed. */
  exporter?: SpanExporter;
  /** The service.name resource attribute (default: OTEL_SERVICE_NAME, else `baton`). */
  serviceName?: string;
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
  let exporter = options.exporter;
  if (!exporter) {
    const url = otlpTracesUrl(env);
    if (!url) return undefined;
    exporter = new OTLPTraceExporter({ url });
  }
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName ?? env['OTEL_SERVICE_NAME'] ?? 'baton' }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000 })],
  });
  const agents = source.manifest?.agents ?? {};
  const recorder = new RunSpanRecorder(provider.getTracer('baton'), (name) => agents[name]?.model);
  const unsubscribe = source.on(recorder.record);
  let stopped: Promise<void> | undefined;
  return {
    flush: () => provider.forceFlush(),
    shutdown() {
      stopped ??= (async () => {
        unsubscribe();
        recorder.endAll();
        await provider.shutdown();
      })();
      return stopped;
    },
  };
}
