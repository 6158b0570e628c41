// A Gantt-style timeline of attempts: one row per agent, one bar per attempt, retries and
// reassignments drawn as links between a task's consecutive attempts.
import { fmtDuration, s, STATUS_LABEL } from './util.js';

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

/** Every attempt of the run, in start order, with its task. */
function attemptsOf(run) {
  const out = [];
  for (const t of run.tasks) t.attempts.forEach((a, i) => out.push({ task: t, attempt: a, previous: i > 0 ? t.attempts[i - 1] : undefined }));
  return out.sort((a, b) => Date.parse(a.attempt.startedAt) - Date.parse(b.attempt.startedAt));
}

/** Renders the timeline at `width` pixels; `onSelect(taskId)` opens a task. */
export function timeline(run, width, selected, onSelect) {
  const items = attemptsOf(run);
  const agents = [];
  for (const { attempt } of items) if (!agents.includes(attempt.agent)) agents.push(attempt.agent);
  const t0 = Date.parse(run.startedAt);
  const now = Date.now();
  const tEnd = Math.max(run.endedAt ? Date.parse(run.endedAt) : now, ...items.map((i) => (i.attempt.endedAt ? Date.parse(i.attempt.endedAt) : now)), t0 + 1000);
  const total = tEnd - t0;
  const plotW = Math.max(200, width - LABEL_W - RIGHT_PAD);
  const height = AXIS_H + Math.max(1, agents.length) * ROW_H + 8;
  const x = (ms) => LABEL_W + ((ms - t0) / total) * plotW;

  const svg = s('svg', { class: 'timeline', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'timeline of attempts per agent' });
  svg.append(s('defs', {}, s('marker', { id: 'tl-arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto' }, s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'tl-arrow-head' }))));

  const step = niceStep(total, plotW);
  for (let ms = 0; ms <= total; ms += step) {
    const px = x(t0 + ms);
    svg.append(s('line', { x1: px, x2: px, y1: AXIS_H - 4, y2: height - 4, class: 'tick' }), s('text', { x: px, y: AXIS_H - 10, class: 'tick-label', 'text-anchor': ms === 0 ? 'start' : 'middle' }, tickLabel(ms)));
  }

  agents.forEach((agent, i) => {
    const y = AXIS_H + i * ROW_H;
    svg.append(
      s('rect', { x: 0, y, width, height: ROW_H, class: i % 2 ? 'row odd' : 'row' }),
      s('text', { x: 12, y: y + ROW_H / 2 + 4, class: 'row-label' }, agent.length > 20 ? agent.slice(0, 19) + '…' : agent),
    );
  });
  if (agents.length === 0) svg.append(s('text', { x: LABEL_W, y: AXIS_H + 22, class: 'row-label muted' }, 'No attempt has started yet.'));

  const barY = (agent) => AXIS_H + agents.indexOf(agent) * ROW_H + (ROW_H - BAR_H) / 2;
  for (const { task, attempt, previous } of items) {
    if (!previous || !previous.endedAt) continue;
    const reassigned = previous.agent !== attempt.agent;
    const x1 = x(Date.parse(previous.endedAt));
    const y1 = barY(previous.agent) + BAR_H / 2;
    const x2 = x(Date.parse(attempt.startedAt));
    const y2 = barY(attempt.agent) + BAR_H / 2;
    // A retry arcs over the gap from the end of one bar into the next, wide enough to see.
    const a = Math.min(x1 - 8, x2 - 18);
    const b = Math.max(x2 + 8, x1 + 18);
    const top = y1 - BAR_H / 2 - 1;
    const path = reassigned ? `M${x1},${y1} C${x1 + 24},${y1} ${x2 - 24},${y2} ${x2},${y2}` : `M${a},${top} Q${(a + b) / 2},${top - 14} ${b},${top}`;
    svg.append(s('path', { d: path, class: reassigned ? 'link reassign' : 'link retry', 'marker-end': 'url(#tl-arrow)' }, s('title', {}, `${task.id}: ${reassigned ? `reassigned from ${previous.agent} to ${attempt.agent}` : `retry #${attempt.n}`}`)));
  }

  // Where the next bar of the same row starts: a label outside a bar must end before it.
  const nextStartOf = new Map();
  for (const agent of agents) {
    const row = items.filter((i) => i.attempt.agent === agent).map((i) => i.attempt);
    row.forEach((a, k) => nextStartOf.set(a, k + 1 < row.length ? x(Date.parse(row[k + 1].startedAt)) : width));
  }
  for (const { task, attempt, previous } of items) {
    const start = Date.parse(attempt.startedAt);
    const end = attempt.endedAt ? Date.parse(attempt.endedAt) : now;
    const status = attempt.status || 'running';
    const bx = x(start);
    const bw = Math.max(4, x(end) - bx);
    const y = barY(attempt.agent);
    const reassigned = previous && previous.agent !== attempt.agent;
    const label = `${task.id} #${attempt.n}${reassigned ? ' ↪' : ''}`;
    const g = s('g', { class: `bar st-${status}${selected === task.id ? ' selected' : ''}`, 'data-task': task.id, 'data-attempt': attempt.n, tabindex: 0, role: 'button' });
    const tip = [`${task.id}, attempt ${attempt.n} by ${attempt.agent}`, `${STATUS_LABEL[status] || status}, ${fmtDuration(end - start)}`];
    if (reassigned) tip.push(`reassigned from ${previous.agent}`);
    if (attempt.error) tip.push(attempt.error.slice(0, 300));
    g.append(s('title', {}, tip.join('\n')), s('rect', { x: bx, y, width: bw, height: BAR_H, rx: 4, class: 'bar-box' }));
    const approx = label.length * 6.4 + 10;
    if (bw >= approx) g.append(s('text', { x: bx + 6, y: y + BAR_H / 2 + 4, class: 'bar-label' }, label));
    else if (x(end) + 5 + approx < nextStartOf.get(attempt) - 4) g.append(s('text', { x: bx + bw + 5, y: y + BAR_H / 2 + 4, class: 'bar-label outside' }, label));
    g.addEventListener('click', () => onSelect(task.id));
    g.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        onSelect(task.id);
      }
    });
    svg.append(g);
  }
  return svg;
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
