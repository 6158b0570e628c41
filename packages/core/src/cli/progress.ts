import type { RunEvent } from '../core/events.ts';
import type { Plan, PlannerName, RunResult } from '../core/types.ts';
import { color, formatMs } from './format.ts';

interface Row {
  id: string;
  agent: string;
  state: 'waiting' | 'running' | 'retrying' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';
  attempt: number;
  startedAt?: number;
  endedAt?: number;
  note?: string;
}

const ICON: Record<Row['state'], string> = {
  waiting: color.dim('·'),
  running: color.cyan('▶'),
  retrying: color.yellow('↻'),
  succeeded: color.green('✔'),
  failed: color.red('✖'),
  skipped: color.dim('↷'),
  cancelled: color.yellow('■'),
};

/**
 * Shows a run's progress on stderr: in a terminal, a live task list redrawn in place (task,
 * agent, attempt, elapsed); elsewhere, one plain line per event, so logs stay readable.
 */
export class ProgressView {
  private readonly rows = new Map<string, Row>();
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly live = Boolean(process.stderr.isTTY) && process.env.TERM !== 'dumb' && !process.env.CI,
  ) {}

  readonly onEvent = (e: RunEvent): void => {
    this.update(e);
    if (this.live && (e.type === 'run.started' || e.type === 'run.resumed')) {
      // Written once above the live list, which is redrawn below it.
      this.out.write(`${color.bold(e.runId)} ${e.type === 'run.started' ? color.dim(e.goal) : color.dim('resumed')}\n`);
    }
    if (this.live && (e.type === 'plan.created' || e.type === 'plan.replaced')) {
      // Above the list too: clear what was drawn, write the plan, and let the next draw start below it.
      const clear = this.drawn > 0 ? `\x1b[${this.drawn}A\x1b[0J` : '';
      this.drawn = 0;
      this.out.write(`${clear}${planLines(e.plan, e.planner, e.type === 'plan.replaced' ? e.reason : undefined).join('\n')}\n`);
    }
    if (this.live) {
      this.timer ??= setInterval(() => this.draw(), 100);
      this.timer.unref();
    } else {
      const line = plainLine(e);
      if (line) this.out.write(`${line}\n`);
    }
  };

  /** Stops redrawing and leaves the final list on screen. */
  finish(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.live) this.draw();
  }

  private update(e: RunEvent): void {
    const now = Date.parse(e.at);
    switch (e.type) {
      case 'plan.created':
      case 'plan.replaced':
        for (const t of e.plan.tasks) if (!this.rows.has(t.id)) this.rows.set(t.id, { id: t.id, agent: t.agent, state: 'waiting', attempt: 0 });
        return;
      case 'task.started': {
        const r = this.row(e.taskId);
        Object.assign(r, { agent: e.agent, state: 'running', attempt: e.attempt, startedAt: r.startedAt ?? now });
        delete r.note;
        return;
      }
      case 'task.retrying':
        Object.assign(this.row(e.taskId), { state: 'retrying', note: e.feedback });
        return;
      case 'task.reassigned':
        Object.assign(this.row(e.taskId), { state: 'retrying', agent: e.to, note: `reassigned from ${e.from}` });
        return;
      case 'task.succeeded':
        Object.assign(this.row(e.taskId), { state: 'succeeded', endedAt: now });
        return;
      case 'task.failed':
      case 'task.skipped':
      case 'task.cancelled': {
        const state = e.type === 'task.failed' ? 'failed' : e.type === 'task.skipped' ? 'skipped' : 'cancelled';
        Object.assign(this.row(e.taskId), { state, endedAt: now, note: e.reason });
        return;
      }
      case 'integration.started':
        this.rows.set(INTEGRATION_ROW, { id: INTEGRATION_ROW, agent: e.integrator === 'default' ? 'orchestrator' : 'integrator', state: 'running', attempt: 1, startedAt: now });
        return;
      case 'integration.ended':
        Object.assign(this.row(INTEGRATION_ROW), { state: e.ok ? 'succeeded' : 'failed', endedAt: now, ...(e.error ? { note: e.error } : {}) });
        return;
      case 'run.started':
      case 'run.resumed':
      case 'task.attempt.failed':
      case 'usage':
      case 'run.ended':
        return;
    }
  }

  private row(id: string): Row {
    let r = this.rows.get(id);
    if (!r) {
      r = { id, agent: '?', state: 'waiting', attempt: 0 };
      this.rows.set(id, r);
    }
    return r;
  }

  private draw(): void {
    const width = this.out.columns || 100;
    const lines = [...this.rows.values()].map((r) => {
      const elapsed = r.startedAt === undefined ? '' : formatMs((r.endedAt ?? Date.now()) - r.startedAt);
      const attempt = r.attempt > 1 ? color.yellow(` attempt ${r.attempt}`) : '';
      const note = r.note ? color.dim(`  ${r.note}`) : '';
      return truncate(`${ICON[r.state]} ${r.id.padEnd(28)} ${r.agent.padEnd(14)} ${elapsed.padStart(7)}${attempt}${note}`, width);
    });
    let s = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    for (const l of lines) s += `\x1b[2K${l}\n`;
    this.out.write(s);
    this.drawn = lines.length;
  }
}

/** The live list's row for the integration phase. */
const INTEGRATION_ROW = '(integration)';

// Colour codes, which take no room on screen.
const ANSI_SGR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

function truncate(s: string, width: number): string {
  const visible = s.replace(ANSI_SGR, '');
  return visible.length <= width - 1 ? s : `${visible.slice(0, width - 2)}…`;
}

function plainLine(e: RunEvent): string | undefined {
  switch (e.type) {
    case 'run.started':
      return `run ${e.runId} started: ${e.goal}`;
    case 'run.resumed':
      return `run ${e.runId} resumed${e.reason ? ` (${e.reason})` : ''}: ${e.interruptedAttempts.length} interrupted attempt(s) will be redone`;
    case 'plan.created':
      return planLines(e.plan, e.planner).join('\n');
    case 'plan.replaced':
      return planLines(e.plan, e.planner, e.reason).join('\n');
    case 'task.started':
      return `▶ ${e.taskId} → ${e.agent} (attempt ${e.attempt})`;
    case 'task.attempt.failed':
      return `  ${e.taskId}: attempt ${e.attempt} by ${e.agent} ${e.status}: ${e.error}`;
    case 'task.retrying':
      return `↻ ${e.taskId}: retrying ${e.agent} in ${e.delayMs} ms`;
    case 'task.reassigned':
      return `⇄ ${e.taskId}: reassigned ${e.from} → ${e.to}`;
    case 'task.succeeded':
      return `✔ ${e.taskId} by ${e.agent} (attempt ${e.attempt})`;
    case 'task.failed':
      return `✖ ${e.taskId} failed: ${e.reason}`;
    case 'task.skipped':
      return `↷ ${e.taskId} skipped: ${e.reason}`;
    case 'task.cancelled':
      return `■ ${e.taskId} cancelled: ${e.reason}`;
    case 'integration.started':
      return `▶ integrating the deliverable (${e.integrator})`;
    case 'integration.ended':
      return e.ok ? `✔ deliverable integrated in ${formatMs(e.durationMs)}` : `✖ integration failed: ${e.error ?? 'unknown error'}`;
    case 'usage':
    case 'run.ended':
      return undefined;
  }
}

/**
 * What was planned and why, shown before the tasks start: one line with the requested and excluded
 * artifacts, one line per task with its reason, then the planner's notes (what was ignored or
 * excluded, which producer was chosen).
 *
 * ```text
 * plan (builtin): 2 tasks; requested: metrics, charts; excluded: summary
 *   t1-extract-sales-dataset [data]: needed by t2-compute-metrics
 *   t2-compute-metrics [analytics]: goal words 'revenue', 'region' are about it
 *   note: "summary" was excluded ('summary'): not planned, not delivered
 * ```
 */
export function planLines(plan: Plan, planner: PlannerName, replacedBecause?: string): string[] {
  const count = `${plan.tasks.length} task${plan.tasks.length === 1 ? '' : 's'}`;
  const requested = plan.requested?.length ? `; requested: ${plan.requested.join(', ')}` : '';
  const excluded = plan.excluded?.length ? `; excluded: ${plan.excluded.join(', ')}` : '';
  const head = `${replacedBecause === undefined ? 'plan' : 'new plan'} (${planner}): ${count}${requested}${excluded}`;
  const lines = [replacedBecause === undefined ? head : `${head} (${replacedBecause})`];
  for (const t of plan.tasks) lines.push(`  ${t.id} [${t.agent}]${t.reason ? `: ${t.reason}` : ''}`);
  for (const n of plan.notes ?? []) lines.push(`  note: ${n}`);
  return lines;
}

/** The who-did-what table printed at the end of a run. */
export function summaryTable(result: RunResult): string {
  const header = ['task', 'agent', 'status', 'attempts', 'time'];
  const rows = result.tasks.map((t) => {
    const first = t.attempts[0];
    const last = t.attempts[t.attempts.length - 1];
    const ms = first && last?.endedAt ? Date.parse(last.endedAt) - Date.parse(first.startedAt) : undefined;
    const agents = [...new Set(t.attempts.map((a) => a.agent))];
    return [t.id, agents.length ? agents.join(' → ') : t.agent, t.status, String(t.attempts.length), ms === undefined ? '-' : formatMs(ms)];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [fmt(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}
