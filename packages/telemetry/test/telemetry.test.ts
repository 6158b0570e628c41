import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrchestrator } from '../../core/src/create-orchestrator.ts';
import { createLogger, logRunEvents } from '../../core/src/observability/logger.ts';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { RunEvent } from '../../core/src/core/events.ts';
import { RunSpanRecorder } from '../src/run-spans.ts';
import { otlpTracesUrl, startTelemetry } from '../src/telemetry.ts';
import { scriptedAgent } from '../../core/src/testing/index.ts';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  status?: { code?: number; message?: string };
  attributes: { key: string; value: { stringValue?: string; intValue?: string | number; boolValue?: boolean } }[];
}

/** A tiny OTLP/HTTP receiver on 127.0.0.1 that keeps every span it is sent (JSON protocol). */
async function startCollector() {
  const spans: OtlpSpan[] = [];
  const requests: { path: string; type: string }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', type: req.headers['content-type'] ?? '' });
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] };
      for (const rs of body.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, spans, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const attr = (s: OtlpSpan | undefined, key: string): unknown => {
  const v = s?.attributes.find((a) => a.key === key)?.value;
  return v?.stringValue ?? (v?.intValue !== undefined ? Number(v.intValue) : v?.boolValue);
};

describe('OpenTelemetry spans from the event stream', () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  beforeAll(async () => {
    collector = await startCollector();
  });
  afterAll(async () => {
    await collector.close();
  });

  it('is off unless an OTLP endpoint is configured', () => {
    const o = createOrchestrator({ name: 'x', agents: [scriptedAgent({ name: 'a', produces: ['x'] })] });
    expect(startTelemetry(o, { env: {} })).toBeUndefined();
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://h:4318/' })).toBe('http://h:4318/v1/traces');
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://h/t' })).toBe('http://h/t');
  });

  it('exports run → task → attempt spans over OTLP/HTTP JSON with parent links', async () => {
    const o = createOrchestrator({
      name: 'traced',
      agents: [
        scriptedAgent({ name: 'extract', produces: ['rows'], script: [{ throw: 'flaky source' }, { output: { rows: [1] } }] }),
        scriptedAgent({ name: 'report', consumes: ['rows'], produces: ['report'] }),
      ],
      policy: { backoff: { initialDelayMs: 1, factor: 1, maxDelayMs: 1, jitter: 0 } },
    });
    const telemetry = startTelemetry(o, { env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url } });
    expect(telemetry).toBeDefined();
    const result = await o.run('produce the report');
    await telemetry?.shutdown();
    await o.close();

    expect(collector.requests[0]).toEqual({ path: '/v1/traces', type: 'application/json' });
    const spans = collector.spans;
    const run = spans.find((s) => s.name === 'baton.run');
    expect(attr(run, 'baton.run.id')).toBe(result.runId);
    expect(attr(run, 'baton.run.status')).toBe('succeeded');
    expect(attr(run, 'gen_ai.agent.name')).toBe('traced');
    expect(run?.parentSpanId ?? '').toBe('');

    const tasks = spans.filter((s) => s.name === 'baton.task');
    expect(tasks.map((s) => attr(s, 'baton.task.id')).sort()).toEqual(result.plan.tasks.map((t) => t.id).sort());
    for (const t of tasks) {
      expect(t.parentSpanId).toBe(run?.spanId);
      expect(t.traceId).toBe(run?.traceId);
    }

    const attempts = spans.filter((s) => attr(s, 'gen_ai.operation.name') === 'invoke_agent' && s.name.startsWith('invoke_agent '));
    expect(attempts.map((s) => s.name).sort()).toEqual(['invoke_agent extract', 'invoke_agent extract', 'invoke_agent report']);
    const extractTask = tasks.find((t) => attr(t, 'baton.task.id') === result.tasks[0]?.id);
    const extractAttempts = attempts.filter((a) => a.parentSpanId === extractTask?.spanId);
    expect(extractAttempts.map((a) => attr(a, 'baton.attempt.status')).sort()).toEqual(['failed', 'succeeded']);
    const failed = extractAttempts.find((a) => attr(a, 'baton.attempt.status') === 'failed');
    expect(failed?.status).toMatchObject({ code: 2, message: 'flaky source' });
  });

  it('marks model calls of LLM agents with GenAI attributes and token usage', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const recorder = new RunSpanRecorder(provider.getTracer('test'), (agent) => (agent === 'writer' ? 'openai:gpt-4o-mini' : undefined));
    const base = { runId: 'r_1', at: new Date().toISOString() };
    const events = [
      { type: 'run.started', goal: 'g', orchestrator: 'o' },
      { type: 'task.started', taskId: 't1', agent: 'writer', agentVersion: '1.0.0', attempt: 1, attemptId: 'a1' },
      { type: 'task.succeeded', taskId: 't1', agent: 'writer', attempt: 1, attemptId: 'a1', output: {}, usage: { llmCalls: 2, inputTokens: 120, outputTokens: 30 } },
      { type: 'usage', taskId: 't1', usage: { llmCalls: 2, inputTokens: 120, outputTokens: 30 } },
      { type: 'run.ended', status: 'succeeded', deliverable: { artifacts: {}, files: [], provenance: {} } },
    ];
    events.forEach((e, i) => recorder.record({ ...e, ...base, seq: i + 1 } as RunEvent));
    await provider.forceFlush();
    const spans = exporter.getFinishedSpans();
    const attempt = spans.find((x) => x.name === 'invoke_agent writer');
    expect(attempt?.attributes).toMatchObject({ 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 120, 'gen_ai.usage.output_tokens': 30 });
    expect(spans.find((x) => x.name === 'baton.run')?.attributes).toMatchObject({ 'gen_ai.usage.input_tokens': 120, 'baton.run.status': 'succeeded' });
    await provider.shutdown();
  });

  it('logs run events as JSON lines with run and task ids', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const logger = createLogger({ level: 'info', destination: sink });
    const o = createOrchestrator({ name: 'logged', agents: [scriptedAgent({ name: 'a', produces: ['x'], script: [{ throw: 'nope' }, { output: { x: 1 } }] })], policy: { backoff: { initialDelayMs: 1, factor: 1, maxDelayMs: 1, jitter: 0 } } });
    const stop = logRunEvents(o, logger);
    const result = await o.run('produce x');
    stop();
    await o.close();
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.every((r) => r['runId'] === result.runId)).toBe(true);
    const failed = records.find((r) => r['event'] === 'task.attempt.failed');
    expect(failed).toMatchObject({ level: 40, taskId: result.tasks[0]?.id, agent: 'a', attempt: 1, error: 'nope' });
    expect(records.at(-1)).toMatchObject({ event: 'run.ended', status: 'succeeded', level: 30 });
    expect(JSON.stringify(records)).not.toContain('"output"');
  });
});
