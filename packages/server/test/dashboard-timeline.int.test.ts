/**
 * A timeline with many new bars makes them over several tasks of the page
 * (packages/server/src/dashboard/timeline.js): at most BARS_AT_ONCE in the drawing's own task, the
 * rest in the tasks after. In Chromium: the timeline it ends as, read again meanwhile, is the
 * timeline drawn in one step, bar for bar and in the same order; a timeline no longer on the page
 * makes no more.
 */
import { describe, expect, it } from 'vitest';
import { useDashboardBrowser } from './chromium.ts';
import { startTestServer } from './support.ts';

/** What the page's script uses of the DOM (the test is typed for Node, not the browser). */
interface El {
  outerHTML: string;
  querySelectorAll(selector: string): Iterable<El> & { length: number };
  append(child: El): void;
  remove(): void;
}
interface PageGlobals {
  document: { body: El; createElement(tag: string): El };
}
type TimelineView = (run: unknown, width: number, selected?: string) => El;

interface Drawn {
  attempts: number;
  atOnce: number;
  madeAtOnce: number;
  madeAtSecondRead: number;
  oneStep: string[];
  inSteps: string[];
  links: [number, number];
  detachedMade: number;
}

describe('a large run’s timeline (Chromium)', () => {
  const newPage = useDashboardBrowser();

  it('makes at most BARS_AT_ONCE bars in a drawing, the rest after, and ends as the timeline drawn in one step', { timeout: 120_000 }, async () => {
    const t = await startTestServer({ agents: [] });
    try {
      const page = await newPage();
      await page.goto(`${t.url}/`);
      const drawn = await page.evaluate(async (): Promise<Drawn> => {
        const doc = (globalThis as unknown as PageGlobals).document;
        // Made in the page: the test's own `import()` would be rewritten for Node by Vitest.
        const load = new Function('url', 'return import(url)') as (url: string) => Promise<unknown>;
        const { timelineView, BARS_AT_ONCE } = (await load('/assets/timeline.js')) as {
          timelineView(onSelect: (id: string) => void, barsAtOnce?: number): TimelineView;
          BARS_AT_ONCE: number;
        };
        const TASKS = Math.round(BARS_AT_ONCE * 2.5);
        const t0 = Date.parse('2026-01-01T00:00:00.000Z');
        const iso = (ms: number): string => new Date(t0 + ms).toISOString();
        // An ended run (nothing depends on the clock) of the tasks from `from` on: every
        // `failing`th task failed once and was retried, every 11th reassigned.
        const runAt = (failing: number, from: number) => ({
          startedAt: iso(0),
          endedAt: iso(60_000),
          tasks: Array.from({ length: TASKS - from }, (_, k) => {
            const i = from + k;
            const agent = `agent-${i % 5}`;
            const start = i * 20;
            const first = { n: 1, agent, startedAt: iso(start), endedAt: iso(start + 900), status: i % failing === 0 ? 'failed' : 'succeeded', error: i % failing === 0 ? `task ${i} failed` : undefined };
            if (i % failing !== 0 && i % 11 !== 0) return { id: `t${i}`, attempts: [first] };
            const next = i % 11 === 0 ? `agent-${(i + 1) % 5}` : agent;
            return { id: `t${i}`, attempts: [{ ...first, status: 'failed', error: `task ${i} failed` }, { n: 2, agent: next, startedAt: iso(start + 1000), endedAt: iso(start + 1500), status: 'succeeded' }] };
          }),
        });
        // First the last tasks only, over BARS_AT_ONCE attempts; then all of them, read again while
        // bars are still being made: the bars made after come before some made at once.
        const first = runAt(7, TASKS - BARS_AT_ONCE);
        const later = runAt(13, 0);
        const attempts = later.tasks.reduce((n, task) => n + task.attempts.length, 0);
        const placed = (): El => {
          const wrap = doc.createElement('div');
          doc.body.append(wrap);
          return wrap;
        };
        const bars = (svg: El): string[] => [...svg.querySelectorAll('.bar')].map((g) => g.outerHTML);

        const oneView = timelineView(() => undefined, Infinity);
        const one = oneView(first, 1200, 't2000');
        placed().append(one);
        oneView(later, 1200, 't8');

        const view = timelineView(() => undefined);
        const svg = view(first, 1200, 't2000');
        const madeAtOnce = svg.querySelectorAll('.bar').length;
        placed().append(svg);
        // Read again before any bar left to make was made: what was left is the first read's no more.
        view(later, 1200, 't8');
        const madeAtSecondRead = svg.querySelectorAll('.bar').length;
        const deadline = Date.now() + 20_000;
        while (svg.querySelectorAll('.bar').length < attempts) {
          if (Date.now() > deadline) throw new Error(`the timeline made ${svg.querySelectorAll('.bar').length} of ${attempts} bars`);
          await new Promise((r) => setTimeout(r, 5));
        }
        // One task more: nothing is left to make, or to move.
        await new Promise((r) => setTimeout(r, 20));

        const away = timelineView(() => undefined);
        const detached = placed();
        detached.append(away(later, 1200));
        detached.remove();
        await new Promise((r) => setTimeout(r, 50));
        const detachedMade = detached.querySelectorAll('.bar').length;

        return {
          attempts,
          atOnce: BARS_AT_ONCE,
          madeAtOnce,
          madeAtSecondRead,
          oneStep: bars(one),
          inSteps: bars(svg),
          links: [svg.querySelectorAll('.link').length, one.querySelectorAll('.link').length],
          detachedMade,
        };
      });
      expect(drawn.attempts).toBeGreaterThan(2 * drawn.atOnce);
      expect(drawn.madeAtOnce).toBe(drawn.atOnce);
      // The second read came while bars were still to be made, and made as many new ones; what was made after shows it.
      expect(drawn.madeAtSecondRead).toBeLessThan(drawn.attempts);
      expect(drawn.madeAtSecondRead).toBeLessThanOrEqual(2 * drawn.atOnce);
      expect(drawn.inSteps.length).toBe(drawn.attempts);
      expect(drawn.inSteps).toEqual(drawn.oneStep);
      expect(drawn.inSteps.filter((html) => html.includes(' selected')).length).toBe(1);
      expect(drawn.links[0]).toBeGreaterThan(0);
      expect(drawn.links[0]).toBe(drawn.links[1]);
      expect(drawn.detachedMade).toBe(drawn.atOnce);
      await page.close();
    } finally {
      await t.close();
    }
  });

  it('keeps a running run’s scale while the run fits in it, so that its bars stay where they are, and gives an ended run its length', { timeout: 60_000 }, async () => {
    const t = await startTestServer({ agents: [] });
    try {
      const page = await newPage();
      await page.goto(`${t.url}/`);
      const drawn = await page.evaluate(async () => {
        const load = new Function('url', 'return import(url)') as (url: string) => Promise<unknown>;
        const { timelineView } = (await load('/assets/timeline.js')) as { timelineView(onSelect: (id: string) => void): TimelineView };
        const iso = (ms: number): string => new Date(ms).toISOString();
        const t0 = Date.now() - 8000;
        // Two attempts ended, one still running: only the running one grows with the clock.
        const runAt = (endedAt?: number) => ({
          startedAt: iso(t0),
          ...(endedAt === undefined ? {} : { endedAt: iso(endedAt) }),
          tasks: [
            { id: 'a', attempts: [{ n: 1, agent: 'x', startedAt: iso(t0), endedAt: iso(t0 + 800), status: 'succeeded' }] },
            { id: 'b', attempts: [{ n: 1, agent: 'x', startedAt: iso(t0 + 900), endedAt: iso(t0 + 1500), status: 'succeeded' }] },
            { id: 'c', attempts: [{ n: 1, agent: 'y', startedAt: iso(t0 + 1000), ...(endedAt === undefined ? {} : { endedAt: iso(endedAt), status: 'succeeded' }) }] },
          ],
        });
        const view = timelineView(() => undefined);
        const rects = (svg: El): string[] => [...svg.querySelectorAll('.bar-box')].map((r) => r.outerHTML);
        const rightOf = (svg: El, task: string): number => {
          const box = [...svg.querySelectorAll(`.bar[data-task="${task}"] .bar-box`)][0] as unknown as { getAttribute(name: string): string };
          return Number(box.getAttribute('x')) + Number(box.getAttribute('width'));
        };
        const svg = view(runAt(), 1200);
        const first = rects(svg);
        // The run's length when first drawn was at most this: its scale, a quarter more.
        const firstLength = Date.now() - t0;
        await new Promise((r) => setTimeout(r, 50));
        const again = rects(view(runAt(), 1200));
        const againRight = rightOf(svg, 'c');
        // Past the scale: it grows.
        while (Date.now() - t0 <= Math.ceil(firstLength * 1.25) + 50) await new Promise((r) => setTimeout(r, 20));
        const same = runAt();
        const grown = rects(view(same, 1200));
        const grownRight = rightOf(svg, 'c');
        // The same attempts read again, another task selected: an ended bar drawn as before is still restyled.
        view(same, 1200, 'a');
        const selected = [...svg.querySelectorAll('.bar.selected')].map((g) => (g as unknown as { dataset: Record<string, string> }).dataset['task']);
        const endedAt = Date.now();
        view(runAt(endedAt), 1200);
        return { first, again, grown, againRight, grownRight, selected, lastRight: rightOf(svg, 'c') };
      });
      expect(drawn.again.slice(0, 2)).toEqual(drawn.first.slice(0, 2));
      expect(drawn.again[2]).not.toEqual(drawn.first[2]);
      expect(drawn.grown.slice(0, 2)).not.toEqual(drawn.first.slice(0, 2));
      expect(drawn.selected).toEqual(['a']);
      // The running bar grows, within the plot.
      expect(drawn.againRight).toBeLessThanOrEqual(1200 - 18);
      expect(drawn.grownRight).toBeLessThanOrEqual(1200 - 18);
      // An ended run fills the timeline's width: its last bar ends at the plot's right edge.
      expect(drawn.lastRight).toBeCloseTo(1200 - 18, 3);
      await page.close();
    } finally {
      await t.close();
    }
  });

  it('draws a task retried hundreds of times as its last BARS_PER_TASK attempts and one bar per agent for those before, and lists its last ATTEMPTS_SHOWN attempts', { timeout: 60_000 }, async () => {
    const t = await startTestServer({ agents: [] });
    try {
      const page = await newPage();
      await page.goto(`${t.url}/`);
      const drawn = await page.evaluate(async () => {
        const doc = (globalThis as unknown as PageGlobals).document;
        const load = new Function('url', 'return import(url)') as (url: string) => Promise<unknown>;
        const { timelineView, BARS_PER_TASK } = (await load('/assets/timeline.js')) as { timelineView(onSelect: (id: string) => void): TimelineView; BARS_PER_TASK: number };
        const { taskDetails, ATTEMPTS_SHOWN } = (await load('/assets/task-details.js')) as { taskDetails(run: unknown, taskId: string): El; ATTEMPTS_SHOWN: number };
        const t0 = Date.parse('2026-01-01T00:00:00.000Z');
        const iso = (ms: number): string => new Date(t0 + ms).toISOString();
        // 250 attempts of one task: the first 30 by one agent, then reassigned; one of them timed out. Another task beside it, once.
        const attempts = Array.from({ length: 250 }, (_, i) => ({
          n: i + 1,
          agent: i < 30 ? 'first' : 'second',
          startedAt: iso(i * 10),
          endedAt: iso(i * 10 + 5),
          status: i === 249 ? 'succeeded' : i === 40 ? 'timeout' : 'failed',
          ...(i === 249 ? {} : { error: `not yet ${i + 1}` }),
        }));
        const run = {
          startedAt: iso(0),
          endedAt: iso(2600),
          plan: { tasks: [{ id: 'poll', title: 'Poll', agent: 'first', consumes: [], produces: ['status'], instructions: 'poll' }, { id: 'other', title: 'Other', agent: 'third', consumes: [], produces: ['x'], instructions: 'x' }] },
          tasks: [
            { id: 'poll', agent: 'second', status: 'succeeded', attempts, output: { status: 'ok' } },
            { id: 'other', agent: 'third', status: 'succeeded', attempts: [{ n: 1, agent: 'third', startedAt: iso(100), endedAt: iso(200), status: 'succeeded' }] },
          ],
        };
        const svg = timelineView(() => undefined)(run, 1200);
        const bars = [...svg.querySelectorAll('.bar')].map((g) => {
          const el = g as unknown as { dataset: Record<string, string>; getAttribute(name: string): string; textContent: string };
          return { task: el.dataset['task'], attempt: el.dataset['attempt'], folded: el.getAttribute('class').includes('st-folded'), text: el.textContent };
        });
        const details = taskDetails(run, 'poll');
        doc.body.append(details);
        const rows = [...details.querySelectorAll('.attempts tbody tr')].map((tr) => (tr as unknown as { textContent: string }).textContent);
        return { BARS_PER_TASK, ATTEMPTS_SHOWN, bars, links: svg.querySelectorAll('.link').length, rows };
      });
      const poll = drawn.bars.filter((b) => b.task === 'poll');
      // The last BARS_PER_TASK attempts each have a bar; the 150 before, one bar per agent that made them.
      expect(poll.filter((b) => !b.folded).map((b) => Number(b.attempt))).toEqual(Array.from({ length: drawn.BARS_PER_TASK }, (_, i) => 251 - drawn.BARS_PER_TASK + i));
      expect(poll.filter((b) => b.folded).map((b) => [b.attempt, b.text])).toEqual([
        ['1–30', expect.stringMatching(/^poll, attempts 1–30 by first: 30 attempts in .+poll ×30$/)],
        ['31–150', expect.stringMatching(/^poll, attempts 31–150 by second: 120 attempts in .+poll ×120$/)],
      ]);
      expect(drawn.bars.filter((b) => b.task === 'other').map((b) => b.attempt)).toEqual(['1']);
      // A link into each attempt drawn on its own (its previous attempt ended), none between folded ones.
      expect(drawn.links).toBe(drawn.BARS_PER_TASK);
      // The details list the last ATTEMPTS_SHOWN, after a row saying what the others were.
      expect(drawn.rows).toHaveLength(drawn.ATTEMPTS_SHOWN + 1);
      expect(drawn.rows[0]).toMatch(new RegExp(`^${250 - drawn.ATTEMPTS_SHOWN} earlier attempts not shown \\(#1 to #${250 - drawn.ATTEMPTS_SHOWN}, from .+\\): ${249 - drawn.ATTEMPTS_SHOWN} failed, 1 timed out$`));
      expect(drawn.rows[1]).toMatch(new RegExp(`^${251 - drawn.ATTEMPTS_SHOWN}second`));
      expect(drawn.rows.at(-1)).toMatch(/^250second/);
      await page.close();
    } finally {
      await t.close();
    }
  });
});
