/** OpenTelemetry spans of Baton runs (run, task, attempt) exported over OTLP: `import { startTelemetry } from 'batonjs-telemetry'`. */
export { startTelemetry, otlpTracesUrl } from './telemetry.ts';
export type { Telemetry, TelemetryOptions } from './telemetry.ts';
export { RunSpanRecorder } from './run-spans.ts';
