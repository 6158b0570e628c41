// The plan drawn as a left-to-right DAG: one column per depth, tasks coloured by state.
import { patch, s, setText, STATUS_LABEL } from './util.js';

const NODE_W = 226;
const NODE_H = 66;
const GAP_X = 86;
const GAP_Y = 22;
const PAD = 16;
/** Tasks beyond which the graph has no motion (see run.css). */
export const LARGE = 200;

function depths(tasks) {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const memo = new Map();
  const depth = (id, seen = new Set()) => {
    if (memo.has(id)) return memo.get(id);
    if (seen.has(id)) return 0;
    seen.add(id);
    const t = byId.get(id);
    const d = t && t.dependsOn.length ? 1 + Math.max(...t.dependsOn.map((p) => depth(p, seen))) : 0;
    memo.set(id, d);
    return d;
  };
  for (const t of tasks) depth(t.id);
  return memo;
}

function clip(text, max) {
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}

/** What the drawing depends on besides the tasks' states: a plan edited before approval is drawn anew. */
function planKey(tasks) {
  return JSON.stringify(tasks.map((t) => [t.id, t.title, t.agent, t.dependsOn, t.consumes, t.produces]));
}

function nodeTitle(t, agent, status) {
  return `${t.title}\n${t.id} → ${agent}${agent !== t.agent ? ` (planned for ${t.agent})` : ''}\n${STATUS_LABEL[status] || status}`;
}

function nodeAgentText(t, agent) {
  return clip(`${agent}${agent !== t.agent ? ' ↪' : ''} · ${t.produces.join(', ')}`, 34);
}

/** Lays the plan out and makes its elements; `planGraphView` fills in the tasks' states. */
function draw(tasks) {
  const depth = depths(tasks);
  const columns = [];
  for (const t of tasks) {
    const d = depth.get(t.id) || 0;
    (columns[d] ||= []).push(t);
  }
  const rows = Math.max(1, ...columns.map((c) => (c ? c.length : 0)));
  const width = PAD * 2 + columns.length * NODE_W + Math.max(0, columns.length - 1) * GAP_X;
  const height = PAD * 2 + rows * NODE_H + (rows - 1) * GAP_Y;
  const pos = new Map();
  columns.forEach((col, ci) => {
    if (!col) return;
    const colHeight = col.length * NODE_H + (col.length - 1) * GAP_Y;
    const top = PAD + (height - PAD * 2 - colHeight) / 2;
    col.forEach((t, ri) => pos.set(t.id, { x: PAD + ci * (NODE_W + GAP_X), y: top + ri * (NODE_H + GAP_Y) }));
  });

  const svg = s('svg', { class: `plan-graph${tasks.length > LARGE ? ' large' : ''}`, viewBox: `0 0 ${width} ${height}`, width, height, role: 'group', 'aria-label': 'plan graph' });
  svg.append(
    s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow-head' }))),
  );

  const edges = [];
  const byId = new Map(tasks.map((t) => [t.id, t]));
  for (const t of tasks) {
    const to = pos.get(t.id);
    for (const dep of t.dependsOn) {
      const from = pos.get(dep);
      const src = byId.get(dep);
      if (!from || !src) continue;
      const x1 = from.x + NODE_W;
      const y1 = from.y + NODE_H / 2;
      const x2 = to.x - 2;
      const y2 = to.y + NODE_H / 2;
      const mx = (x1 + x2) / 2;
      const carried = t.consumes.filter((a) => src.produces.includes(a));
      const path = s('path', { d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`, class: 'edge', 'marker-end': 'url(#arrow)' });
      edges.push({ path, dep, last: {} });
      svg.append(path);
      if (carried.length) {
        svg.append(s('text', { x: mx, y: (y1 + y2) / 2 - 6, class: 'edge-label', 'text-anchor': 'middle' }, clip(carried.join(', '), 26)));
      }
    }
  }

  const nodes = [];
  for (const t of tasks) {
    const p = pos.get(t.id);
    const g = s('g', { transform: `translate(${p.x},${p.y})`, tabindex: 0, role: 'button', 'data-task': t.id });
    const title = s('title', {});
    const agentText = s('text', { x: 16, y: 40, class: 'node-agent' });
    const statusText = s('text', { x: 16, y: 56, class: 'node-status' });
    g.append(
      title,
      s('rect', { width: NODE_W, height: NODE_H, rx: 10, class: 'node-box' }),
      s('rect', { width: 6, height: NODE_H, rx: 3, class: 'node-stripe' }),
      s('text', { x: 16, y: 22, class: 'node-title' }, clip(t.title || t.id, 28)),
      agentText,
      statusText,
    );
    nodes.push({ task: t, g, title, agentText, statusText, last: {}, titleLast: {}, agentLast: {}, statusLast: {} });
    svg.append(g);
  }
  return { svg, nodes, edges };
}

/**
 * The plan graph of a run's page, kept from one read of the run to the next. `onSelect(taskId)`
 * is called when a task is clicked or activated with the keyboard. The returned function gives
 * the graph with each task's state (`statusOf(taskId)`) and agent (`agentOf(task)`): the plan is
 * laid out and drawn again only when it changed, and otherwise only what changed is set, so a
 * large plan's page stays responsive and a task keeps the keyboard's focus across reads.
 */
export function planGraphView(onSelect) {
  let key;
  let drawn;
  /** The plan last drawn: a read of what changed keeps the same object, and its key need not be made again. */
  let drawnPlan;
  const activate = (e) => {
    const g = e.target instanceof Element ? e.target.closest('.node') : null;
    if (!g || !drawn || !drawn.svg.contains(g)) return;
    if (e.type === 'keydown') {
      if (e.key !== 'Enter' && e.key !== ' ') return;
      e.preventDefault();
    }
    onSelect(g.dataset.task);
  };
  return (plan, statusOf, selected, agentOf = (t) => t.agent) => {
    if (plan !== drawnPlan) {
      drawnPlan = plan;
      const k = planKey(plan.tasks);
      if (k !== key) {
        key = k;
        drawn = draw(plan.tasks);
        drawn.svg.addEventListener('click', activate);
        drawn.svg.addEventListener('keydown', activate);
      }
    }
    for (const n of drawn.nodes) {
      const { task: t } = n;
      const status = statusOf(t.id);
      const agent = agentOf(t);
      const label = STATUS_LABEL[status] || status;
      patch(n.g, n.last, { class: `node st-${status}${selected === t.id ? ' selected' : ''}`, 'data-status': status, 'aria-label': `${t.id}: ${label}` });
      setText(n.statusText, n.statusLast, label);
      setText(n.agentText, n.agentLast, nodeAgentText(t, agent));
      setText(n.title, n.titleLast, nodeTitle(t, agent, status));
    }
    for (const e of drawn.edges) patch(e.path, e.last, { class: statusOf(e.dep) === 'succeeded' ? 'edge done' : 'edge' });
    return drawn.svg;
  };
}
