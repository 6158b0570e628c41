import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, Span, Tracer } from '@opentelemetry/api';
import type { RunEvent } from 'batonjs/internal';
import type { Usage } from 'batonjs/internal';

interface OpenRun {
  span: Span;
  tasks: Map<string, Span>;
  attempts: Map<string, Span>;
  usage: Usage;
}

const MAX_ATTRIBUTE_TEXT = 500;

function clip(text: string): string {
  return text.length > MAX_ATTRIBUTE_TEXT ? `${text.slice(0, MAX_ATTRIBUTE_TEXT - 1)}…` : text;
}

function usageAttributes(usage: Usage | undefined): Attributes {
  if (!usage) return {};
  return { 'gen_ai.usage.input_tokens': usage.inputTokens, 'gen_ai.usage.output_tokens': usage.outputTokens, 'baton.llm_calls': usage.llmCalls };
}

/**
 * Turns the event stream of runs into OpenTelemetry spans: one span per run, a child span per
 * task, and under it one span per attempt (`invoke_agent <agent>`, GenAI semantic conventions).
 * Spans take their start and end times from the journal, so they match what the journal says.
 * Built only from events, so the orchestrator needs no tracing code.
 */
/** What the recorder may know of an agent beyond the events: its model, for LLM agents. */
export type AgentModelLookup = (agent: string) => string | undefined;

/** GenAI attributes of a `provider:model` id. */
function modelAttributes(model: string | undefined): Attributes {
  if (!model) return {};
  const i = model.indexOf(':');
  return i > 0 ? { 'gen_ai.provider.name': model.slice(0, i), 'gen_ai.request.model': model.slice(i + 1) } : { 'gen_ai.request.model': model };
}

export class RunSpanRecorder {
  private readonly runs = new Map<string, OpenRun>();

  constructor(
    private readonly tracer: Tracer,
    private readonly modelOf: AgentModelLookup = () => undefined,
  ) {}

  /** Feeds one event; the listener to give `orchestrator.on`. */
  readonly record = (event: RunEvent): void => {
    const at = new Date(event.at);
    if (event.type === 'run.started' || (event.type === 'run.resumed' && !this.runs.has(event.runId))) {
      this.openRun(event, at);
      return;
    }
    const run = this.runs.get(event.runId);
    if (!run) return;
    switch (event.type) {
      case 'run.resumed':
        run.span.addEvent('run.resumed', { 'baton.interrupted_attempts': event.interruptedAttempts.length, ...(event.owner ? { 'baton.owner': event.owner.id } : {}) }, at);
        return;
      case 'integration.started':
        run.span.addEvent('integration.started', { 'baton.integrator': event.integrator }, at);
        return;
      case 'integration.ended':
        run.span.addEvent('integration.ended', { 'baton.integration.ok': event.ok, 'baton.integration.duration_ms': event.durationMs, ...(event.error ? { 'baton.integration.error': clip(event.error) } : {}) }, at);
        return;
      case 'plan.created':
      case 'plan.replaced':
        run.span.addEvent(event.type, { 'baton.planner': event.planner, 'baton.tasks': event.plan.tasks.map((t) => t.id) }, at);
        run.span.setAttribute('baton.planner', event.planner);
        return;
      case 'task.started': {
        const task = this.task(run, event.runId, event.taskId, at);
        const span = this.tracer.startSpan(
          `invoke_agent ${event.agent}`,
          {
            kind: SpanKind.INTERNAL,
            startTime: at,
            attributes: {
              'gen_ai.operation.name': 'invoke_agent',
              'gen_ai.agent.name': event.agent,
              'gen_ai.agent.version': event.agentVersion,
              'baton.run.id': event.runId,
              'baton.task.id': event.taskId,
              'baton.attempt.number': event.attempt,
              'baton.attempt.id': event.attemptId,
              ...modelAttributes(this.modelOf(event.agent)),
              ...(event.feedback ? { 'baton.attempt.feedback': clip(event.feedback) } : {}),
            },
          },
          trace.setSpan(context.active(), task),
        );
        run.attempts.set(event.attemptId, span);
        return;
      }
      case 'task.attempt.failed': {
        const span = run.attempts.get(event.attemptId);
        if (!span) return;
        span.setAttributes({ 'baton.attempt.status': event.status, 'error.type': event.status, ...usageAttributes(event.usage) });
        span.setStatus({ code: SpanStatusCode.ERROR, message: clip(event.error) });
        span.end(at);
        run.attempts.delete(event.attemptId);
        return;
      }
      case 'task.succeeded': {
        const span = run.attempts.get(event.attemptId);
        if (span) {
          span.setAttributes({ 'baton.attempt.status': 'succeeded', ...usageAttributes(event.usage) });
          span.setStatus({ code: SpanStatusCode.OK });
          span.end(at);
          run.attempts.delete(event.attemptId);
        }
        this.endTask(run, event.taskId, 'succeeded', undefined, at, event.runId);
        return;
      }
      case 'task.retrying':
        this.task(run, event.runId, event.taskId, at).addEvent('task.retrying', { 'baton.agent': event.agent, 'baton.attempt.number': event.attempt, 'baton.delay_ms': event.delayMs }, at);
        return;
      case 'task.reassigned':
        this.task(run, event.runId, event.taskId, at).addEvent('task.reassigned', { 'baton.from': event.from, 'baton.to': event.to, 'baton.reason': clip(event.reason) }, at);
        return;
      case 'task.failed':
      case 'task.skipped':
      case 'task.cancelled':
        this.endTask(run, event.taskId, event.type.slice('task.'.length), event.reason, at, event.runId);
        return;
      case 'usage':
        run.usage.llmCalls += event.usage.llmCalls;
        run.usage.inputTokens += event.usage.inputTokens;
        run.usage.outputTokens += event.usage.outputTokens;
        return;
      case 'run.ended':
        for (const span of run.attempts.values()) span.end(at);
        for (const [id] of run.tasks) this.endTask(run, id, 'unfinished', event.reason, at, event.runId);
        run.span.setAttributes({ 'baton.run.status': event.status, ...usageAttributes(run.usage) });
        if (event.reason) run.span.setAttribute('baton.run.reason', clip(event.reason));
        run.span.setStatus(event.status === 'failed' ? { code: SpanStatusCode.ERROR, message: clip(event.reason ?? 'run failed') } : { code: SpanStatusCode.OK });
        run.span.end(at);
        this.runs.delete(event.runId);
        return;
    }
  };

  /** Ends every open span (at shutdown), so nothing is lost. */
  endAll(): void {
    const now = new Date();
    for (const run of this.runs.values()) {
      for (const span of run.attempts.values()) span.end(now);
      for (const span of run.tasks.values()) span.end(now);
      run.span.end(now);
    }
    this.runs.clear();
  }

  private openRun(event: Extract<RunEvent, { type: 'run.started' | 'run.resumed' }>, at: Date): void {
    const attributes: Attributes = { 'baton.run.id': event.runId, 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.conversation.id': event.runId };
    if (event.type === 'run.started') {
      attributes['baton.goal'] = clip(event.goal);
      attributes['gen_ai.agent.name'] = event.orchestrator;
    } else {
      attributes['baton.resumed'] = true;
    }
    const span = this.tracer.startSpan('baton.run', { kind: SpanKind.INTERNAL, startTime: at, attributes });
    this.runs.set(event.runId, { span, tasks: new Map(), attempts: new Map(), usage: { llmCalls: 0, inputTokens: 0, outputTokens: 0 } });
  }

  private task(run: OpenRun, runId: string, taskId: string, at: Date): Span {
    let span = run.tasks.get(taskId);
    if (!span) {
      span = this.tracer.startSpan('baton.task', { kind: SpanKind.INTERNAL, startTime: at, attributes: { 'baton.run.id': runId, 'baton.task.id': taskId } }, trace.setSpan(context.active(), run.span));
      run.tasks.set(taskId, span);
    }
    return span;
  }

  private endTask(run: OpenRun, taskId: string, status: string, reason: string | undefined, at: Date, runId: string): void {
    const span = this.task(run, runId, taskId, at);
    span.setAttribute('baton.task.status', status);
    if (reason) span.setAttribute('baton.task.reason', clip(reason));
    // Skipped and cancelled tasks did not fail themselves: their status stays unset.
    if (status === 'succeeded') span.setStatus({ code: SpanStatusCode.OK });
    else if (status === 'failed' || status === 'unfinished') span.setStatus({ code: SpanStatusCode.ERROR, message: clip(reason ?? status) });
    span.end(at);
    run.tasks.delete(taskId);
  }
}
