import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { useDashboardBrowser } from './chromium.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifest } from '../../core/src/manifest/index.ts';
import { Orchestrator } from '../../core/src/orchestrator.ts';
import { createServer } from '../src/index.ts';
import type { BatonServer } from '../src/index.ts';
import { MemoryRunStore } from '../../core/src/store/index.ts';
import { scriptedAgent } from '../../core/src/testing/index.ts';
import { startTestServer } from './support.ts';
import { createOrchestrator } from '../../core/src/create-orchestrator.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const GREEN = 'rgb(22, 163, 74)';

describe('dashboard in Chromium', () => {
  const newPage = useDashboardBrowser();
  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
  });

  describe('the sales report', () => {
    let server: BatonServer;
    let dataDir: string;
    beforeAll(async () => {
      dataDir = await mkdtemp(path.join(tmpdir(), 'baton-e2e-'));
      const manifest = await loadManifest(path.join(ROOT, 'examples/sales-report/baton.yaml'));
      server = await createServer({ orchestrator: ({ limiter }) => new Orchestrator({ manifest, store: new MemoryRunStore(), limiter }), port: 0, dataDir, telemetry: false });
    });
    afterAll(async () => {
      await server?.close();
      await server?.orchestrator.close();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('starts a run from the form, shows its tasks turn green, its timeline and the report', { timeout: 180_000 }, async () => {
      const page = await newPage();
      await page.goto(`${server.url}/`);
      await page.getByLabel('Goal').fill('Q2 2025 sales report by region');
      await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-home.png') });
      await page.getByRole('button', { name: 'Start run' }).click();
      await page.waitForURL(/#\/runs\/r_/);
      const runId = /#\/runs\/(r_\w+)/.exec(page.url())?.[1];
      expect(runId).toBeDefined();

      // The plan appears, then every task turns green as the run progresses.
      const nodes = page.locator('.plan-graph .node');
      await expect.poll(() => nodes.count(), { timeout: 60_000 }).toBe(3);
      await page.locator('.plan-graph .node[data-status="succeeded"]').nth(2).waitFor({ timeout: 150_000 });
      for (const node of await nodes.all()) {
        expect(await node.getAttribute('data-status')).toBe('succeeded');
        expect(await node.locator('.node-stripe').evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { fill: string } }).getComputedStyle(el).fill)).toBe(GREEN);
      }
      await page.locator('#run-status[data-status="succeeded"]').waitFor({ timeout: 60_000 });

      // The timeline: one bar per attempt, one row per agent; clicking a bar opens its task.
      const bars = page.locator('.timeline .bar');
      expect(await bars.count()).toBe(3);
      expect(await page.locator('.timeline .row-label').allTextContents()).toEqual(['data', 'analytics', 'summary']);
      // The bar's box: a label drawn beside a narrow bar widens the group past it.
      await bars.nth(1).locator('.bar-box').click();
      await expect.poll(() => page.locator('.task-details').getAttribute('data-task')).toMatch(/metrics/);
      expect(await page.locator('.task-details .attempts tbody tr').count()).toBe(1);

      // The deliverable: the report, inline in a sandboxed frame.
      const frame = page.locator('iframe.report-frame');
      expect(await frame.getAttribute('sandbox')).toBe('');
      await page.locator('#deliverable').evaluate((el) => el.scrollIntoView());
      await expect.poll(() => page.frameLocator('iframe.report-frame').locator('h1').first().textContent(), { timeout: 30_000 }).toContain('Sales performance');
      await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-report.png') });
      await page.evaluate('window.scrollTo(0, 0)');
      await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-run.png'), fullPage: true });

      // Back on the list, the run is there with its status.
      await page.getByRole('link', { name: '← All runs' }).click();
      await page.locator(`.run-row[data-run="${runId}"][data-status="succeeded"]`).waitFor();
      await page.close();
    });
  });

  it('shows retries, reassignments and validation messages', { timeout: 120_000 }, async () => {
    const t = await startTestServer({
      agents: [
        scriptedAgent({ name: 'primary', capabilities: ['source'], produces: ['data'], fallback: ['backup'], retries: 1, script: [{ throw: 'source timed out', delayMs: 150 }] }),
        scriptedAgent({ name: 'backup', capabilities: ['source'], produces: ['data'], script: [{ output: { data: [1, 2] }, delayMs: 150 }] }),
        scriptedAgent({
          name: 'checker',
          consumes: ['data'],
          produces: ['verdict'],
          schemas: { verdict: { type: 'object', required: ['ok'] } },
          script: [{ output: { verdict: { maybe: true } }, delayMs: 150 }, { output: { verdict: { ok: true } }, delayMs: 150 }],
        }),
      ],
      policy: { backoff: { initialDelayMs: 50, factor: 1, maxDelayMs: 50, jitter: 0 } },
    });
    try {
      const page = await newPage();
      await page.goto(`${t.url}/`);
      await page.getByLabel('Goal').fill('produce the verdict');
      await page.getByRole('button', { name: 'Start run' }).click();
      await page.locator('#run-status[data-status="succeeded"]').waitFor({ timeout: 60_000 });
      await page.locator('.timeline .link.reassign').waitFor();
      expect(await page.locator('.timeline .link.retry').count()).toBe(2);
      expect(await page.locator('.timeline .row-label').allTextContents()).toEqual(['primary', 'backup', 'checker']);
      // Two retries (primary's, and checker's after its invalid output) and one reassignment, in five attempts.
      const stats = await page.locator('.stats .stat').evaluateAll((els) => els.map((el) => [el.querySelector('.stat-label')?.textContent, el.querySelector('.stat-value')?.textContent, el.className]));
      expect(stats.filter(([label]) => label !== 'duration')).toEqual([
        ['tasks done', '2 / 2', 'stat '],
        ['attempts', '5', 'stat '],
        ['retries', '2', 'stat warn'],
        ['reassigned', '1', 'stat warn'],
        ['LLM tokens', '0', 'stat '],
      ]);
      await page.locator('.plan-graph .node', { hasText: 'verdict' }).click();
      await expect.poll(() => page.locator('.task-details .note.validation').first().textContent()).toContain('ok');
      // The plan shows who did the task in the end.
      await page.locator('.plan-graph .node', { hasText: 'backup ↪' }).click();
      await expect.poll(() => page.locator('.task-details .note.reassign').first().textContent()).toContain('reassigned from primary');
      await page.evaluate('window.scrollTo(0, 0)');
      await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-healing.png'), fullPage: true });
      await page.close();
    } finally {
      await t.close();
    }
  });

  it('keeps long unbroken text (a goal, an error) inside the page, on the runs list and the run page', { timeout: 120_000 }, async () => {
    const t = await startTestServer({
      agents: [scriptedAgent({ name: 'maker', produces: ['data'], retries: 0, script: [{ throw: `upstream said ${'E'.repeat(40_000)}` }] })],
    });
    try {
      const page = await newPage();
      await page.goto(`${t.url}/`);
      await page.getByLabel('Goal').fill(`produce the data ${'g'.repeat(3_000)}`);
      await page.getByRole('button', { name: 'Start run' }).click();
      await page.locator('#run-status[data-status="failed"]').waitFor({ timeout: 60_000 });
      await page.locator('.plan-graph .node', { hasText: 'data' }).click();
      await expect.poll(() => page.locator('.task-details').textContent()).toContain('upstream said EEEE');
      const overflow = () => page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      expect(await overflow()).toBe(0);
      await page.goto(`${t.url}/`);
      await page.locator('.runs-table, table').first().waitFor();
      expect(await overflow()).toBe(0);
      await page.close();
    } finally {
      await t.close();
    }
  });

  it('polls the runs list once, when the filter changes while the list is read', { timeout: 60_000 }, async () => {
    const t = await startTestServer({ agents: [scriptedAgent({ name: 'maker', produces: ['data'] })] });
    try {
      const page = await newPage();
      const reads: number[] = [];
      await page.route(/\/v1\/runs\?/, async (route) => {
        reads.push(Date.now());
        // The first read is slow: the filter changes while it is under way.
        if (reads.length === 1) await new Promise((r) => setTimeout(r, 1_000));
        await route.continue();
      });
      await page.goto(`${t.url}/`);
      await expect.poll(() => reads.length).toBe(1);
      await page.getByLabel('Filter by status').selectOption('failed');
      await new Promise((r) => setTimeout(r, 1_500));
      const from = reads.length;
      await new Promise((r) => setTimeout(r, 7_600));
      // Every 2.5 s: three reads in 7.6 s, where two polling loops made six.
      expect(reads.length - from).toBeLessThanOrEqual(4);
      expect(reads.length - from).toBeGreaterThanOrEqual(2);
      await page.close();
    } finally {
      await t.close();
    }
  });

  it('shows the deliverable of a run without a report of its own open: a table per artifact, with who made it', { timeout: 60_000 }, async () => {
    const t = await startTestServer({
      agents: [
        scriptedAgent({ name: 'regions', version: '1.4.0', capabilities: ['regions'], produces: ['revenue'], script: [{ output: { revenue: [{ region: 'North', total: 1200 }, { region: 'South', total: 800 }] } }] }),
        scriptedAgent({ name: 'writer', capabilities: ['summary'], consumes: ['revenue'], produces: ['summary'], script: [{ output: { summary: 'North leads with 1200.' } }] }),
      ],
    });
    try {
      const page = await newPage();
      await page.goto(`${t.url}/`);
      await page.getByLabel('Goal').fill('the summary and the revenue');
      await page.getByRole('button', { name: 'Start run' }).click();
      await page.locator('#run-status[data-status="succeeded"]').waitFor({ timeout: 30_000 });
      const revenue = page.locator('#deliverable .artifact[data-artifact="revenue"]');
      await revenue.waitFor({ state: 'visible' });
      expect(await revenue.locator('th').allTextContents()).toEqual(['region', 'total']);
      expect(await revenue.locator('tbody tr').allTextContents()).toEqual(['North1200', 'South800']);
      expect(await revenue.locator('.provenance').textContent()).toMatch(/^task t1-[\w-]+ · agent regions@1\.4\.0 · attempt 1 · /);
      await expect.poll(() => page.locator('#deliverable .artifact[data-artifact="summary"] .artifact-text').textContent()).toBe('North leads with 1200.');
      // The files the default integrator wrote are listed with it.
      await expect.poll(() => page.locator('#deliverable .file-list a').allTextContents()).toEqual(['deliverable.json', 'deliverable.md', 'run.json']);
      await page.locator('#deliverable').evaluate((el) => el.scrollIntoView());
      await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-deliverable.png') });
      await page.close();
    } finally {
      await t.close();
    }
  });

  it('says the run is integrating while its integrator works, then shows the deliverable', { timeout: 60_000 }, async () => {
    let release: (() => void) | undefined;
    const integrating = new Promise<void>((resolve) => (release = resolve));
    const dataDir = await mkdtemp(path.join(tmpdir(), 'baton-integrating-'));
    const server = await createServer({
      orchestrator: ({ limiter }) =>
        createOrchestrator({
          name: 'slow-integration',
          agents: [scriptedAgent({ name: 'notes', capabilities: ['notes'], produces: ['notes'], script: [{ output: { notes: 'all good' } }] })],
          store: new MemoryRunStore(),
          limiter,
          integrator: async (input) => {
            await integrating;
            return { artifacts: input.artifacts, files: [], provenance: input.provenance };
          },
        }),
      port: 0,
      dataDir,
      telemetry: false,
    });
    try {
      const page = await newPage();
      await page.goto(`${server.url}/`);
      await page.getByLabel('Goal').fill('the notes');
      await page.getByRole('button', { name: 'Start run' }).click();
      await page.locator('#deliverable #integrating').waitFor({ timeout: 30_000 });
      expect(await page.locator('#run-status').getAttribute('data-status')).toBe('running');
      expect(await page.locator('.event-log').textContent()).toContain('integrating the deliverable');
      release?.();
      await page.locator('#run-status[data-status="succeeded"]').waitFor({ timeout: 30_000 });
      await expect.poll(() => page.locator('#deliverable .artifact[data-artifact="notes"] .artifact-text').textContent()).toBe('all good');
      await page.close();
    } finally {
      release?.();
      await server.close();
      await server.orchestrator.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('asks for the API token when the server has one', { timeout: 60_000 }, async () => {
    const t = await startTestServer({ token: 'dashboard-secret' });
    try {
      const page = await newPage();
      await page.goto(`${t.url}/`);
      await page.locator('#token-dialog[open]').waitFor();
      await page.locator('#token-input').fill('dashboard-secret');
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByLabel('Goal').fill('produce the report');
      await page.getByRole('button', { name: 'Start run' }).click();
      await page.locator('#run-status[data-status="succeeded"]').waitFor({ timeout: 30_000 });
      await page.close();
    } finally {
      await t.close();
    }
  });
});
