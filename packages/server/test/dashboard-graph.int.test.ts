/**
 * A large plan's graph is drawn in steps (packages/server/src/dashboard/graph.js): the boxes and
 * edges of BOXES_AT_ONCE tasks at once, the others as many a step, then the texts a slice at a
 * time, what is in view first. In Chromium: the graph it ends as is the graph drawn in one step,
 * and a run's page of such a plan ends with every task shown as it ended.
 */
import { describe, expect, it } from 'vitest';
import { defineAgent } from '../../core/src/agents/define-agent.ts';
import { useDashboardBrowser } from './chromium.ts';
import { postJson, startTestServer } from './support.ts';

/** What the page's script uses of the DOM (the test is typed for Node, not the browser). */
interface El {
  className: string & { baseVal?: string };
  replaceChildren(...children: El[]): void;
  style: { cssText: string };
  firstChild: El;
  parentNode: El;
  nextElementSibling: El | null;
  outerHTML: string;
  dataset: Record<string, string>;
  classList?: { contains(name: string): boolean };
  scrollLeft: number;
  scrollTop: number;
  scrollWidth: number;
  prepend(child: El): void;
  remove(): void;
  append(child: El): void;
  querySelectorAll(selector: string): Iterable<El> & { length: number };
  getBoundingClientRect(): { left: number; right: number; top: number; bottom: number };
}
interface PageGlobals {
  document: { body: El; createElement(tag: string): El };
  innerHeight: number;
  MutationObserver: new (callback: (records: { addedNodes: Iterable<El> }[]) => void) => { observe(target: El, options: { childList: boolean; subtree: boolean }): void };
}
type GraphView = (plan: unknown, statusOf: (id: string) => string, selected?: string) => El;

interface Drawn {
  tasks: number;
  progressive: number;
  atOnce: number;
  /** Each node's and each edge's (with the label after it) markup, in one step and in steps. */
  oneStep: string[];
  inSteps: string[];
  boxesAtOnce: number;
  textsAtOnce: number;
  /** The tasks each later step of the drawing in steps made boxes and filled texts for, in order. */
  steps: { boxes: string[]; texts: string[] }[];
  /** The tasks in view while it was drawn in steps (scrolled, and not moved after). */
  inView: string[];
  /** How many tasks had their texts when the run was read again. */
  filledAtSecondRead: number;
  /** Boxes and texts a graph taken off the page had made 50 ms later. */
  detached: [number, number];
}

describe('a large plan’s graph (Chromium)', () => {
  const newPage = useDashboardBrowser();

  it('draws BOXES_AT_ONCE boxes at once, then the rest and the texts in steps, what is in view first, and ends as the graph drawn in one step', { timeout: 120_000 }, async () => {
    const t = await startTestServer({ agents: [] });
    try {
      const page = await newPage();
      await page.goto(`${t.url}/`);
      const drawn = await page.evaluate(async (): Promise<Drawn> => {
        const page = globalThis as unknown as PageGlobals;
        const doc = page.document;
        // Made in the page: the test's own `import()` would be rewritten for Node by Vitest.
        const load = new Function('url', 'return import(url)') as (url: string) => Promise<unknown>;
        const { planGraphView, PROGRESSIVE, BOXES_AT_ONCE } = (await load('/assets/graph.js')) as {
          planGraphView(onSelect: (id: string) => void, progressiveAbove?: number): GraphView;
          PROGRESSIVE: number;
          BOXES_AT_ONCE: number;
        };
        // Three columns of BOXES_AT_ONCE tasks, each task reading what the one before it in the row
        // made (every edge has a label), listed last first: the tasks' order is not the columns'.
        const wide = BOXES_AT_ONCE;
        const n = 3 * wide;
        const plan = {
          tasks: Array.from({ length: n }, (_, i) => ({
            id: `t${i}`,
            title: `task ${i}`,
            agent: i % 2 ? 'a' : 'b',
            dependsOn: i >= wide ? [`t${i - wide}`] : [],
            consumes: i >= wide ? [`x${i - wide}`] : [],
            produces: [`x${i}`],
          })).reverse(),
        };
        const statusOf = (id: string): string => (Number(id.slice(1)) % 3 === 0 ? 'succeeded' : 'pending');
        // The run as read again while the graph is drawn: every later step must show it.
        const statusLater = (id: string): string => (Number(id.slice(1)) % 2 === 0 ? 'succeeded' : 'failed');
        const box = (): El => {
          const wrap = doc.createElement('div');
          wrap.className = 'graph-wrap';
          wrap.style.cssText = 'overflow:auto; width: 900px; height: 600px';
          doc.body.prepend(wrap);
          return wrap;
        };
        // Each node's and each edge's markup (with its label), in no particular order.
        const markup = (svg: El): string[] =>
          [
            ...[...svg.querySelectorAll('.node')].map((g) => g.outerHTML),
            ...[...svg.querySelectorAll('.edge')].map((p) => p.outerHTML + (p.nextElementSibling?.classList?.contains('edge-label') ? p.nextElementSibling.outerHTML : '')),
          ].sort();
        const one = box();
        const oneView = planGraphView(() => undefined, Infinity);
        one.append(oneView(plan, statusOf));
        oneView(plan, statusLater);
        const oneStep = markup(one.firstChild);

        const two = box();
        const view = planGraphView(() => undefined);
        const svg = view(plan, statusOf);
        const boxesAtOnce = svg.querySelectorAll('.node .node-box').length;
        const textsAtOnce = svg.querySelectorAll('.node-title').length;
        two.append(svg);
        // Scrolled to the bottom before the next step: the columns' order would make others first.
        two.scrollTop = 1_000_000;
        const steps: Drawn['steps'] = [];
        let filledAtSecondRead = -1;
        new page.MutationObserver((records) => {
          const step = { boxes: [] as string[], texts: [] as string[] };
          for (const r of records) {
            for (const added of r.addedNodes) {
              if (added.classList?.contains('node')) step.boxes.push(added.dataset['task']!);
              if (added.classList?.contains('node-title')) step.texts.push(added.parentNode.dataset['task']!);
            }
          }
          steps.push(step);
          if (steps.length === 1) {
            filledAtSecondRead = svg.querySelectorAll('.node-title').length;
            view(plan, statusLater);
          }
        }).observe(svg, { childList: true, subtree: true });
        const deadline = Date.now() + 20_000;
        while (svg.querySelectorAll('.node-title').length < n) {
          if (Date.now() > deadline) throw new Error(`the graph was not drawn: ${svg.querySelectorAll('.node').length} boxes and ${svg.querySelectorAll('.node-title').length} texts of ${n}`);
          await new Promise((r) => setTimeout(r, 5));
        }
        const wrapRect = two.getBoundingClientRect();
        const inView = [...svg.querySelectorAll('.node')]
          .filter((g) => {
            const r = g.getBoundingClientRect();
            return r.right > wrapRect.left && r.left < wrapRect.right && r.bottom > Math.max(0, wrapRect.top) && r.top < Math.min(wrapRect.bottom, page.innerHeight);
          })
          .map((g) => g.dataset['task']!);
        // A graph no longer on the page makes and fills in no more.
        const away = box();
        away.append(planGraphView(() => undefined)(plan, statusOf));
        away.remove();
        await new Promise((r) => setTimeout(r, 50));
        const detached: [number, number] = [away.querySelectorAll('.node').length, away.querySelectorAll('.node-title').length];
        return { tasks: n, progressive: PROGRESSIVE, atOnce: BOXES_AT_ONCE, oneStep, inSteps: markup(svg), boxesAtOnce, textsAtOnce, steps, inView, filledAtSecondRead, detached };
      });
      expect(drawn.tasks).toBeGreaterThan(drawn.progressive);
      expect(drawn.boxesAtOnce).toBe(drawn.atOnce);
      expect(drawn.textsAtOnce).toBe(0);
      // In view: the bottom of the three columns, only the first made at once.
      expect(new Set(drawn.inView.map((id) => Math.floor(Number(id.slice(1)) / drawn.atOnce)))).toEqual(new Set([0, 1, 2]));
      const madeAtOnce = (id: string): boolean => Number(id.slice(1)) < drawn.atOnce;
      // The next step made every box in view not made yet, though the columns' order comes to them last.
      expect(drawn.inView.filter((id) => !madeAtOnce(id) && !drawn.steps[0]!.boxes.includes(id))).toEqual([]);
      expect(drawn.steps[0]!.boxes.length).toBeLessThanOrEqual(drawn.atOnce);
      // Then the texts in view, before the boxes out of view were all made.
      const firstTexts = drawn.steps.findIndex((step) => step.texts.length > 0);
      const lastBoxes = drawn.steps.findLastIndex((step) => step.boxes.length > 0);
      expect(drawn.inView.filter((id) => !drawn.steps[firstTexts]!.texts.includes(id))).toEqual([]);
      expect(firstTexts).toBeLessThan(lastBoxes);
      // The second read came while texts were still missing, and what was made and filled in after shows it.
      expect(drawn.filledAtSecondRead).toBeLessThan(drawn.tasks);
      expect(drawn.inSteps.length).toBe(drawn.tasks + 2 * drawn.atOnce);
      expect(drawn.inSteps).toEqual(drawn.oneStep);
      expect(drawn.detached).toEqual([drawn.atOnce, 0]);
      await page.close();
    } finally {
      await t.close();
    }
  });

  it('draws a large plan in tiles that look, scrolled anywhere, as the plan drawn in one <svg>', { timeout: 120_000 }, async () => {
    const t = await startTestServer({ agents: [] });
    try {
      const page = await newPage();
      await page.goto(`${t.url}/`);
      // Layers of 40 to 260 tasks (groups of a column split at 100), each task reading one of the
      // layer before and, one in three, one of any layer before (a long edge over other boxes); every
      // edge labelled, some titles, agents and labels as long and wide as they are drawn; the first
      // box of a column's second group selected (its thicker stroke at a tile's top). Listed layer
      // by layer, so the one-<svg> drawing paints in the tiles' order.
      const { tiles, selectedAt } = await page.evaluate(async () => {
        const page = globalThis as unknown as PageGlobals & { plan: unknown; statusOf: (id: string) => string };
        const load = new Function('url', 'return import(url)') as (url: string) => Promise<unknown>;
        const { planGraphView, PROGRESSIVE } = (await load('/assets/graph.js')) as { planGraphView(onSelect: (id: string) => void, progressiveAbove?: number): GraphView; PROGRESSIVE: number };
        let seed = 7;
        const random = (k: number): number => {
          seed = (seed * 1103515245 + 12345) % 2147483648;
          return Math.floor((seed / 2147483648) * k);
        };
        const layers: number[][] = [];
        const tasks: { id: string; title: string; agent: string; dependsOn: string[]; consumes: string[]; produces: string[] }[] = [];
        for (let n = 0; tasks.length <= PROGRESSIVE + 300; ) {
          const layer: number[] = [];
          for (let k = 40 + random(221); k > 0; k--, n++) {
            const deps = layers.length === 0 ? [] : [layers.at(-1)![random(layers.at(-1)!.length)]!];
            if (layers.length > 1 && random(3) === 0) deps.push(random(layers.at(-1)![0]!));
            const consumes = deps.map((d) => (random(4) === 0 ? `${'WM'.repeat(13)}${d}` : `out-${d}${'.x'.repeat(random(9))}`));
            deps.forEach((d, k) => tasks[d]!.produces.push(consumes[k]!));
            const title = random(7) === 0 ? `${'WM'.repeat(14)}${n}` : `${'task '.repeat(1 + random(6))}${n}`;
            tasks.push({ id: `t${n}`, title, agent: random(9) === 0 ? `${'W'.repeat(30)}${random(4)}` : `agent-${random(4)}`, dependsOn: deps.map((d) => `t${d}`), consumes, produces: [`out-${n}`] });
            layer.push(n);
          }
          layers.push(layer);
        }
        const states = ['succeeded', 'pending', 'running', 'failed', 'succeeded'];
        page.plan = { tasks };
        page.statusOf = (id: string): string => states[Number(id.slice(1)) % states.length]!;
        const selected = `t${layers.find((l) => l.length > 100)![100]}`;
        (page as unknown as { selected: string }).selected = selected;
        const wrap = page.document.createElement('div');
        wrap.className = 'graph-wrap';
        wrap.style.cssText = 'overflow:auto; width: 900px; height: 600px';
        (wrap as El & { id: string }).id = 'under-test';
        page.document.body.prepend(wrap);
        wrap.append(planGraphView(() => undefined, Infinity)(page.plan, page.statusOf, selected));
        (page as unknown as { tiled: GraphView }).tiled = planGraphView(() => undefined);
        const at = /translate\(([\d.]+),([\d.]+)\)/.exec((wrap as unknown as { querySelector(s: string): { getAttribute(name: string): string } }).querySelector(`.node[data-task="${selected}"]`).getAttribute('transform'))!;
        return { tiles: tasks.length, selectedAt: [Number(at[1]) - 300, Number(at[2]) - 200] as const };
      });
      const wrap = page.locator('#under-test');
      const positions = [[0, 0], [0, 1_000_000], [1_000_000, 0], [1_000_000, 1_000_000], [700, 2_500], [1_400, 5_000], [2_100, 800], selectedAt] as const;
      const shotAt = async ([left, top]: readonly [number, number]): Promise<Buffer> => {
        await wrap.evaluate(
          (el, [x, y]) => {
            (el as unknown as El).scrollLeft = x;
            (el as unknown as El).scrollTop = y;
          },
          [left, top] as const,
        );
        // Two frames: a tile scrolled into view is drawn in the frame after the one that finds it in view.
        await page.evaluate(() => {
          const page = globalThis as unknown as { requestAnimationFrame(callback: () => void): void };
          return new Promise<void>((r) => page.requestAnimationFrame(() => page.requestAnimationFrame(r)));
        });
        return wrap.screenshot();
      };
      const inOne: Buffer[] = [];
      for (const at of positions) inOne.push(await shotAt(at));
      await wrap.evaluate((el) => {
        const page = globalThis as unknown as { plan: unknown; statusOf: (id: string) => string; tiled: GraphView; selected: string };
        (el as unknown as El).replaceChildren(page.tiled(page.plan, page.statusOf, page.selected));
      });
      await expect.poll(() => page.locator('#under-test .node-title').count(), { timeout: 30_000 }).toBe(tiles);
      // Each group of a column is a tile of its own, every edge under every box.
      const kinds = await page.locator('#under-test .plan-graph.tiled > svg').evaluateAll((els) => els.map((el) => (el as unknown as El).className.baseVal));
      expect(kinds.filter((k) => k === 'graph-tile boxes').length).toBeGreaterThan(10);
      expect(kinds.lastIndexOf('graph-tile edges')).toBeLessThan(kinds.indexOf('graph-tile boxes'));
      // Scrolled to the top left, the browser draws the tiles there and skips those far from it.
      await shotAt([0, 0]);
      const drawnOrSkipped = await page.locator('#under-test .graph-tile.boxes').evaluateAll((els) =>
        els.map((el) => (el as unknown as { firstElementChild: { checkVisibility(o: { contentVisibilityAuto: boolean }): boolean } }).firstElementChild.checkVisibility({ contentVisibilityAuto: true })),
      );
      expect(drawnOrSkipped.filter((drawn) => drawn).length).toBeGreaterThan(0);
      expect(drawnOrSkipped.filter((drawn) => !drawn).length).toBeGreaterThan(0);
      // Looked at again until it matches, or for 10 s: a slow machine may take more frames to draw a tile scrolled into view.
      for (const [k, at] of positions.entries()) await expect.poll(async () => (await shotAt(at)).equals(inOne[k]!), { timeout: 10_000, message: `scrolled to ${at.join(', ')}` }).toBe(true);
      await page.close();
    } finally {
      await t.close();
    }
  });

  it('shows every task of a large run as it ended', { timeout: 120_000 }, async () => {
    const agents = ['a', 'b'].map((name, k) => defineAgent({ name, description: `agent ${name}`, capabilities: [name], produces: [`o${k}`], run: async () => ({ [`o${k}`]: k }) }));
    const t = await startTestServer({ agents, policy: { maxParallel: 20 } });
    try {
      const TASKS = 1200;
      const tasks = Array.from({ length: TASKS }, (_, i) => ({ id: `t${i}`, agent: ['a', 'b'][i % 2], dependsOn: i >= 100 ? [`t${i - 100}`] : [] }));
      const res = await postJson(`${t.url}/v1/runs`, { plan: { tasks } });
      const { runId } = (await res.json()) as { runId: string };
      const page = await newPage();
      await page.goto(`${t.url}/#/runs/${runId}`);
      await page.locator('#run-status[data-status="succeeded"]').waitFor({ timeout: 60_000 });
      await expect.poll(() => page.locator('.plan-graph .node .node-status').count(), { timeout: 30_000 }).toBe(TASKS);
      await expect.poll(async () => new Set(await page.locator('.plan-graph .node .node-status').allTextContents()), { timeout: 30_000 }).toEqual(new Set(['Succeeded']));
      expect(await page.locator('.plan-graph .node[data-status="succeeded"]').count()).toBe(TASKS);
      const run = (await (await fetch(`${t.url}/v1/runs/${runId}`)).json()) as { plan: { tasks: { id: string; title: string }[] } };
      expect(await page.locator('.plan-graph .node[data-task="t1199"] .node-title').textContent()).toBe(run.plan.tasks.find((x) => x.id === 't1199')!.title);
      // A task far from the first view opens its details, as in any plan.
      await page.locator('.plan-graph .node[data-task="t1150"]').click();
      await page.locator('.task-details[data-task="t1150"]').waitFor();
      await page.close();
    } finally {
      await t.close();
    }
  });
});
