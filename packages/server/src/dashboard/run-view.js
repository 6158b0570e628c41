// One run, live: header, plan graph, attempt timeline, task details, deliverable, event log.
import { api, followRun } from './api.js';
import { deliverableArtifacts } from './deliverable.js';
import { summarize } from './event-summary.js';
import { planGraphView } from './graph.js';
import { HeldRun } from './run-reads.js';
import { taskDetails } from './task-details.js';
import { timelineLegend, timelineView } from './timeline.js';
import { decisionsCard, pendingCard } from './approvals.js';
import { badge, card, empty, fmtDuration, fmtTime, h, isEnded, jsonBlock, patch, runDuration, setText } from './util.js';

const MAX_LOG = 400;
/**
 * The event log takes in the events that came at most this often (ms), the first after a pause
 * as soon as the stream's read is done: a large run sends hundreds a second, and each change of
 * the log had the browser lay out and paint the page again, most of its frames while following a
 * 5,000-task run.
 */
const LOG_EVERY_MS = 250;
/** A cancel asked for and accepted, while the run goes on: the button may be used again after this long (ms). */
const CANCEL_AGAIN_MS = 10_000;

/** The figures of the stats row: [label, value, warn?]. */
function statsOf(run) {
  const planned = new Set(run.plan.tasks.map((t) => t.id));
  const tasks = run.tasks.filter((t) => planned.has(t.id));
  const done = tasks.filter((t) => t.status === 'succeeded').length;
  const attempts = run.tasks.reduce((n, t) => n + t.attempts.length, 0);
  let retries = 0;
  let reassigned = 0;
  for (const t of run.tasks) {
    t.attempts.forEach((a, i) => {
      if (i === 0) return;
      if (t.attempts[i - 1].agent === a.agent) retries++;
      else reassigned++;
    });
  }
  const tokens = run.usage.inputTokens + run.usage.outputTokens;
  return [
    ['tasks done', `${done} / ${run.plan.tasks.length}`, false],
    ['attempts', String(attempts), false],
    ['retries', String(retries), retries > 0],
    ['reassigned', String(reassigned), reassigned > 0],
    ['duration', fmtDuration(runDuration(run)), false],
    ['LLM tokens', tokens ? tokens.toLocaleString() : '0', false],
  ];
}

/**
 * The stats row, kept from one read to the next: a read sets only the figures that changed. Made
 * again at each read, it had the browser lay out the whole page for what was mostly the same text.
 */
function statsRow() {
  const el = h('div', { class: 'stats' });
  const shown = [];
  return {
    el,
    show(run) {
      statsOf(run).forEach(([label, value, warn], i) => {
        let stat = shown[i];
        if (!stat) {
          const valueEl = h('div', { class: 'stat-value' });
          stat = shown[i] = { box: h('div', {}, valueEl, h('div', { class: 'stat-label' }, label)), valueEl, last: {}, boxLast: {} };
          el.append(stat.box);
        }
        setText(stat.valueEl, stat.last, value);
        patch(stat.box, stat.boxLast, { class: `stat ${warn ? 'warn' : ''}` });
      });
    },
  };
}

/**
 * Once the browser has drawn what changed (its style, layout and paint take longer than the
 * scripts that change a large graph), or after half a second in a tab that draws nothing.
 */
function painted() {
  return new Promise((resolve) => {
    const late = setTimeout(resolve, 500);
    requestAnimationFrame(() =>
      setTimeout(() => {
        clearTimeout(late);
        resolve();
      }),
    );
  });
}

/** Renders the run page into `root`; returns a cleanup function. */
export function runView(root, runId) {
  let run;
  /** `run` as last read, and the last event it folds: the next read asks only for what changed since. */
  const held = new HeldRun();
  let selected;
  let files;
  let ended = false;
  let refreshTimer;
  let tick;
  let disposed = false;
  let gone = false;
  let detailsKey;
  let pendingKey;
  let decisionsKey;
  /** The plan as it was asked to be approved (the "before" of an edit). */
  let requestedPlan;

  const headEl = h('div', { class: 'run-head' }, empty('Loading run…'));
  const approvalEl = h('div', {});
  const decisionsEl = h('div', {});
  const stats = statsRow();
  const graphBody = h('div', { class: 'graph-wrap' });
  const timelineBody = h('div', { class: 'timeline-wrap' });
  const detailsBody = h('div', {});
  const deliverableBody = h('div', {}, empty('The deliverable appears here when the run ends.'));
  const logBody = h('ol', { class: 'event-log', reversed: true });
  const logCount = h('span', { class: 'muted small' }, '0 events');

  root.replaceChildren(
    headEl,
    approvalEl,
    stats.el,
    card('Plan', h('span', { class: 'muted small' }, 'click a task for its details'), graphBody),
    card('Timeline', h('span', { class: 'muted small' }, 'attempts per agent'), timelineBody, h('div', { class: 'legend-wrap' }, timelineLegend())),
    decisionsEl,
    h('div', { id: 'deliverable' }, card('Deliverable', null, deliverableBody)),
    h('div', { id: 'task-details' }, card('Task details', null, detailsBody)),
    card('Events', logCount, h('details', { class: 'section' }, h('summary', {}, 'Show the event stream'), logBody)),
  );

  const select = (taskId) => {
    selected = taskId;
    render();
    document.getElementById('task-details')?.scrollIntoView({ behavior: 'smooth', block: 'start' });
  };

  /** The run was deleted while shown: what is on the page stays, and says so. */
  const showGone = () => {
    gone = true;
    if (run) renderHead();
  };

  // The Cancel button and what it was told, made once: a header made again while a cancel is
  // asked for (the run's status changed, the day) keeps them as they are.
  const cancel = h('button', { class: 'btn danger', type: 'button', id: 'cancel-run' }, 'Cancel run');
  const refused = h('span', { class: 'cancel-error alert danger', id: 'cancel-error', role: 'alert', hidden: true });
  /** Gives the button back once a cancel was accepted and the run goes on (its process has not taken the request in). */
  let cancelAgain;
  const giveBack = () => {
    cancel.disabled = false;
    cancel.textContent = 'Cancel run';
  };
  cancel.addEventListener('click', async () => {
    refused.hidden = true;
    cancel.disabled = true;
    cancel.textContent = 'Cancelling…';
    try {
      await api.cancelRun(runId);
      if (disposed) return;
      cancelAgain = setTimeout(giveBack, CANCEL_AGAIN_MS);
    } catch (e) {
      if (disposed) return;
      giveBack();
      refused.textContent = e.message;
      refused.hidden = false;
    }
  });

  /**
   * What the header shows, as of its last drawing: it is made again only when that changes (the
   * times as shown: one of another day gets its date).
   */
  let headKey;
  const renderHead = () => {
    const started = `started ${fmtTime(run.startedAt)}`;
    const ended = run.endedAt ? `ended ${fmtTime(run.endedAt)}` : '';
    const key = JSON.stringify([run.goal, run.status, run.runId, started, ended, run.planner, run.reason, gone]);
    if (key === headKey) return;
    headKey = key;
    const parts = [
      h('a', { href: '#/', class: 'back' }, '← All runs'),
      h(
        'div',
        { class: 'run-title' },
        h('h1', {}, run.goal),
        h('span', { id: 'run-status', 'data-status': run.status }, badge(run.status)),
        ...(!isEnded(run.status) && !gone ? [cancel, refused] : []),
      ),
      h('div', { class: 'run-meta' }, h('span', { class: 'mono' }, run.runId), h('span', {}, started), ended ? h('span', {}, ended) : null, h('span', {}, `${run.planner} planner`)),
      run.reason ? h('p', { class: `alert ${run.status === 'failed' ? 'danger' : 'warn'}` }, run.reason) : null,
      gone ? h('p', { class: 'alert danger', id: 'run-gone' }, 'This run no longer exists on the server (it was deleted): what is shown is how it last was.') : null,
    ];
    headEl.replaceChildren(...parts.filter(Boolean));
  };

  // Both are kept from one read to the next and changed where the run changed: a large run's page
  // made its thousands of elements again on every read and every second.
  const graph = planGraphView(select);
  const drawTimeline = timelineView(select);
  /** The timeline's width, kept by a ResizeObserver: reading it at each drawing made the browser lay the page out then. */
  let timelineWidth;
  /** When the timeline was last drawn (performance.now()): the clock's tick draws it only when no read did for a second. */
  let timelineDrawn = 0;
  const widthOf = () => Math.max(480, timelineBody.clientWidth || 900);
  const renderTimeline = () => {
    if (!run) return;
    timelineDrawn = performance.now();
    timelineWidth ??= widthOf();
    const el = drawTimeline(run, timelineWidth, selected);
    if (timelineBody.firstChild !== el) timelineBody.replaceChildren(el);
  };
  const resizes = new ResizeObserver(() => {
    const width = widthOf();
    if (width === timelineWidth) return;
    timelineWidth = width;
    renderTimeline();
  });
  resizes.observe(timelineBody);

  const renderApprovals = () => {
    // What waits is redrawn only when it changes, so a plan being edited is not overwritten.
    const key = (run.awaiting || []).map((p) => `${p.kind}:${p.taskId || ''}:${p.requestedAt}`).join('|');
    if (key !== pendingKey) {
      pendingKey = key;
      const panel = pendingCard(run, () => refresh());
      approvalEl.replaceChildren(...(panel ? [panel] : []));
    }
    const decided = `${(run.approvals || []).length}|${requestedPlan ? 'p' : ''}`;
    if (decided !== decisionsKey) {
      decisionsKey = decided;
      const list = decisionsCard(run, requestedPlan);
      decisionsEl.replaceChildren(...(list ? [list] : []));
    }
  };

  const render = () => {
    if (!run || disposed) return;
    renderHead();
    renderApprovals();
    stats.show(run);
    if (!selected) {
      const interesting = run.tasks.find((t) => t.status === 'failed') || run.tasks.find((t) => t.status === 'running') || run.tasks[0];
      selected = interesting && interesting.id;
    }
    const taskById = new Map(run.tasks.map((t) => [t.id, t]));
    const plan = run.plan.tasks.length ? graph(run.plan, (id) => taskById.get(id)?.status || 'pending', selected, (t) => taskById.get(t.id)?.agent || t.agent) : empty('Planning…');
    if (graphBody.firstChild !== plan) graphBody.replaceChildren(plan);
    renderTimeline();
    // Outputs can be large: redraw the details only when the selected task changed.
    const t = taskById.get(selected);
    const key = `${selected}|${t ? `${t.status}|${t.attempts.length}|${t.attempts.map((a) => a.status || '').join()}` : ''}`;
    if (key !== detailsKey) {
      detailsKey = key;
      detailsBody.replaceChildren(selected ? taskDetails(run, selected) : empty('Select a task in the plan or the timeline.'));
    }
  };

  const renderDeliverable = () => {
    if (!run) return;
    const parts = [];
    const report = files && files.find((f) => /(^|\/)report\.html$/.test(f.name));
    if (report) {
      parts.push(
        h('div', { class: 'report-bar' }, h('strong', {}, report.name), h('a', { href: report.url, target: '_blank', rel: 'noopener' }, 'Open in a new tab ↗')),
        h('iframe', { class: 'report-frame', src: report.url, sandbox: '', title: 'report', referrerpolicy: 'no-referrer' }),
      );
    }
    // Without a report of its own, the artifacts are the deliverable: shown open, readably.
    if (!report) parts.push(...deliverableArtifacts(run.deliverable));
    if (files && files.length) {
      parts.push(
        h('h3', { class: 'sub' }, 'Files'),
        h('ul', { class: 'file-list' }, files.map((f) => h('li', {}, h('a', { href: f.url, target: '_blank', rel: 'noopener' }, f.name), h('span', { class: 'muted small' }, ` ${(f.size / 1024).toFixed(1)} KB`)))),
      );
    }
    const artifacts = run.deliverable.artifacts || {};
    if (Object.keys(artifacts).length) parts.push(h('details', { class: 'section' }, h('summary', {}, `Raw JSON: ${Object.keys(artifacts).join(', ')}`), jsonBlock(artifacts)));
    if (run.deliverable.missing && run.deliverable.missing.length) parts.push(h('p', { class: 'alert warn' }, `Missing: ${run.deliverable.missing.join(', ')}`));
    deliverableBody.replaceChildren(...(parts.length ? parts : [empty(!isEnded(run.status) ? 'The deliverable appears here when the run ends.' : 'This run produced no deliverable.')]));
  };

  /** Reads that failed in a row (a server restarting, a lost connection), and the timer that tries again: 1 s, 2 s, 4 s ... 10 s. */
  let readFailures = 0;
  let retryTimer;
  const refresh = async () => {
    try {
      // Reads that crossed (a decision's read beside the page's own): the older is not drawn.
      if (!(await held.read((since) => api.readRun(runId, since)))) return;
      run = held.run;
    } catch (e) {
      if (!disposed && !run) headEl.replaceChildren(h('a', { href: '#/', class: 'back' }, '← All runs'), h('p', { class: 'alert danger' }, e.message));
      else if (!disposed && e.status === 404) showGone();
      else if (!disposed) {
        // Tried again, as the event stream reconnects: after the run's end no event asks for another read.
        clearTimeout(retryTimer);
        retryTimer = setTimeout(scheduleRefresh, Math.min(10_000, 1000 * 2 ** readFailures++));
      }
      return;
    }
    readFailures = 0;
    if (disposed) return;
    render();
    if (isEnded(run.status) && !files) {
      ended = true;
      try {
        files = (await api.files(runId)).files;
      } catch {
        files = [];
      }
      renderDeliverable();
    }
  };

  // Events come faster than a run can be read and drawn (thousands of short tasks): one read at a
  // time, at most one more waiting, and after each read a pause three times as long as the read
  // and the frame that draws it took, at least 120 ms (which also gathers a burst of events into
  // one read), so that a large run's page spends at most a quarter of its time on reads. Putting
  // the read off at each event instead left the page as it was until the events paused. A read
  // after the first asks only for what changed since the one before (api.readRun): the whole of a
  // 1,500-task run is 577 KB, and the page read it ~4 times a second once drawing it became cheap.
  let refreshing = false;
  let refreshWanted = false;
  /** When the pause after the last read ends (performance.now()). */
  let pauseEnds = 0;
  /** Set once the run's end is told (its event, or the stream ended): the read that shows it waits for no pause. */
  let endTold = false;
  const scheduleRefresh = () => {
    if (refreshing) refreshWanted = true;
    else if (endTold && !isEnded(run?.status)) {
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(refreshNow, 0);
    } else if (refreshTimer === undefined) refreshTimer = setTimeout(refreshNow, Math.max(120, pauseEnds - performance.now()));
  };
  const refreshNow = async () => {
    refreshTimer = undefined;
    refreshing = true;
    refreshWanted = false;
    const started = performance.now();
    try {
      await refresh();
      await painted();
    } finally {
      refreshing = false;
    }
    const now = performance.now();
    pauseEnds = now + Math.max(120, 3 * (now - started));
    if (refreshWanted && !disposed) scheduleRefresh();
  };

  const indicator = document.getElementById('live-indicator');
  const setLive = (state) => {
    if (!indicator) return;
    indicator.hidden = state === 'ended' || state === 'gone';
    indicator.dataset.state = state;
    indicator.querySelector('.text').textContent = state === 'live' ? 'Live' : 'Reconnecting…';
  };

  /** Events not in the log yet, the time the log last took some in, and the timer that will. */
  let unlogged = [];
  let loggedAt = -Infinity;
  let logTimer;
  const flushLog = () => {
    clearTimeout(logTimer);
    logTimer = undefined;
    loggedAt = performance.now();
    if (unlogged.length === 0) return;
    const last = unlogged[unlogged.length - 1];
    // Newest first; of a burst, only what the log keeps is made.
    const items = unlogged.slice(-MAX_LOG).reverse().map((e) => h('li', { class: `ev ev-${e.type.replace('.', '-')}` }, h('span', { class: 'mono muted' }, `#${e.seq}`), h('span', { class: 'ev-type' }, e.type), h('span', { class: 'muted small' }, fmtTime(e.at)), h('span', { class: 'ev-text' }, summarize(e))));
    unlogged = [];
    logBody.prepend(...items);
    while (logBody.children.length > MAX_LOG) logBody.lastChild.remove();
    logCount.textContent = `${last.seq} events`;
  };
  // The first after a pause in a task of its own, once the events read with it are in too.
  const logLater = () => {
    logTimer ??= setTimeout(flushLog, Math.max(0, loggedAt + LOG_EVERY_MS - performance.now()));
  };

  const onEvent = (e) => {
    if (e.type === 'approval.requested' && e.plan) requestedPlan = e.plan;
    if (e.type === 'run.ended') endTold = true;
    // The log shows the last MAX_LOG: a tab in the background, whose timers wait, keeps no more.
    if (unlogged.push(e) > 2 * MAX_LOG) unlogged.splice(0, unlogged.length - MAX_LOG);
    // Between the last task and run.ended the run is integrating: say so rather than look finished.
    if ((e.type === 'integration.started' || e.type === 'integration.ended') && !files) {
      deliverableBody.replaceChildren(
        e.type === 'integration.started'
          ? h('p', { class: 'empty integrating', id: 'integrating' }, `Integrating the deliverable (${e.integrator})…`)
          : empty(e.ok ? 'Deliverable integrated; finishing the run…' : `Integration failed: ${e.error || 'unknown error'}`),
      );
      // What the deliverable's card says is in the log with it.
      flushLog();
    } else logLater();
    scheduleRefresh();
  };
  const onState = (state) => {
    setLive(state);
    if (state === 'ended') {
      endTold = true;
      scheduleRefresh();
    }
    if (state === 'gone') showGone();
  };

  let stopFollowing;
  // The run's events are followed from the first read on, and only the last MAX_LOG of those
  // before it, the most the log shows: a 5,000-task run has ~10,000 (~3 MB), each drawn and
  // dropped again. All of them for a run whose plan was edited when approved: the plan as it was
  // asked about (the "before" of the edit) is only in an early event. A plan decision still
  // awaited was asked for after everything else the run did, so its event is among the last.
  refresh().finally(() => {
    if (disposed) return;
    const edited = run && run.approvals && run.approvals.some((a) => a.kind === 'plan' && a.planEdited);
    stopFollowing = followRun(runId, onEvent, onState, run && held.seq !== undefined && !edited ? Math.max(0, held.seq - MAX_LOG) : 0);
  });
  // Running attempts' bars grow with the clock while no event comes. A read draws them too, and
  // a drawing moves every bar of the timeline when the run outgrows its scale.
  tick = setInterval(() => {
    if (!run || disposed) return;
    // A page left open past midnight dates its times, though the run is not read again.
    renderHead();
    if (!isEnded(run.status) && !ended && performance.now() - timelineDrawn >= 900) {
      renderTimeline();
      stats.show(run);
    }
  }, 1000);

  return () => {
    disposed = true;
    stopFollowing?.();
    clearTimeout(refreshTimer);
    clearTimeout(retryTimer);
    clearTimeout(logTimer);
    clearInterval(tick);
    clearTimeout(cancelAgain);
    resizes.disconnect();
    if (indicator) indicator.hidden = true;
  };
}
