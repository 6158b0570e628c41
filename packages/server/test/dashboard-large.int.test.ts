import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { defineAgent } from '../../core/src/agents/define-agent.ts';
import { useDashboardBrowser } from './chromium.ts';
import { postJson, startTestServer } from './support.ts';

// A large run's page: it reads only what changed in the run since its last read; the plan graph
// and the timeline are kept from one read of the run to the next and changed where the run
// changed, so what a user focused stays focused, and they end as a page opened afresh draws the
// ended run. They have no motion, which would make the browser paint
// their thousands of elements on every frame.

const TASKS = 300;
const LAYER = 30;
/** The graph and the timeline as drawn, with the selected task marked the same on both pages. */
async function drawing(page: Page): Promise<string[]> {
  await page.locator('.plan-graph .node[data-task="t0"]').click();
  await page.locator('.task-details[data-task="t0"]').waitFor();
  return page.evaluate(() => {
    const doc = (globalThis as unknown as { document: { querySelector(s: string): { outerHTML: string } } }).document;
    return [doc.querySelector('.plan-graph').outerHTML, doc.querySelector('.timeline').outerHTML];
  });
}

describe('a large run’s page (Chromium)', () => {
  const newPage = useDashboardBrowser();

  it('keeps a focused task focused across reads, draws what a fresh page draws, and has no motion', { timeout: 120_000 }, async () => {
    let release: (() => void) | undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const agents = ['a', 'b', 'c'].map((name, k) =>
      defineAgent({
        name,
        description: `agent ${name}`,
        capabilities: [name],
        produces: [`o${k}`],
        async run(input) {
          const n = Number(input.task.id.slice(1));
          // The last layer waits for the test, so the run is live while its page is looked at.
          if (n >= TASKS - LAYER) await gate;
          else await new Promise((r) => setTimeout(r, 2 + (n % 5)));
          if (n === 7 && input.attempt === 1) throw new Error('not yet');
          return { [`o${k}`]: n };
        },
      }),
    );
    const t = await startTestServer({ agents, policy: { maxParallel: 8, retries: 2, backoff: { initialDelayMs: 1, factor: 1, maxDelayMs: 1, jitter: 0 } } });
    try {
      const tasks = Array.from({ length: TASKS }, (_, i) => ({ id: `t${i}`, agent: ['a', 'b', 'c'][i % 3], dependsOn: i >= LAYER ? [`t${i - LAYER}`] : [] }));
      const res = await postJson(`${t.url}/v1/runs`, { plan: { tasks } });
      expect(res.status).toBe(202);
      const { runId } = (await res.json()) as { runId: string };
      const page = await newPage();
      // After its first read, the page asks only for what changed since the read before.
      const reads: { since: string | null; delta: string | null }[] = [];
      page.on('response', (r) => {
        const url = new URL(r.url());
        if (url.pathname === `/v1/runs/${runId}`) reads.push({ since: url.searchParams.get('since'), delta: r.headers()['baton-delta'] ?? null });
      });
      await page.goto(`${t.url}/#/runs/${runId}`);

      const last = page.locator(`.plan-graph .node[data-task="t${TASKS - 1}"]`);
      await page.locator(`.plan-graph .node[data-task="t${TASKS - LAYER}"][data-status="running"]`).waitFor({ timeout: 60_000 });
      // No motion: neither the running tasks' stripes and bars nor the boxes' change of colour.
      const running = page.locator('.plan-graph .node[data-status="running"]').first();
      expect(await page.locator('.plan-graph').getAttribute('class')).toBe('plan-graph large');
      expect(await running.locator('.node-stripe').evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { animationName: string } }).getComputedStyle(el).animationName)).toBe('none');
      expect(await running.locator('.node-box').evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { transitionDuration: string } }).getComputedStyle(el).transitionDuration)).toBe('0s');
      const runningBar = page.locator('.timeline .bar.st-running .bar-box').first();
      expect(await runningBar.evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { animationName: string } }).getComputedStyle(el).animationName)).toBe('none');

      // A task focused from the keyboard stays focused, the same element, while the run is read
      // again; the timeline's bars are kept too.
      const firstBar = page.locator('.timeline .bar[data-task="t0"]');
      await firstBar.evaluate((el) => ((el as unknown as { kept: boolean }).kept = true));
      await last.evaluate((el) => {
        (el as unknown as { focus(): void; kept: boolean }).kept = true;
        (el as unknown as { focus(): void }).focus();
      });
      expect(await last.getAttribute('data-status')).toBe('pending');
      // No event comes while the last layer waits: the running bars are still drawn with the clock.
      // Not "wider": when the run outgrows the timeline's scale, the scale is made a quarter longer
      // and every bar narrower, and a bar running for long takes longer than the poll to grow back
      // (ci107, on a loaded machine: 993 px, then 985 at the poll's end).
      const waitingBar = page.locator(`.timeline .bar[data-task="t${TASKS - LAYER}"] .bar-box`);
      const widthNow = async (): Promise<number> => Number(await waitingBar.getAttribute('width'));
      const before = await widthNow();
      await expect.poll(widthNow, { timeout: 10_000 }).not.toBe(before);
      release?.();
      await page.locator('#run-status[data-status="succeeded"]').waitFor({ timeout: 60_000 });
      await page.locator(`.plan-graph .node[data-task="t${TASKS - 1}"][data-status="succeeded"]`).waitFor({ timeout: 30_000 });
      const focused = await page.evaluate(() => {
        const active = (globalThis as unknown as { document: { activeElement: { dataset?: { task?: string }; kept?: boolean } | null } }).document.activeElement;
        return { task: active?.dataset?.task, kept: active?.kept === true };
      });
      expect(focused).toEqual({ task: `t${TASKS - 1}`, kept: true });
      await page.keyboard.press('Enter');
      await page.locator(`.task-details[data-task="t${TASKS - 1}"]`).waitFor();
      expect(await firstBar.evaluate((el) => (el as unknown as { kept?: boolean }).kept)).toBe(true);

      expect(reads[0]).toEqual({ since: null, delta: null });
      const since = reads.filter((r) => r.since !== null);
      expect(since.length).toBeGreaterThan(0);
      expect(since.filter((r) => r.delta !== r.since)).toEqual([]);

      // Drawn as a fresh page draws the ended run: every state, agent, bar, link and label set.
      expect(await page.locator('.timeline .bar').count()).toBe(TASKS + 1);
      expect(await page.locator('.timeline .link.retry').count()).toBe(1);
      expect(await page.locator('.plan-graph .edge').count()).toBe(TASKS - LAYER);
      expect(await page.locator('.plan-graph .edge:not(.done)').count()).toBe(0);
      const live = await drawing(page);
      const fresh = await newPage();
      const streams: (string | undefined)[] = [];
      fresh.on('request', (r) => {
        if (new URL(r.url()).pathname === `/v1/runs/${runId}/events`) streams.push(r.headers()['last-event-id']);
      });
      // How many events the log holds after each change of it.
      await fresh.addInitScript(() => {
        const page = globalThis as unknown as {
          logSizes: number[];
          document: { addEventListener(type: string, listener: () => void): void; body: unknown };
          MutationObserver: new (callback: (records: { target: { classList?: { contains(c: string): boolean }; children: { length: number } } }[]) => void) => { observe(target: unknown, options: { childList: boolean; subtree: boolean }): void };
        };
        page.logSizes = [];
        page.document.addEventListener('DOMContentLoaded', () =>
          new page.MutationObserver((records) => {
            const log = records.find((r) => r.target.classList?.contains('event-log'));
            if (log) page.logSizes.push(log.target.children.length);
          }).observe(page.document.body, { childList: true, subtree: true }),
        );
      });
      await fresh.goto(`${t.url}/#/runs/${runId}`);
      await fresh.locator('#run-status[data-status="succeeded"]').waitFor({ timeout: 30_000 });
      await expect.poll(() => drawing(fresh), { timeout: 30_000 }).toEqual(live);
      // The ended run's events are sent from the last 400 on, the most its log shows, not all ~600.
      const lastSeq = Number((await fetch(`${t.url}/v1/runs/${runId}`)).headers.get('baton-seq'));
      expect(lastSeq).toBeGreaterThan(500);
      expect(streams[0]).toBe(String(lastSeq - 400));
      await expect.poll(() => fresh.locator('.event-log li').count()).toBe(400);
      expect(await fresh.locator('.event-log li .mono').first().textContent()).toBe(`#${lastSeq}`);
      // The log takes in what the stream read at once together, not its first event alone.
      const logSizes = await fresh.evaluate(() => (globalThis as unknown as { logSizes: number[] }).logSizes);
      expect(logSizes[0]).toBeGreaterThan(1);
      await fresh.close();

      // The timeline follows its box's width when the window changes.
      const widths = (): Promise<number[]> =>
        page.evaluate(() => {
          const doc = (globalThis as unknown as { document: { querySelector(s: string): { clientWidth: number; getAttribute(n: string): string } } }).document;
          return [Number(doc.querySelector('.timeline').getAttribute('width')), Math.max(480, doc.querySelector('.timeline-wrap').clientWidth)];
        });
      await page.setViewportSize({ width: 900, height: 900 });
      await expect.poll(async () => new Set(await widths()).size, { timeout: 10_000 }).toBe(1);
      expect((await widths())[0]).toBeLessThan(900);
      await page.close();
    } finally {
      release?.();
      await t.close();
    }
  });

  it('shows the plan as asked about before an edit, though its event is older than the log shows', { timeout: 120_000 }, async () => {
    const agents = ['a', 'b'].map((name, k) => defineAgent({ name, description: `agent ${name}`, capabilities: [name], produces: [`o${k}`], run: async () => ({ [`o${k}`]: k }) }));
    const t = await startTestServer({ agents, policy: { approval: 'plan' } });
    try {
      const tasks = Array.from({ length: 260 }, (_, i) => ({ id: `t${i}`, agent: ['a', 'b'][i % 2], dependsOn: i >= 20 ? [`t${i - 20}`] : [] }));
      const res = await postJson(`${t.url}/v1/runs`, { plan: { tasks } });
      const { runId } = (await res.json()) as { runId: string };
      await expect.poll(async () => ((await (await fetch(`${t.url}/v1/runs/${runId}`)).json()) as { status: string }).status, { timeout: 30_000 }).toBe('awaiting-approval');
      expect((await postJson(`${t.url}/v1/runs/${runId}/approve`, { plan: { tasks: tasks.slice(0, 250) }, by: 'Dana' })).status).toBe(200);
      await expect.poll(async () => ((await (await fetch(`${t.url}/v1/runs/${runId}`)).json()) as { status: string }).status, { timeout: 60_000 }).toBe('succeeded');
      const lastSeq = Number((await fetch(`${t.url}/v1/runs/${runId}`)).headers.get('baton-seq'));
      expect(lastSeq).toBeGreaterThan(500);

      const page = await newPage();
      await page.goto(`${t.url}/#/runs/${runId}`);
      await page.locator('#run-status[data-status="succeeded"]').waitFor({ timeout: 30_000 });
      await expect.poll(() => page.locator('#decisions .plan-diff h4').allTextContents(), { timeout: 30_000 }).toEqual(['Plan before the edit', 'Plan as approved']);
      await page.close();
    } finally {
      await t.close();
    }
  });
});
