import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Locator, Page, Route } from 'playwright-core';
import { useDashboardBrowser } from './chromium.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineAgent } from '../../core/src/agents/define-agent.ts';
import { createOrchestrator } from '../../core/src/create-orchestrator.ts';
import { SqliteRunStore } from '../../core/src/store/index.ts';
import { scriptedAgent } from '../../core/src/testing/index.ts';
import type { RunResult } from '../../core/src/core/types.ts';
import { freePort } from '../../core/test/support/free-port.ts';
import { createServer } from '../src/index.ts';
import type { BatonServer } from '../src/index.ts';
import { postJson, startTestServer } from './support.ts';

// The run page follows a run as long as it goes on: through events that never pause, and through
// a restart of the server (a waiting run, or one handed over, is carried on by the next one); and
// it stops when the server has no such run.

const liveState = (page: Page): Promise<string> => page.locator('#live-indicator').evaluate((el) => ((el as { hidden: boolean }).hidden ? 'hidden' : ((el as { dataset: Record<string, string> }).dataset['state'] ?? '')));

describe('the run page follows a run to its end (Chromium)', () => {
  const newPage = useDashboardBrowser();

  /** A server with a run whose events never pause (a task retried every few ms) beside a task that waits for `release`. */
  async function busyRun(): Promise<{ t: Awaited<ReturnType<typeof startTestServer>>; runId: string; release: () => void }> {
    let release: (() => void) | undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const t = await startTestServer({
      agents: [
        scriptedAgent({ name: 'flaky', capabilities: ['poll'], produces: ['status'], retries: 1_000_000, script: [{ throw: 'not yet' }] }),
        defineAgent({
          name: 'gated',
          description: 'answers once the test lets it',
          capabilities: ['answer'],
          produces: ['answer'],
          async run() {
            await gate;
            return { answer: 42 };
          },
        }),
      ],
      policy: { backoff: { initialDelayMs: 2, factor: 1, maxDelayMs: 2, jitter: 0 }, runTimeoutMs: 120_000 },
      orchestratorOptions: { workflows: { busy: { tasks: [{ id: 'poll', agent: 'flaky' }, { id: 'answer', agent: 'gated' }] } } },
    });
    const { runId } = (await (await postJson(`${t.url}/v1/runs`, { workflow: 'busy' })).json()) as { runId: string };
    return { t, runId, release: release! };
  }
  /**
   * busyRun's page, once it shows the gated task running, and its count of attempts (which the
   * retried task keeps raising). `fakeClock`: the page's clock is Playwright's, installed before it loads.
   */
  async function busyRunPage(fakeClock = false): Promise<Awaited<ReturnType<typeof busyRun>> & { page: Page; attempts: Locator }> {
    const run = await busyRun();
    const page = await newPage();
    if (fakeClock) await page.clock.install();
    await page.goto(`${run.t.url}/#/runs/${run.runId}`);
    await page.locator('.plan-graph .node[data-task="answer"][data-status="running"]').waitFor({ timeout: 30_000 });
    return { ...run, page, attempts: page.locator('.stats .stat', { hasText: 'attempts' }).locator('.stat-value') };
  }
  /** The day a run started on, as the page writes a day (its locale's short month and day). */
  async function dayOf(page: Page, runId: string, url: string): Promise<string> {
    const { startedAt } = (await (await fetch(`${url}/v1/runs/${runId}`)).json()) as { startedAt: string };
    return page.evaluate(`new Intl.DateTimeFormat([], { month: 'short', day: 'numeric' }).format(new Date(${JSON.stringify(startedAt)}))`);
  }
  /** The seqs of the events in the run page's log, newest first. */
  const loggedSeqs = (page: Page): Promise<number[]> => page.locator('.event-log li .mono').allTextContents().then((texts) => texts.map((x) => Number(x.slice(1))));

  it('shows a task done while the run’s events never pause (a task retried every few ms beside it)', { timeout: 90_000 }, async () => {
    const { t, runId, release } = await busyRun();
    try {
      const page = await newPage();
      await page.goto(`${t.url}/#/runs/${runId}`);
      await page.locator('.plan-graph .node[data-task="answer"][data-status="running"]').waitFor({ timeout: 30_000 });
      // The retried task fills the stream: the page is told of events all the time from here on.
      await expect.poll(async () => Number((await page.locator('.event-log li').first().locator('.mono').textContent())?.slice(1)), { timeout: 30_000 }).toBeGreaterThan(60);
      // The log takes them in a few times a second, not one change of the page per event.
      const logged = await page.evaluate(async () => {
        interface Log {
          firstElementChild: { querySelector(s: string): { textContent: string } };
          querySelectorAll(s: string): Iterable<{ textContent: string }>;
        }
        const page = globalThis as unknown as {
          document: { querySelector(s: string): Log };
          MutationObserver: new (callback: () => void) => { observe(target: unknown, options: { childList: boolean }): void; disconnect(): void };
        };
        const log = page.document.querySelector('.event-log');
        const newest = (): number => Number(log.firstElementChild.querySelector('.mono').textContent.slice(1));
        let changes = 0;
        const watch = new page.MutationObserver(() => changes++);
        watch.observe(log, { childList: true });
        const first = newest();
        const start = performance.now();
        await new Promise((r) => setTimeout(r, 2_000));
        watch.disconnect();
        return { changes, ms: performance.now() - start, events: newest() - first, seqs: [...log.querySelectorAll('li .mono')].map((el) => Number(el.textContent.slice(1))) };
      });
      expect(logged.events).toBeGreaterThan(100);
      expect(logged.changes).toBeLessThanOrEqual(Math.floor(logged.ms / 250) + 2);
      // The newest first, none missing, and no more than the log keeps.
      expect(logged.seqs.length).toBeLessThanOrEqual(400);
      expect(logged.seqs).toEqual(logged.seqs.map((_, i) => logged.seqs[0]! - i));
      release();
      // Read and drawn while the events go on, not once they stop (they would not, here).
      await page.locator('.plan-graph .node[data-task="answer"][data-status="succeeded"]').waitFor({ timeout: 30_000 });
      expect(((await (await fetch(`${t.url}/v1/runs/${runId}`)).json()) as { status: string }).status).toBe('running');
      await postJson(`${t.url}/v1/runs/${runId}/cancel`, {});
      await page.locator('#run-status[data-status="cancelled"]').waitFor({ timeout: 30_000 });
      await page.close();
    } finally {
      release();
      await t.close();
    }
  });

  it('reads the run at once when its end is told, however long a pause its last read earned', { timeout: 90_000 }, async () => {
    const { t, runId, release, page } = await busyRunPage(true);
    try {
      // A read that takes a minute by the page's clock: the next would wait three times as long.
      let slowed: (() => void) | undefined;
      const sent = new Promise<void>((resolve) => (slowed = resolve));
      await page.route(`**/v1/runs/${runId}?since=*`, async (route) => {
        await page.clock.fastForward(60_000);
        await route.continue();
        slowed!();
      }, { times: 1 });
      await sent;
      // Ended while that read is under way or after it: either way the next read comes at once.
      await postJson(`${t.url}/v1/runs/${runId}/cancel`, {});
      await page.locator('#run-status[data-status="cancelled"]').waitFor({ timeout: 30_000 });
      await page.close();
    } finally {
      release();
      await t.close();
    }
  });

  it('reads the run again when a read fails, though the run has ended and no event will ask for another', { timeout: 90_000 }, async () => {
    const { t, runId, release, page } = await busyRunPage();
    try {
      let refused = 0;
      const refuse = (route: Route): Promise<void> => {
        refused++;
        return route.fulfill({ status: 502, contentType: 'text/plain', body: 'bad gateway' });
      };
      await page.route(`**/v1/runs/${runId}?since=*`, refuse);
      await postJson(`${t.url}/v1/runs/${runId}/cancel`, {});
      // The stream has ended (the run did) and the reads since were refused: the page asks no more of itself.
      await expect.poll(() => liveState(page), { timeout: 30_000 }).toBe('hidden');
      await expect.poll(() => refused, { timeout: 30_000 }).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 500));
      await page.unroute(`**/v1/runs/${runId}?since=*`, refuse);
      await page.locator('#run-status[data-status="cancelled"]').waitFor({ timeout: 30_000 });
      await page.close();
    } finally {
      release();
      await t.close();
    }
  });

  it('sets only the figures that changed at each read, keeps its header until the run changes, and says when the run is gone', { timeout: 90_000 }, async () => {
    const { t, runId, release, page, attempts } = await busyRunPage();
    try {
      const retries = page.locator('.stats .stat', { hasText: 'retries' });
      const before = Number(await attempts.textContent());
      // Marks on the elements as they are now: an element made again has none.
      await page.locator('.run-head h1, .stats .stat, .stats .stat-value').evaluateAll((els) => {
        for (const el of els) (el as unknown as { kept: boolean }).kept = true;
      });
      const kept = (selector: string) => page.locator(selector).evaluateAll((els) => els.map((el) => (el as unknown as { kept?: boolean }).kept === true));
      // The retried task's attempts go on: several reads later the figures have changed in place.
      await expect.poll(async () => Number(await attempts.textContent()), { timeout: 30_000 }).toBeGreaterThan(before + 20);
      expect(await retries.getAttribute('class')).toBe('stat warn');
      expect(Number(await retries.locator('.stat-value').textContent())).toBeGreaterThan(before + 10);
      expect(await kept('.stats .stat')).toEqual([true, true, true, true, true, true]);
      expect(await kept('.stats .stat-value')).toEqual([true, true, true, true, true, true]);
      expect(await kept('.run-head h1')).toEqual([true]);
      expect(await page.locator('.stats .stat', { hasText: 'tasks done' }).locator('.stat-value').textContent()).toBe('0 / 2');
      // The run is gone from the server (as if deleted): the next read says so, and the header with it.
      await page.route(`**/v1/runs/${runId}?since=*`, (route) => route.fulfill({ status: 404, contentType: 'application/json', body: JSON.stringify({ error: { code: 'RUN_NOT_FOUND', message: 'no such run' } }) }));
      await page.locator('#run-gone').waitFor({ timeout: 30_000 });
      expect(await page.locator('.run-head h1').textContent()).toBe('workflow busy');
      expect(await page.locator('#cancel-run').count()).toBe(0);
      await page.close();
    } finally {
      release();
      await t.close();
    }
  });

  it('reads of a task retried a thousand times send only its attempts changed since, and the page holds them all: its figures at the end are the server’s', { timeout: 120_000 }, async () => {
    const { t, runId, release, page, attempts } = await busyRunPage();
    try {
      // Per read of what changed, of the retried task if sent: its `attemptsFrom`, the number (`n`,
      // from 1) of its first attempt sent, and how many it sent.
      const sent: { url: string; from: number; first: number | undefined; count: number }[] = [];
      page.on('response', (res) => {
        if (!res.url().includes(`/v1/runs/${runId}?since=`)) return;
        void res.text().then((text) => {
          const body = JSON.parse(text) as { tasks: { id: string; attemptsFrom?: number; attempts: { n: number }[] }[] };
          const poll = body.tasks.find((x) => x.id === 'poll');
          sent.push({ url: res.url(), from: poll?.attemptsFrom ?? 0, first: poll?.attempts[0]?.n, count: poll?.attempts.length ?? 0 });
        });
      });
      // Reads sent the retried task from past its hundreds of attempts held (how many reads come
      // while it climbs depends on the machine: the page waits three times as long as a read took).
      const late = () => sent.filter((x) => x.from > 500);
      await expect.poll(async () => Number(await attempts.textContent()), { timeout: 60_000 }).toBeGreaterThan(1_000);
      await expect.poll(() => late().length, { timeout: 60_000 }).toBeGreaterThan(3);
      await postJson(`${t.url}/v1/runs/${runId}/cancel`, {});
      await page.locator('#run-status[data-status="cancelled"]').waitFor({ timeout: 30_000 });
      const ended = (await (await fetch(`${t.url}/v1/runs/${runId}`)).json()) as RunResult;
      const poll = ended.tasks.find((x) => x.id === 'poll')!;
      expect(poll.attempts.length).toBeGreaterThan(1_000);
      const retries = poll.attempts.length - 1;
      expect(Number(await attempts.textContent())).toBe(poll.attempts.length + 1);
      expect(Number(await page.locator('.stats .stat', { hasText: 'retries' }).locator('.stat-value').textContent())).toBe(retries);
      expect(sent.every((x) => x.url.includes('attempts=changed'))).toBe(true);
      // Each such read sent the task's attempts from `attemptsFrom` on, and of those the page held
      // at the read before only the last (running then), however many it sent (that depends on how
      // long the page paused: three times its last read and frame; ~2,700 on a loaded machine).
      const cut = late().sort((x, y) => x.from - y.from);
      cut.forEach((read, i) => {
        expect(read.first ?? read.from + 1).toBe(read.from + 1);
        if (i > 0) expect(read.from).toBeGreaterThanOrEqual(cut[i - 1]!.from + cut[i - 1]!.count - 1);
      });
      await page.close();
    } finally {
      release();
      await t.close();
    }
  });

  it('keeps its Cancel button between reads, and while the header is made again: a refused cancel says why, an accepted one waits and may be asked again', { timeout: 120_000 }, async () => {
    const { t, runId, release, page, attempts } = await busyRunPage();
    try {
      const readsLater = async (): Promise<void> => {
        const now = Number(await attempts.textContent());
        await expect.poll(async () => Number(await attempts.textContent()), { timeout: 30_000 }).toBeGreaterThan(now + 10);
      };
      const cancel = page.locator('#cancel-run');
      const refused = page.locator('#cancel-error');
      const meta = page.locator('.run-meta');
      const answer = (status: number, body: unknown) => (route: Route) => route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(body) });
      // Refused while the header is made again (a day later, the start gets its date): said beside the button, which may be used again.
      let refuse: (() => void) | undefined;
      const refusing = new Promise<void>((resolve) => (refuse = resolve));
      await page.route(`**/v1/runs/${runId}/cancel`, async (route) => {
        await refusing;
        await answer(503, { error: { code: 'UNAVAILABLE', message: 'the journal is busy: try again' } })(route);
      });
      await cancel.click();
      expect([await cancel.textContent(), await cancel.isEnabled()]).toEqual(['Cancelling…', false]);
      const day = await dayOf(page, runId, t.url);
      expect(await meta.textContent()).not.toContain(`started ${day} `);
      await page.clock.setSystemTime(Date.now() + 86_400_000);
      await expect.poll(() => meta.textContent(), { timeout: 30_000 }).toContain(`started ${day} `);
      expect([await cancel.textContent(), await cancel.isEnabled()]).toEqual(['Cancelling…', false]);
      refuse!();
      await refused.waitFor({ timeout: 30_000 });
      await readsLater();
      expect(await refused.textContent()).toBe('the journal is busy: try again');
      expect([await cancel.textContent(), await cancel.isEnabled()]).toEqual(['Cancel run', true]);
      // Accepted, and the run goes on (the request not taken in yet): the button says so across reads, then may be used again.
      await page.unroute(`**/v1/runs/${runId}/cancel`);
      await page.route(`**/v1/runs/${runId}/cancel`, answer(202, { runId, status: 'running', cancel: 'requested' }));
      await cancel.click();
      const asked = Date.now();
      await readsLater();
      expect([await cancel.textContent(), await cancel.isEnabled(), await refused.isVisible()]).toEqual(['Cancelling…', false, false]);
      await expect.poll(() => cancel.textContent(), { timeout: 30_000 }).toBe('Cancel run');
      expect(Date.now() - asked).toBeGreaterThanOrEqual(9_000);
      expect(await cancel.isEnabled()).toBe(true);
      await page.close();
    } finally {
      release();
      await t.close();
    }
  });

  it('shows the run waiting for a decision and running again once it is taken, while its other task goes on, and dates an ended run a day later', { timeout: 90_000 }, async () => {
    const t = await startTestServer({
      agents: [
        scriptedAgent({ name: 'flaky', capabilities: ['poll'], produces: ['status'], retries: 1_000_000, script: [{ throw: 'not yet' }] }),
        scriptedAgent({ name: 'gated', capabilities: ['answer'], produces: ['answer'], approval: 'required', script: [{ output: { answer: 42 } }] }),
      ],
      policy: { backoff: { initialDelayMs: 2, factor: 1, maxDelayMs: 2, jitter: 0 }, runTimeoutMs: 120_000 },
      orchestratorOptions: { workflows: { busy: { tasks: [{ id: 'poll', agent: 'flaky' }, { id: 'answer', agent: 'gated' }] } } },
    });
    try {
      const { runId } = (await (await postJson(`${t.url}/v1/runs`, { workflow: 'busy' })).json()) as { runId: string };
      const page = await newPage();
      await page.goto(`${t.url}/#/runs/${runId}`);
      await page.locator('#run-status[data-status="awaiting-approval"]').waitFor({ timeout: 30_000 });
      expect((await postJson(`${t.url}/v1/runs/${runId}/approve`, { taskId: 'answer' })).status).toBe(200);
      // Only the status changes (no end, no reason): the header follows it.
      await page.locator('#run-status[data-status="running"]').waitFor({ timeout: 30_000 });
      await page.locator('.plan-graph .node[data-task="answer"][data-status="succeeded"]').waitFor({ timeout: 30_000 });
      expect(await page.locator('#cancel-run').count()).toBe(1);
      // Ended, the run is not read again: a day later its header still gets its dates.
      await postJson(`${t.url}/v1/runs/${runId}/cancel`, {});
      await page.locator('#run-status[data-status="cancelled"]').waitFor({ timeout: 30_000 });
      expect(await page.locator('#cancel-run').count()).toBe(0);
      const day = await dayOf(page, runId, t.url);
      await page.clock.setSystemTime(Date.now() + 86_400_000);
      await expect.poll(() => page.locator('.run-meta').textContent(), { timeout: 30_000 }).toContain(`started ${day} `);
      expect(await page.locator('.run-meta').textContent()).toContain(`ended ${day} `);
      await page.close();
    } finally {
      await t.close();
    }
  });

  it('logs the newest events, none missing, once a page whose timers waited (a tab in the background) runs them again', { timeout: 90_000 }, async () => {
    const { t, runId, release } = await busyRun();
    try {
      const page = await newPage();
      await page.clock.install();
      await page.goto(`${t.url}/#/runs/${runId}`);
      await expect.poll(async () => (await loggedSeqs(page))[0] ?? 0, { timeout: 30_000 }).toBeGreaterThan(60);
      await page.clock.pauseAt(Date.now() + 1_000);
      const before = (await loggedSeqs(page))[0]!;
      // Far more events than the log keeps come while the page's timers wait.
      const seqNow = async (): Promise<number> => Number((await fetch(`${t.url}/v1/runs/${runId}`)).headers.get('baton-seq'));
      await expect.poll(seqNow, { timeout: 30_000 }).toBeGreaterThan(before + 1_200);
      const sent = await seqNow();
      expect((await loggedSeqs(page))[0]).toBe(before);
      await page.clock.resume();
      await expect.poll(async () => (await loggedSeqs(page))[0]!, { timeout: 30_000 }).toBeGreaterThanOrEqual(sent);
      const seqs = await loggedSeqs(page);
      expect(seqs.length).toBe(400);
      expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! - i));
      await page.close();
    } finally {
      release();
      await t.close();
    }
  });

  describe('a server restarted while a run is shown', () => {
    let dataDir: string;
    let port: number;
    const servers: BatonServer[] = [];
    beforeAll(async () => {
      dataDir = await mkdtemp(path.join(tmpdir(), 'baton-restart-'));
      port = await freePort();
    });
    afterAll(async () => {
      for (const s of servers) {
        await s.close();
        await s.orchestrator.close();
      }
      await rm(dataDir, { recursive: true, force: true });
    });

    /** A server on `port` with the journal in dataDir, whose runs wait for a decision on their plan. */
    async function serve(): Promise<BatonServer> {
      const server = await createServer({
        orchestrator: ({ limiter }) =>
          createOrchestrator({
            name: 'approved',
            agents: [scriptedAgent({ name: 'notes', capabilities: ['notes'], produces: ['notes'], script: [{ output: { notes: 'done' } }] })],
            store: new SqliteRunStore({ file: path.join(dataDir, 'baton.db') }),
            limiter,
            policy: { approval: 'plan' },
            workflows: { notes: { tasks: [{ id: 'n', agent: 'notes' }] } },
          }),
        host: '127.0.0.1',
        port,
        dataDir,
        telemetry: false,
      });
      servers.push(server);
      return server;
    }

    async function stop(server: BatonServer): Promise<void> {
      servers.splice(servers.indexOf(server), 1);
      await server.close();
      await server.orchestrator.close();
    }

    it('follows the run again once the server is back, and shows it carried on', { timeout: 90_000 }, async () => {
      const first = await serve();
      const { runId } = (await (await postJson(`${first.url}/v1/runs`, { workflow: 'notes' })).json()) as { runId: string };
      const page = await newPage();
      await page.goto(`${first.url}/#/runs/${runId}`);
      await page.locator('#run-status[data-status="awaiting-approval"]').waitFor({ timeout: 30_000 });
      await expect.poll(() => liveState(page)).toBe('live');

      await stop(first);
      await expect.poll(() => liveState(page), { timeout: 30_000 }).toBe('reconnecting');
      const second = await serve();
      await expect.poll(() => liveState(page), { timeout: 30_000 }).toBe('live');
      expect((await postJson(`${second.url}/v1/runs/${runId}/approve`, {})).status).toBe(200);
      await page.locator('#run-status[data-status="succeeded"]').waitFor({ timeout: 30_000 });
      await expect.poll(() => liveState(page)).toBe('hidden');
      await page.close();
    });

    it('waits longer between tries while the server stays away, so pages left open do not all come back at once', { timeout: 60_000 }, async () => {
      const server = servers[0] ?? (await serve());
      const { runId } = (await (await postJson(`${server.url}/v1/runs`, { workflow: 'notes' })).json()) as { runId: string };
      const page = await newPage();
      await page.goto(`${server.url}/#/runs/${runId}`);
      await expect.poll(() => liveState(page)).toBe('live');
      const tries: number[] = [];
      // The server refuses the event stream from now on, as one that is down.
      await page.route(/\/events$/, (route) => {
        tries.push(Date.now());
        return route.abort('connectionrefused');
      });
      await stop(server);
      await expect.poll(() => tries.length, { timeout: 30_000 }).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 10_000));
      // 1 s, 2 s, 4 s, 8 s apart (each from half to one and a half times): five tries at most in 10 s, where every 1.5 s made seven.
      expect(tries.length).toBeLessThanOrEqual(5);
      expect(tries.length).toBeGreaterThanOrEqual(3);
      expect(await liveState(page)).toBe('reconnecting');
      await page.close();
    });

    it('stops following a run the server does not have (a stale link, a deleted run)', { timeout: 60_000 }, async () => {
      const server = servers[0] ?? (await serve());
      const page = await newPage();
      await page.goto(`${server.url}/#/runs/r_mx00000000000000000`);
      await page.locator('.run-head .alert.danger').waitFor({ timeout: 30_000 });
      expect(await page.locator('.run-head .alert.danger').textContent()).toContain('no run r_mx00000000000000000');
      // Not "Reconnecting…" for good, asking the server again every 1.5 s.
      await expect.poll(() => liveState(page), { timeout: 30_000 }).toBe('hidden');
      await page.close();
    });
  });
});
