/**
 * The sales report in LLM mode, end to end: `baton run -m examples/sales-report/baton.llm.yaml`
 * in a child process, with its model served by the OpenAI-compatible stub over HTTP. The stub
 * plays the planner, the data agent (calling the real sales-db MCP server over stdio), the
 * summary writer (first with a wrong number) and the judge.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../core/src/core/types.ts';
import type { Metrics, SalesDataset, Summary } from '../../../examples/sales-report/lib/artifacts.ts';
import { writeSummary } from '../../../examples/sales-report/lib/summary-text.ts';
import { sampleDatabase } from '../../../examples/sales-report/test/support.ts';
import { startOpenAiStub, textOf } from './support/openai-stub.ts';
import type { ChatRequest, OpenAiStub, StubReply } from './support/openai-stub.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const MANIFEST = 'examples/sales-report/baton.llm.yaml';
const GOAL = 'Q2 2026 sales report vs last year';
const tmp = mkdtempSync(path.join(tmpdir(), 'baton-sales-llm-'));

const TOTALS = 'COUNT(*) AS orders, SUM(units) AS units, SUM(units * unit_price) AS grossSales, SUM(units * unit_price * (1 - discount)) AS revenue, SUM(cost) AS cost';
const SQL = {
  rows: `SELECT substr(order_date, 1, 7) AS month, region, product, category, channel, segment, ${TOTALS} FROM orders WHERE order_date BETWEEN ? AND ? GROUP BY 1, 2, 3, 4, 5, 6`,
  countries: `SELECT region, country, ${TOTALS} FROM orders WHERE order_date BETWEEN ? AND ? GROUP BY region, country`,
  trend: `SELECT substr(order_date, 1, 7) AS month, region, ${TOTALS} FROM orders WHERE order_date BETWEEN ? AND ? GROUP BY 1, 2`,
};

const PLAN = {
  tasks: [
    { id: 't1-write-sales-sql', title: 'Write the sales SQL', instructions: 'Write the SQL for Q2 2026 and last year', agent: 'data', dependsOn: [], consumes: [], produces: ['sales-sql'] },
    { id: 't2-run-sales-sql', title: 'Run the SQL', instructions: 'Run it for each period', agent: 'data-runner', dependsOn: ['t1-write-sales-sql'], consumes: ['sales-sql'], produces: ['sales-dataset'] },
    { id: 't3-analyze-sales', title: 'Compute metrics and charts', instructions: 'KPIs and charts', agent: 'analytics', dependsOn: ['t2-run-sales-sql'], consumes: ['sales-dataset'], produces: ['metrics', 'charts'] },
    { id: 't4-write-summary', title: 'Write the summary', instructions: 'Executive summary', agent: 'summary', dependsOn: ['t3-analyze-sales'], consumes: ['metrics'], produces: ['summary'] },
  ],
  requested: ['metrics', 'charts', 'summary'],
};

/** The JSON inside `<data name="...">` of a prompt (JSON-escaped angle brackets parse as such). */
function quoted(text: string, name: string): unknown {
  const m = new RegExp(`<data name="${name}">\\n([\\s\\S]*?)\\n</data>`).exec(text);
  if (!m?.[1]) throw new Error(`no ${name} data block in the prompt`);
  return JSON.parse(m[1]);
}

const seen = { toolResults: [] as string[], summaryCalls: 0, judged: 0 };

/** The stub model: who is asking is read from the system prompt, as a real model would. */
function answer(req: ChatRequest): StubReply {
  const system = textOf(req.messages.find((m) => m.role === 'system'));
  const user = textOf(req.messages.find((m) => m.role === 'user'));
  if (system.includes('You are the planner')) return { json: PLAN };
  if (system.includes('quality judge')) {
    seen.judged++;
    return { json: { verdicts: [{ rubric: 1, pass: true, reason: 'headline states revenue and change; risks have actions' }] } };
  }
  if (system.includes('sub-agent "data"')) {
    const results = req.messages.filter((m) => m.role === 'tool').map(textOf);
    seen.toolResults = results;
    if (results.length === 0) return { toolCalls: [{ name: 'describe_database', arguments: {} }] };
    if (results.length === 1) return { toolCalls: [{ name: 'run_select', arguments: { sql: 'DELETE FROM orders' } }] };
    if (results.length === 2) return { toolCalls: [{ name: 'run_select', arguments: { sql: SQL.rows, params: ['2026-04-01', '2026-06-30'] } }] };
    return { json: { 'sales-sql': SQL } };
  }
  if (system.includes('sub-agent "summary"')) {
    seen.summaryCalls++;
    const summary: Summary = { ...writeSummary(quoted(user, 'metrics') as Metrics), method: 'llm' };
    if (!user.includes('previous reply was rejected')) {
      // First draft: a revenue figure that is not the metrics' one.
      const e = summary.headline.evidence[0]!;
      summary.headline.text = summary.headline.text.replace(e.text, '$99.9M');
      summary.headline.evidence[0] = { ...e, text: '$99.9M', value: 99_900_000 };
    }
    return { json: { summary } };
  }
  return { status: 400, error: `the stub does not know this caller: ${system.slice(0, 80)}` };
}

let stub: OpenAiStub;
let run: { code: number | null; result: RunResult; stderr: string };

beforeAll(async () => {
  sampleDatabase();
  stub = await startOpenAiStub(answer);
  run = await new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', BATON_MODEL: 'openai-compatible:stub-model', OPENAI_BASE_URL: stub.url, BATON_SALES_DB: '' };
    delete env.BATON_SUMMARY_MODEL;
    const child = spawn(process.execPath, ['packages/core/bin/baton.js', 'run', '-m', MANIFEST, '--json', '--store', 'memory', '--out', path.join(tmp, 'out'), GOAL], { cwd: root, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        resolve({ code, result: JSON.parse(stdout) as RunResult, stderr });
      } catch (e) {
        reject(new Error(`no RunResult (exit ${code}): ${stderr.slice(-3000)}`, { cause: e }));
      }
    });
  });
}, 180_000);

afterAll(async () => {
  await stub?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('sales report in LLM mode (CLI, OpenAI-compatible server)', () => {
  it('succeeds with the LLM plan and writes the report', () => {
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    expect(run.result.status).toBe('succeeded');
    expect(run.result.planner).toBe('llm');
    expect(run.result.plan.tasks.map((t) => t.agent)).toEqual(['data', 'data-runner', 'analytics', 'summary']);
    expect(run.result.tasks.every((t) => t.status === 'succeeded')).toBe(true);
    expect(readFileSync(path.join(tmp, 'out', 'report.html'), 'utf8')).toContain('planned by the llm planner');
    expect(stub.requests.every((r) => r.model === 'stub-model')).toBe(true);
  });

  it('the data agent wrote its SQL from the schema through the MCP server, which refused anything but a SELECT', () => {
    const [schema, refused, preview] = seen.toolResults;
    expect(schema).toContain('order_date');
    expect(schema).toContain('unit_price');
    expect(refused).toMatch(/only runs SELECT statements/);
    expect(preview).toContain('grossSales');
    const dataset = run.result.tasks.find((t) => t.id === 't2-run-sales-sql')?.output?.['sales-dataset'] as SalesDataset;
    expect(dataset.queries.every((q) => Object.values(SQL).includes(q.sql))).toBe(true);
    expect(dataset.queries.map((q) => q.name)).toContain('rows: Q2 2026');
    expect(dataset.rows.some((r) => r.period === 'year_ago')).toBe(true);
  });

  it("the summary's numbers were checked against the metrics: a wrong one was sent back, the fixed one kept", () => {
    const task = run.result.tasks.find((t) => t.id === 't4-write-summary')!;
    expect(task.attempts.map((a) => a.status)).toEqual(['invalid', 'succeeded']);
    expect(task.attempts[0]?.error).toMatch(/headline: evidence \/kpis\/revenue\/value says 99900000, but the metrics hold/);
    expect(task.attempts[1]?.feedback).toContain('99900000');
    const summary = run.result.deliverable.artifacts.summary as Summary;
    expect(summary.method).toBe('llm');
    expect(summary.headline.text).not.toContain('$99.9M');
    expect(seen.summaryCalls).toBe(2);
    expect(seen.judged).toBe(1);
  });

  it('counts every model call and token in the RunResult', () => {
    // planner 1 + data agent 4 (3 tool steps and the answer) + summary 2 + judge 1
    expect(run.result.usage).toEqual({ llmCalls: 8, inputTokens: 800, outputTokens: 400 });
    expect(run.result.tasks.find((t) => t.id === 't1-write-sales-sql')?.usage?.llmCalls).toBe(4);
    expect(run.result.tasks.find((t) => t.id === 't4-write-summary')?.usage?.llmCalls).toBe(3);
    expect(readFileSync(path.join(tmp, 'out', 'run.json'), 'utf8')).toContain('"llmCalls": 8');
    expect(readFileSync(path.join(tmp, 'out', 'report.md'), 'utf8')).toContain('Model usage: 8 model calls, 800 input and 400 output tokens.');
  });
});
