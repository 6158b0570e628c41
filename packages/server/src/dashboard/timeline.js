// A Gantt-style timeline of attempts: one row per agent, one bar per attempt, retries and
// reassignments drawn as links between a task's consecutive attempts.
import { LARGE } from './graph.js';
import { fmtDuration, patch, s, setText, STATUS_LABEL } from './util.js';

const LABEL_W = 150;
const ROW_H = 36;
const BAR_H = 20;
const AXIS_H = 26;
const RIGHT_PAD = 18;

function niceStep(totalMs, px) {
  const target = totalMs / Math.max(2, Math.floor(px / 110));
  const steps = [100, 200, 500, 1000, 2000, 5000, 10000, 15000, 30000, 60000, 120000, 300000, 600000, 1800000, 3600000];
  return steps.find((st) => st >= target) || steps[steps.length - 1];
}

function tickLabel(ms) {
  if (ms === 0) return '0';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60000) return `${ms / 1000} s`;
  return `${ms / 60000} min`;
}

/**
 * How many of a task's attempts get a bar of their own, the last ones: the earlier ones are drawn
 * as one bar per agent that made them. A task retried thousands of times (a poll that keeps
 * failing) made a bar and a link for each, all in one row, and its page fell tens of seconds
 * behind the run.
 */
export const BARS_PER_TASK = 100;

/**
 * The bars standing for the attempts of task `t` not drawn one by one (`earlier`), one per agent:
 * from the first one's start to the last one's end, each with the count and the numbers it stands
 * for (`folded`).
 */
function foldedItems(t, earlier) {
  const byAgent = new Map();
  for (const a of earlier) {
    let fold = byAgent.get(a.agent);
    if (!fold) byAgent.set(a.agent, (fold = { agent: a.agent, count: 0, first: a, last: a, start: Date.parse(a.startedAt), end: undefined }));
    fold.count++;
    fold.last = a;
    if (a.endedAt) fold.end = Math.max(fold.end ?? 0, Date.parse(a.endedAt));
  }
  return [...byAgent.values()].map((fold) => {
    const attempt = { n: `${fold.first.n}–${fold.last.n}`, agent: fold.agent, status: 'folded', folded: fold.count };
    return { task: t, attempt, key: `${t.id}#${fold.agent}#folded`, previous: undefined, start: fold.start, end: fold.end ?? fold.start };
  });
}

/**
 * Every attempt of the run that gets a bar (see {@link BARS_PER_TASK}), in start order, with its
 * task, its key (`taskId#n`, what names its bar and the link into it from one drawing to the next)
 * and its start and end in ms (the end undefined while it runs): parsed once, where the sort
 * parsed two dates at each comparison. `parsed` keeps each task's attempts from one drawing to the
 * next: a read of what changed keeps the objects of the tasks that did not change, and a large
 * run's page parsed all of their dates and made all of their keys again at each read.
 */
function attemptsOf(run, parsed) {
  const out = [];
  for (const t of run.tasks) {
    let items = parsed.get(t);
    if (items === undefined) {
      const folded = Math.max(0, t.attempts.length - BARS_PER_TASK);
      items = folded > 0 ? foldedItems(t, t.attempts.slice(0, folded)) : [];
      for (let i = folded; i < t.attempts.length; i++) {
        const a = t.attempts[i];
        items.push({ task: t, attempt: a, key: `${t.id}#${a.n}`, previous: i > 0 ? t.attempts[i - 1] : undefined, start: Date.parse(a.startedAt), end: a.endedAt ? Date.parse(a.endedAt) : undefined });
      }
      parsed.set(t, items);
    }
    for (const item of items) out.push(item);
  }
  return out.sort((a, b) => a.start - b.start);
}

/** Makes `el` the child of `parent` after `previous` (its first child when none), if it is not already. */
function placeAfter(parent, el, previous) {
  const at = previous ? previous.nextSibling : parent.firstChild;
  if (at !== el) parent.insertBefore(el, at);
}

/** Removes the kept items (and their elements) that `drawing` did not meet (their `seen` is an older drawing's). */
function dropUnseen(kept, drawing, elementOf) {
  for (const [key, item] of kept) {
    if (item.seen !== drawing) {
      elementOf(item).remove();
      kept.delete(key);
    }
  }
}

/** How many bars one task of the page makes at most: the rest are made in the tasks after. */
export const BARS_AT_ONCE = 1000;

/**
 * The timeline of a run's page, kept from one read of the run to the next. `onSelect(taskId)` is
 * called when a bar is clicked or activated with the keyboard. The returned function draws the
 * run at `width` pixels: each attempt's bar is made once and then only moved and restyled, so a
 * run of thousands of attempts is redrawn without making its thousands of elements again.
 * A drawing makes at most `barsAtOnce` new bars ({@link BARS_AT_ONCE}) and the others in the page's
 * next tasks, as many each: opening an ended 5,000-task run made its 5,000 bars in the same task as
 * the plan graph, ~70 ms of it.
 */
export function timelineView(onSelect, barsAtOnce = BARS_AT_ONCE) {
  const svg = s('svg', { class: 'timeline', role: 'group', 'aria-label': 'timeline of attempts per agent' });
  const rowsG = s('g', {});
  const ticksG = s('g', {});
  const linksG = s('g', {});
  const barsG = s('g', {});
  // The rows' opaque stripes are drawn over the ticks' lines, as they always were.
  svg.append(s('defs', {}, s('marker', { id: 'tl-arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto' }, s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'tl-arrow-head' }))), ticksG, rowsG, linksG, barsG);
  const activate = (e) => {
    const g = e.target instanceof Element ? e.target.closest('.bar') : null;
    if (!g || !svg.contains(g)) return;
    if (e.type === 'keydown') {
      if (e.key !== 'Enter' && e.key !== ' ') return;
      e.preventDefault();
    }
    onSelect(g.dataset.task);
  };
  svg.addEventListener('click', activate);
  svg.addEventListener('keydown', activate);
  const svgLast = {};
  let rowsKey;
  let ticksKey;
  /** Each attempt's bar and the link into it from the attempt before, by `taskId#n`. */
  const bars = new Map();
  const links = new Map();
  /** Each task's attempts as {@link attemptsOf} parsed them, by the task's object as read. */
  const parsed = new WeakMap();
  /** How many drawings there were: each bar and link kept says the last one that met it (`seen`). */
  let drawings = 0;
  /** The time the timeline's width stands for, ms from the run's start. */
  let span = 0;
  /**
   * The bars of the last drawing not made yet, in the order of its attempts, each with the key of
   * the attempt before it (undefined for the first), and how that drawing placed them.
   */
  let unmade = [];
  /** How many of `unmade` are made by now. */
  let unmadeFrom = 0;
  let unmadeAt;
  /** The next task that makes some of them, while one is due. */
  let making;
  const makeLater = () => {
    making ??= setTimeout(() => {
      making = undefined;
      // A timeline no longer on the page (another run shown) is made only if it is drawn again.
      if (!svg.isConnected) return;
      const end = Math.min(unmadeFrom + barsAtOnce, unmade.length);
      const slice = unmade.slice(unmadeFrom, end);
      unmadeFrom = end;
      for (const { item, after } of slice) {
        if (bars.has(item.key)) continue;
        const bar = showBar(item, unmadeAt);
        // Each after the bar of the attempt before it, made by now: they are made in the drawing's order.
        const previous = after === undefined ? undefined : bars.get(after);
        if (after === undefined || previous) placeAfter(barsG, bar.g, previous?.g);
        else barsG.append(bar.g);
      }
      if (unmadeFrom < unmade.length) makeLater();
    }, 0);
  };

  /** Makes (if need be) and sets the bar of `item`, an attempt as `at` (a drawing's scale and state) places it. */
  const showBar = (item, at) => {
    const { task, attempt, previous } = item;
    const { key } = item;
    let bar = bars.get(key);
    const isSelected = at.selected === task.id;
    const nextStart = at.nextStartOf.get(attempt);
    // An ended attempt drawn as it was last time (the same object: a read of what changed keeps
    // those of unchanged tasks) on the same scale, row and neighbour: nothing of it to set again.
    const shown = bar?.shown;
    if (shown && item.end !== undefined && shown.attempt === attempt && shown.previous === previous && shown.scale === at.scale && shown.y === at.barY(attempt.agent) && shown.selected === isSelected && shown.nextStart === nextStart) return bar;
    const start = item.start;
    const end = item.end ?? at.now;
    const status = attempt.status || 'running';
    const bx = at.x(start);
    const bw = Math.max(4, at.x(end) - bx);
    const y = at.barY(attempt.agent);
    const reassigned = previous && previous.agent !== attempt.agent;
    const label = attempt.folded ? `${task.id} ×${attempt.folded.toLocaleString()}` : `${task.id} #${attempt.n}${reassigned ? ' ↪' : ''}`;
    if (!bar) {
      bar = { g: s('g', { tabindex: 0, role: 'button' }), title: s('title', {}), rect: s('rect', { rx: 4, class: 'bar-box' }), text: undefined, shown: undefined, last: {}, titleLast: {}, rectLast: {}, textLast: {} };
      bar.g.append(bar.title, bar.rect);
      bars.set(key, bar);
    }
    bar.shown = { attempt, previous, scale: at.scale, y, selected: isSelected, nextStart };
    patch(bar.g, bar.last, { class: `bar st-${status}${isSelected ? ' selected' : ''}`, 'data-task': task.id, 'data-attempt': attempt.n });
    const tip = attempt.folded
      ? [`${task.id}, attempts ${attempt.n} by ${attempt.agent}: ${attempt.folded.toLocaleString()} attempts in ${fmtDuration(end - start)}, drawn as one (the last ${BARS_PER_TASK} of a task have a bar each)`]
      : [`${task.id}, attempt ${attempt.n} by ${attempt.agent}`, `${STATUS_LABEL[status] || status}, ${fmtDuration(end - start)}`];
    if (reassigned) tip.push(`reassigned from ${previous.agent}`);
    if (attempt.error) tip.push(attempt.error.slice(0, 300));
    setText(bar.title, bar.titleLast, tip.join('\n'));
    patch(bar.rect, bar.rectLast, { x: bx, y, width: bw, height: BAR_H });
    const approx = label.length * 6.4 + 10;
    const inside = bw >= approx;
    const outside = !inside && at.x(end) + 5 + approx < (nextStart ?? at.width) - 4;
    if (inside || outside) {
      if (!bar.text) {
        bar.text = s('text', {});
        bar.textLast = {};
        bar.g.append(bar.text);
      }
      patch(bar.text, bar.textLast, { x: inside ? bx + 6 : bx + bw + 5, y: y + BAR_H / 2 + 4, class: inside ? 'bar-label' : 'bar-label outside' });
      setText(bar.text, bar.textLast, label);
    } else if (bar.text) {
      bar.text.remove();
      bar.text = undefined;
    }
    return bar;
  };

  return (run, width, selected) => {
    const items = attemptsOf(run, parsed);
    const drawing = ++drawings;
    const agents = [];
    const rowOf = new Map();
    for (const { attempt } of items) {
      if (!rowOf.has(attempt.agent)) {
        rowOf.set(attempt.agent, agents.length);
        agents.push(attempt.agent);
      }
    }
    const t0 = Date.parse(run.startedAt);
    const now = Date.now();
    let tEnd = Math.max(run.endedAt ? Date.parse(run.endedAt) : now, t0 + 1000);
    for (const i of items) tEnd = Math.max(tEnd, i.end ?? now);
    // A running run's scale is kept while the run fits in it, and made a quarter longer than the
    // run when it no longer does: with the run's length so far as its scale, every bar moved at
    // each drawing, and the browser styled and laid out all of a large run's bars again every
    // second. An ended run's scale is its length.
    const length = tEnd - t0;
    if (run.endedAt || length > span || length * 2 < span) span = run.endedAt ? length : Math.ceil(length * 1.25);
    const total = span;
    const plotW = Math.max(200, width - LABEL_W - RIGHT_PAD);
    const height = AXIS_H + Math.max(1, agents.length) * ROW_H + 8;
    const x = (ms) => LABEL_W + ((ms - t0) / total) * plotW;
    patch(svg, svgLast, { class: `timeline${items.length > LARGE ? ' large' : ''}`, width, height, viewBox: `0 0 ${width} ${height}` });

    const rows = `${width}|${height}|${agents.join('\n')}`;
    if (rows !== rowsKey) {
      rowsKey = rows;
      rowsG.replaceChildren(
        ...agents.flatMap((agent, i) => {
          const y = AXIS_H + i * ROW_H;
          return [s('rect', { x: 0, y, width, height: ROW_H, class: i % 2 ? 'row odd' : 'row' }), s('text', { x: 12, y: y + ROW_H / 2 + 4, class: 'row-label' }, agent.length > 20 ? agent.slice(0, 19) + '…' : agent)];
        }),
      );
      if (agents.length === 0) rowsG.append(s('text', { x: LABEL_W, y: AXIS_H + 22, class: 'row-label muted' }, 'No attempt has started yet.'));
    }

    const step = niceStep(total, plotW);
    const ticks = `${width}|${height}|${total}|${step}`;
    if (ticks !== ticksKey) {
      ticksKey = ticks;
      const parts = [];
      for (let ms = 0; ms <= total; ms += step) {
        const px = x(t0 + ms);
        parts.push(s('line', { x1: px, x2: px, y1: AXIS_H - 4, y2: height - 4, class: 'tick' }), s('text', { x: px, y: AXIS_H - 10, class: 'tick-label', 'text-anchor': ms === 0 ? 'start' : 'middle' }, tickLabel(ms)));
      }
      ticksG.replaceChildren(...parts);
    }

    const barY = (agent) => AXIS_H + rowOf.get(agent) * ROW_H + (ROW_H - BAR_H) / 2;
    let previousLink;
    for (const item of items) {
      const { task, attempt, previous, key } = item;
      if (!previous || !previous.endedAt) continue;
      const reassigned = previous.agent !== attempt.agent;
      const x1 = x(Date.parse(previous.endedAt));
      const y1 = barY(previous.agent) + BAR_H / 2;
      const x2 = x(item.start);
      const y2 = barY(attempt.agent) + BAR_H / 2;
      // A retry arcs over the gap from the end of one bar into the next, wide enough to see.
      const a = Math.min(x1 - 8, x2 - 18);
      const b = Math.max(x2 + 8, x1 + 18);
      const top = y1 - BAR_H / 2 - 1;
      let link = links.get(key);
      if (!link) {
        link = { path: s('path', { 'marker-end': 'url(#tl-arrow)' }), title: s('title', {}), last: {}, titleLast: {} };
        link.path.append(link.title);
        links.set(key, link);
      }
      link.seen = drawing;
      patch(link.path, link.last, {
        d: reassigned ? `M${x1},${y1} C${x1 + 24},${y1} ${x2 - 24},${y2} ${x2},${y2}` : `M${a},${top} Q${(a + b) / 2},${top - 14} ${b},${top}`,
        class: reassigned ? 'link reassign' : 'link retry',
      });
      setText(link.title, link.titleLast, `${task.id}: ${reassigned ? `reassigned from ${previous.agent} to ${attempt.agent}` : `retry #${attempt.n}`}`);
      placeAfter(linksG, link.path, previousLink);
      previousLink = link.path;
    }
    dropUnseen(links, drawing, (link) => link.path);

    // Where the next bar of the same row starts: a label outside a bar must end before it.
    const nextStartOf = new Map();
    const lastOfRow = new Map();
    for (const { attempt, start } of items) {
      const before = lastOfRow.get(attempt.agent);
      if (before) nextStartOf.set(before, x(start));
      lastOfRow.set(attempt.agent, attempt);
    }
    const at = { x, barY, now, width, nextStartOf, selected, scale: `${t0}|${total}|${plotW}|${width}` };
    const later = [];
    let made = 0;
    let previousBar;
    let previousKey;
    for (const item of items) {
      const { key } = item;
      if (!bars.has(key) && made++ >= barsAtOnce) later.push({ item, after: previousKey });
      else {
        const bar = showBar(item, at);
        bar.seen = drawing;
        placeAfter(barsG, bar.g, previousBar);
        previousBar = bar.g;
      }
      previousKey = key;
    }
    dropUnseen(bars, drawing, (bar) => bar.g);
    unmade = later;
    unmadeFrom = 0;
    unmadeAt = at;
    if (later.length > 0) makeLater();
    return svg;
  };
}

/** The legend under the timeline. */
export function timelineLegend() {
  const item = (cls, text) => s('g', {}, s('rect', { width: 12, height: 12, rx: 3, class: cls }), s('text', { x: 18, y: 10 }, text));
  const entries = [
    ['bar-box st-running', 'running'],
    ['bar-box st-succeeded', 'succeeded'],
    ['bar-box st-failed', 'failed'],
    ['bar-box st-timeout', 'timed out'],
    ['bar-box st-invalid', 'invalid output'],
  ];
  const svg = s('svg', { class: 'legend', width: 640, height: 16 });
  let x0 = 0;
  for (const [cls, text] of entries) {
    const g = item(cls, text);
    g.setAttribute('transform', `translate(${x0},2)`);
    svg.append(g);
    x0 += 22 + text.length * 6.5 + 14;
  }
  const retry = s('g', { transform: `translate(${x0},2)` }, s('path', { d: 'M0,8 Q10,0 20,8', class: 'link retry' }), s('text', { x: 26, y: 10 }, 'retry'));
  x0 += 70;
  const re = s('g', { transform: `translate(${x0},2)` }, s('path', { d: 'M0,2 C10,2 10,10 20,10', class: 'link reassign' }), s('text', { x: 26, y: 10 }, 'reassigned'));
  svg.append(retry, re);
  return svg;
}
