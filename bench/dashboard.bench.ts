/**
 * What a large run's page costs the browser while it follows the run: the dashboard's run page in
 * Chromium (Debian's, or BATON_CHROMIUM), following a run of 1,500 short tasks (15 layers of 100,
 * six agents, 10 at a time) from its start to its end over `baton serve`'s HTTP API.
 *
 *   npm run build && node --import tsx bench/dashboard.bench.ts [tasks]
 *
 * The page is served from the built package (`npm run bench` builds first): build before running
 * this alone, or it measures the dashboard as last built.
 *
 * Prints how often the page read the run (`readsPerSec`: the page reads it again once the last
 * read and drawing are done, so a cheaper drawing shows a fresher page), what those reads carried
 * (`readKBPerSec`), the share of a core this process used meanwhile (`processCpuShare`: the server,
 * the run it serves and the bench's side of the browser), the share of the wall time
 * the page's main thread was busy (`busyShare`: scripts, style, layout and paint), its longest task,
 * and how long a click on a task of the ended run takes to show the task's details (median of 5).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { createOrchestrator, defineAgent, MemoryRunStore } from 'batonjs';
import { createServer } from 'batonjs-server';
import { median } from './median.ts';

const TASKS = Number(process.argv[2] ?? 1500);
const LAYER = 100;
const AGENTS = 6;
const DELAY_MS = 50;
const CHROMIUM = process.env['BATON_CHROMIUM'] ?? '/usr/bin/chromium';

/** What the page's scripts use of the browser (the bench is typed for Node, not the DOM). */
interface PageWindow {
  longTasks: number[];
  PerformanceObserver: new (callback: (list: { getEntries(): { duration: number }[] }) => void) => { observe(options: { type: string; buffered: boolean }): void };
  MouseEvent: new (type: string, init: { bubbles: boolean }) => unknown;
  requestAnimationFrame(callback: () => void): void;
  document: { querySelector(selector: string): { dispatchEvent(e: unknown): void; dataset: Record<string, string> } | null };
}

const agents = Array.from({ length: AGENTS }, (_, a) =>
  defineAgent({
    name: `a${a}`,
    description: `agent ${a}`,
    capabilities: [`c${a}`],
    produces: [`o${a}`],
    run: async () => {
      await new Promise((r) => setTimeout(r, DELAY_MS));
      return { [`o${a}`]: a };
    },
  }),
);
const tasks = Array.from({ length: TASKS }, (_, i) => ({ id: `t${i}`, agent: `a${i % AGENTS}`, dependsOn: i >= LAYER ? [`t${i - LAYER}`] : [] }));

const dataDir = mkdtempSync(path.join(tmpdir(), 'baton-dashboard-bench-'));
const server = await createServer({
  orchestrator: ({ limiter }) => createOrchestrator({ name: 'dashboard-bench', agents, store: new MemoryRunStore(), limiter, policy: { maxParallel: 10, runTimeoutMs: 600_000 } }),
  host: '127.0.0.1',
  port: 0,
  dataDir,
  telemetry: false,
  limits: { maxBodyBytes: 4 * 1024 * 1024 },
});
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
try {
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.addInitScript(() => {
    const w = globalThis as unknown as PageWindow;
    w.longTasks = [];
    new w.PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.longTasks.push(e.duration);
    }).observe({ type: 'longtask', buffered: true });
  });
  let reads = 0;
  let readBytes = 0;
  const sized: Promise<unknown>[] = [];
  const isRead = (url: string): boolean => /^\/v1\/runs\/[^/]+$/.test(new URL(url).pathname);
  page.on('request', (r) => {
    if (isRead(r.url())) reads++;
  });
  page.on('requestfinished', (r) => {
    if (isRead(r.url())) sized.push(r.sizes().then((s) => (readBytes += s.responseBodySize)));
  });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const busySeconds = async (): Promise<number> => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration')?.value ?? 0;

  const res = await fetch(`${server.url}/v1/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ plan: { tasks } }) });
  const { runId } = (await res.json()) as { runId?: string };
  if (!runId) throw new Error(`POST /v1/runs answered ${res.status}`);
  await page.goto(`${server.url}/#/runs/${runId}`);
  await page.locator('.plan-graph').waitFor({ timeout: 60_000 });
  const busy0 = await busySeconds();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  reads = 0;
  readBytes = 0;
  await page.locator('#run-status[data-status="succeeded"]').waitFor({ timeout: 600_000 });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const busyMs = ((await busySeconds()) - busy0) * 1000;
  const liveReads = reads;
  await Promise.all(sized);
  const liveReadBytes = readBytes;
  const longTasks = await page.evaluate(() => (globalThis as unknown as PageWindow).longTasks);

  const clicks: number[] = [];
  for (const n of [TASKS - 100, 7, Math.floor(TASKS / 2), TASKS - 266, 50].map((k) => ((k % TASKS) + TASKS) % TASKS)) {
    const id = `t${n}`;
    await page.locator(`.plan-graph .node[data-task="${id}"]`).scrollIntoViewIfNeeded();
    // From the click to the next frame after it: the details drawn and painted.
    const ms = await page.evaluate(
      (taskId) =>
        new Promise<number>((resolve, reject) => {
          const w = globalThis as unknown as PageWindow;
          const t = performance.now();
          w.document.querySelector(`.plan-graph .node[data-task="${taskId}"]`)?.dispatchEvent(new w.MouseEvent('click', { bubbles: true }));
          w.requestAnimationFrame(() =>
            setTimeout(() => {
              const shown = w.document.querySelector('#task-details .task-details')?.dataset['task'];
              if (shown === taskId) resolve(performance.now() - t);
              else reject(new Error(`the details of ${String(shown)} were shown for ${taskId}`));
            }),
          );
        }),
      id,
    );
    clicks.push(ms);
  }
  if (pageErrors.length) throw new Error(`the page failed: ${pageErrors.join('; ')}`);
  console.log(
    JSON.stringify({
      case: `${TASKS} tasks`,
      wallMs: Math.round(wallMs),
      readsPerSec: liveReads / (wallMs / 1000),
      readKBPerSec: liveReadBytes / 1024 / (wallMs / 1000),
      processCpuShare: (cpu.user + cpu.system) / 1000 / wallMs,
      busyShare: busyMs / wallMs,
      longestTaskMs: Math.round(Math.max(0, ...longTasks)),
      clickMs: median(clicks),
    }),
  );
} finally {
  await browser.close();
  await server.close();
  await server.orchestrator.close();
  rmSync(dataDir, { recursive: true, force: true });
}
