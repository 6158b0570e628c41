// The plan drawn as a left-to-right DAG: one column per depth, tasks coloured by state.
import { patch, s, setText, STATUS_LABEL } from './util.js';

const NODE_W = 226;
const NODE_H = 66;
const GAP_X = 86;
const GAP_Y = 22;
const PAD = 16;
/** Tasks beyond which the graph has no motion (see run.css). */
export const LARGE = 200;
/**
 * Tasks beyond which the graph is drawn in two steps: every task's box at once, then their texts
 * (title, agent, state and tooltip) a slice at a time, those in view first. The texts are most of
 * what a drawing costs the browser (~2/3 of its ~400 ms for 5,000 tasks: their layout and style),
 * and a page drawn in one task that long does not answer a click or a scroll meanwhile. The boxes
 * of such a plan come in the order of its columns, each top to bottom (the keyboard's order too),
 * where a smaller plan's come in the order of its tasks.
 */
export const PROGRESSIVE = 1000;
/** Texts of boxes filled in per slice, and how far beyond the view a box counts as in view (px). */
const FILL_SLICE = 250;
const VIEW_MARGIN = 400;
/** Boxes of one column per group in a two-step drawing (see `draw`). */
const BLOCK_ROWS = 100;

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

/**
 * Lays the plan out and makes its elements; `planGraphView` fills in the tasks' states. A
 * `progressive` drawing makes only the boxes and edges: their texts are left to {@link fillSlice}.
 */
function draw(tasks, progressive) {
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
    col.forEach((t, ri) => pos.set(t.id, { x: PAD + ci * (NODE_W + GAP_X), y: top + ri * (NODE_H + GAP_Y), block: undefined }));
  });
  // A large plan's boxes, and the edges that lead to them, in groups of up to BLOCK_ROWS boxes of
  // one column (all edges below all boxes): a slice of texts filled in makes the browser lay out
  // again only the groups it touched. A group of a whole column made a wide column's filling
  // quadratic: each slice laid the whole column out again.
  const blocks = [];
  if (progressive) {
    for (const col of columns) {
      if (!col) continue;
      col.forEach((t, ri) => {
        if (ri % BLOCK_ROWS === 0) blocks.push({ edges: s('g', { class: 'edges' }), nodes: s('g', { class: 'boxes' }) });
        pos.get(t.id).block = blocks[blocks.length - 1];
      });
    }
  }

  const svg = s('svg', { class: `plan-graph${tasks.length > LARGE ? ' large' : ''}`, viewBox: `0 0 ${width} ${height}`, width, height, role: 'group', 'aria-label': 'plan graph' });
  svg.append(
    s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow-head' }))),
  );

  const edges = [];
  const byId = new Map(tasks.map((t) => [t.id, t]));
  /** Edge labels of a large plan, by the task they lead to: drawn with its texts. */
  const labelsOf = new Map();
  for (const t of tasks) {
    const to = pos.get(t.id);
    const into = progressive ? to.block.edges : svg;
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
      into.append(path);
      if (carried.length) {
        const label = () => s('text', { x: mx, y: (y1 + y2) / 2 - 6, class: 'edge-label', 'text-anchor': 'middle' }, clip(carried.join(', '), 26));
        if (!progressive) into.append(label());
        else if (labelsOf.has(t.id)) labelsOf.get(t.id).push({ path, label });
        else labelsOf.set(t.id, [{ path, label }]);
      }
    }
  }
  for (const block of blocks) svg.append(block.edges);

  const nodes = [];
  for (const t of tasks) {
    const p = pos.get(t.id);
    const g = s('g', { transform: `translate(${p.x},${p.y})`, tabindex: 0, role: 'button', 'data-task': t.id });
    g.append(s('rect', { width: NODE_W, height: NODE_H, rx: 10, class: 'node-box' }), s('rect', { width: 6, height: NODE_H, rx: 3, class: 'node-stripe' }));
    const node = { task: t, g, x: p.x, y: p.y, labels: labelsOf.get(t.id), title: undefined, agentText: undefined, statusText: undefined, last: {}, titleLast: {}, agentLast: {}, statusLast: {} };
    if (!progressive) addTexts(node);
    nodes.push(node);
    (progressive ? p.block.nodes : svg).append(g);
  }
  for (const block of blocks) svg.append(block.nodes);
  return { svg, nodes, edges, unfilled: progressive ? nodes.slice() : [] };
}

/** Gives a node its texts and tooltip, as a drawing in one step makes them (the tooltip first, the texts after the box). */
function addTexts(node) {
  const t = node.task;
  node.title = s('title', {});
  node.agentText = s('text', { x: 16, y: 40, class: 'node-agent' });
  node.statusText = s('text', { x: 16, y: 56, class: 'node-status' });
  node.g.prepend(node.title);
  node.g.append(s('text', { x: 16, y: 22, class: 'node-title' }, clip(t.title || t.id, 28)), node.agentText, node.statusText);
  // Each label right after its edge, as a drawing in one step places it, whatever order the nodes are filled in.
  for (const { path, label } of node.labels || []) path.after(label());
  node.labels = undefined;
}

/** The part of `svg` in the window and its scrolling box, widened by VIEW_MARGIN, in the graph's coordinates; undefined when it is not on the page. */
function viewOf(svg) {
  if (!svg.isConnected) return undefined;
  const r = svg.getBoundingClientRect();
  const box = svg.parentElement ? svg.parentElement.getBoundingClientRect() : r;
  return {
    left: Math.max(box.left, 0) - r.left - VIEW_MARGIN,
    right: Math.min(box.right, window.innerWidth) - r.left + VIEW_MARGIN,
    top: Math.max(box.top, 0) - r.top - VIEW_MARGIN,
    bottom: Math.min(box.bottom, window.innerHeight) - r.top + VIEW_MARGIN,
  };
}

/**
 * Fills in up to FILL_SLICE of `drawn`'s nodes still without texts, those in view first, with the
 * states `show` gives them; true while some are left.
 */
function fillSlice(drawn, show) {
  const view = viewOf(drawn.svg);
  const inView = (n) => view !== undefined && n.x + NODE_W >= view.left && n.x <= view.right && n.y + NODE_H >= view.top && n.y <= view.bottom;
  const picked = [];
  const rest = [];
  for (const n of drawn.unfilled) (picked.length < FILL_SLICE && inView(n) ? picked : rest).push(n);
  let k = 0;
  while (picked.length < FILL_SLICE && k < rest.length) picked.push(rest[k++]);
  drawn.unfilled = k > 0 ? rest.slice(k) : rest;
  for (const n of picked) {
    addTexts(n);
    show(n);
  }
  return drawn.unfilled.length > 0;
}

/**
 * The plan graph of a run's page, kept from one read of the run to the next. `onSelect(taskId)`
 * is called when a task is clicked or activated with the keyboard. The returned function gives
 * the graph with each task's state (`statusOf(taskId)`) and agent (`agentOf(task)`): the plan is
 * laid out and drawn again only when it changed, and otherwise only what changed is set, so a
 * large plan's page stays responsive and a task keeps the keyboard's focus across reads.
 * `progressiveAbove` is the number of tasks beyond which a plan is drawn in two steps ({@link PROGRESSIVE}).
 */
export function planGraphView(onSelect, progressiveAbove = PROGRESSIVE) {
  let key;
  let drawn;
  /** The plan last drawn: a read of what changed keeps the same object, and its key need not be made again. */
  let drawnPlan;
  /** How the last read shows a node's texts: a node filled in later shows the run as last read. */
  let showTexts = () => {};
  /** The next slice of a progressive drawing, while one is under way. */
  let filling;
  const fillLater = () => {
    filling ??= setTimeout(() => {
      filling = undefined;
      // A graph no longer on the page (another run shown) is filled in only if it is shown again.
      if (drawn && drawn.unfilled.length > 0 && drawn.svg.isConnected && fillSlice(drawn, showTexts)) fillLater();
    }, 0);
  };
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
        drawn = draw(plan.tasks, plan.tasks.length > progressiveAbove);
        drawn.svg.addEventListener('click', activate);
        drawn.svg.addEventListener('keydown', activate);
      }
    }
    showTexts = (n, status = statusOf(n.task.id)) => {
      const agent = agentOf(n.task);
      setText(n.statusText, n.statusLast, STATUS_LABEL[status] || status);
      setText(n.agentText, n.agentLast, nodeAgentText(n.task, agent));
      setText(n.title, n.titleLast, nodeTitle(n.task, agent, status));
    };
    for (const n of drawn.nodes) {
      const { task: t } = n;
      const status = statusOf(t.id);
      const label = STATUS_LABEL[status] || status;
      patch(n.g, n.last, { class: `node st-${status}${selected === t.id ? ' selected' : ''}`, 'data-status': status, 'aria-label': `${t.id}: ${label}` });
      if (n.title) showTexts(n, status);
    }
    for (const e of drawn.edges) patch(e.path, e.last, { class: statusOf(e.dep) === 'succeeded' ? 'edge done' : 'edge' });
    if (drawn.unfilled.length > 0) fillLater();
    return drawn.svg;
  };
}
