// The plan drawn as a left-to-right DAG: one column per depth, tasks coloured by state.
import { h, patch, s, setText, STATUS_LABEL } from './util.js';

const NODE_W = 226;
const NODE_H = 66;
const GAP_X = 86;
const GAP_Y = 22;
const PAD = 16;
/** Tasks beyond which the graph has no motion (see run.css). */
export const LARGE = 200;
/**
 * Tasks beyond which the graph is drawn in steps, each a task of the page: the boxes and edges of
 * about BOXES_AT_ONCE tasks at once (whole groups of a column, to 99 more), in the order of the
 * columns, the others as many a step, those in view first; then their texts (title, agent, state
 * and tooltip) a slice at a time, those in view first. Texts are most of what a drawing costs the browser (~2/3 of its ~400 ms for 5,000
 * tasks: their layout and style), and making every box and edge at once still took ~100 ms of
 * one; a page busy that long in one task does not answer a click or a scroll meanwhile. The boxes
 * of such a plan come in the order of its columns, each top to bottom (the keyboard's order too),
 * where a smaller plan's come in the order of its tasks.
 */
export const PROGRESSIVE = 1000;
/** Boxes (with the edges into them) made per step, texts of boxes filled in per slice, and how far beyond the view a box counts as in view (px). */
export const BOXES_AT_ONCE = 1000;
const FILL_SLICE = 250;
const VIEW_MARGIN = 400;
/** Boxes of one column per group in a drawing in steps (see `draw`). */
const BLOCK_ROWS = 100;
/**
 * How far a tile of a graph drawn in tiles reaches past what it holds, for what is drawn beyond it
 * in one <svg> and a tile would clip (text widths are not measured: up to 1.2 em a character
 * covers the widest letters of common fonts). An edge's label on either side of its middle: 26
 * characters of 11 px and their halo. A box's texts from its left: 16 px, then 34 characters of
 * the agent's line (11.5 px) or 28 of the title (13 px); in one <svg> a long one runs out of the box.
 */
const LABEL_HALF_W = Math.ceil((26 * 11 * 1.2) / 2) + 3;
const TEXTS_W = 16 + Math.ceil(Math.max(34 * 11.5, 28 * 13) * 1.2);

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
 * Lays the plan out and makes its elements; `planGraphView` sets the tasks' states. A
 * `progressive` drawing makes only the groups the boxes and edges go in: {@link makeBlocks} makes
 * them, and {@link fillSlice} their texts.
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
    col.forEach((t, ri) => pos.set(t.id, { x: PAD + ci * (NODE_W + GAP_X), y: top + ri * (NODE_H + GAP_Y) }));
  });

  const cls = `plan-graph${tasks.length > LARGE ? ' large' : ''}`;
  const arrow = () => s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow-head' })));
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const drawnIn = (root) => ({ root, nodes: [], edges: [], unfilled: [], unmade: [], pos, byId, labelsOf: new Map() });
  if (!progressive) {
    const svg = s('svg', { class: cls, viewBox: `0 0 ${width} ${height}`, width, height, role: 'group', 'aria-label': 'plan graph' }, arrow());
    const drawn = drawnIn(svg);
    for (const t of tasks) makeEdgesInto(drawn, t, svg, false);
    for (const t of tasks) svg.append(makeNode(drawn, t, true).g);
    return drawn;
  }
  // A large plan's boxes, and the edges that lead to them, in groups of up to BLOCK_ROWS boxes of
  // one column (all edges below all boxes), made a group at a time: a slice of texts filled in
  // makes the browser lay out again only the groups it touched. A group of a whole column made a
  // wide column's filling quadratic: each slice laid the whole column out again. Each group is an
  // <svg> of its own (a tile), which the browser paints, lays out and styles apart from the
  // others, and not at all out of view (run.css): in one <svg>, each read of a running 5,000-task
  // run had the browser paint every box and edge again, a task of ~50-100 ms.
  const root = h('div', { class: `${cls} tiled`, role: 'group', 'aria-label': 'plan graph' }, s('svg', { class: 'graph-defs', width: 0, height: 0, 'aria-hidden': 'true' }, arrow()));
  // Set through the style object: the dashboard's content security policy refuses style attributes.
  root.style.width = `${width}px`;
  root.style.height = `${height}px`;
  const drawn = drawnIn(root);
  for (const col of columns) {
    if (!col) continue;
    col.forEach((t, ri) => {
      const p = pos.get(t.id);
      if (ri % BLOCK_ROWS === 0) drawn.unmade.push({ tasks: [], x: p.x, top: p.y, bottom: p.y, reach: { left: p.x, right: p.x, top: p.y, bottom: p.y } });
      const block = drawn.unmade[drawn.unmade.length - 1];
      block.tasks.push(t);
      block.bottom = p.y + NODE_H;
      widenToEdgesInto(drawn, t, block.reach);
    });
  }
  // Inside the graph's area, which clips what reaches past it as one <svg> does (and adds no scrolling).
  const tile = (left, top, right, bottom, cls) => graphTile(Math.max(0, left), Math.max(0, top), Math.min(width, right), Math.min(height, bottom), cls);
  for (const b of drawn.unmade) {
    b.edges = tile(b.reach.left, b.reach.top, b.reach.right, b.reach.bottom, 'graph-tile edges');
    // 2 px for a selected box's stroke.
    b.nodes = tile(b.x - 2, b.top - 2, b.x + Math.max(NODE_W + 2, TEXTS_W), b.bottom + 2, 'graph-tile boxes');
  }
  for (const block of drawn.unmade) root.append(block.edges);
  for (const block of drawn.unmade) root.append(block.nodes);
  return drawn;
}

/** A tile of a graph drawn in steps: an <svg> over the graph's area from (`left`, `top`) to (`right`, `bottom`), in the graph's coordinates. */
function graphTile(left, top, right, bottom, cls) {
  const el = s('svg', { class: cls, viewBox: `${left} ${top} ${right - left} ${bottom - top}`, width: right - left, height: bottom - top, role: 'none' });
  el.style.left = `${left}px`;
  el.style.top = `${top}px`;
  return el;
}

/** Where an edge from the box at `from` to the box at `to` starts, ends and bends. */
function edgeEnds(from, to) {
  const x1 = from.x + NODE_W;
  const y1 = from.y + NODE_H / 2;
  const x2 = to.x - 2;
  const y2 = to.y + NODE_H / 2;
  return { x1, y1, x2, y2, mx: (x1 + x2) / 2 };
}

/** Widens `reach` to take in the edges into `t`, their arrows and their labels, with room for their strokes (an edge that goes back too, which a valid plan has not). */
function widenToEdgesInto(drawn, t, reach) {
  const to = drawn.pos.get(t.id);
  for (const dep of t.dependsOn) {
    const from = drawn.pos.get(dep);
    if (!from || !drawn.byId.has(dep)) continue;
    const { x1, y1, x2, y2, mx } = edgeEnds(from, to);
    // An arrow's head is 7 px either side of its line; a label stands 6 px above the middle, ~11 px high.
    reach.left = Math.min(reach.left, Math.min(x1, x2) - 8, mx - LABEL_HALF_W);
    reach.right = Math.max(reach.right, Math.max(x1, x2) + 8, mx + LABEL_HALF_W);
    reach.top = Math.min(reach.top, Math.min(y1, y2) - 24);
    reach.bottom = Math.max(reach.bottom, Math.max(y1, y2) + 8);
  }
}

/** Makes the edges into `t` in `into`, each with its label right after it, or kept for the node's texts (`later`). */
function makeEdgesInto(drawn, t, into, later) {
  const to = drawn.pos.get(t.id);
  for (const dep of t.dependsOn) {
    const from = drawn.pos.get(dep);
    const src = drawn.byId.get(dep);
    if (!from || !src) continue;
    const { x1, y1, x2, y2, mx } = edgeEnds(from, to);
    const carried = t.consumes.filter((a) => src.produces.includes(a));
    const path = s('path', { d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`, class: 'edge', 'marker-end': 'url(#arrow)' });
    drawn.edges.push({ path, dep, done: undefined, last: {} });
    into.append(path);
    if (carried.length) {
      const label = () => s('text', { x: mx, y: (y1 + y2) / 2 - 6, class: 'edge-label', 'text-anchor': 'middle' }, clip(carried.join(', '), 26));
      if (!later) into.append(label());
      else if (drawn.labelsOf.has(t.id)) drawn.labelsOf.get(t.id).push({ path, label });
      else drawn.labelsOf.set(t.id, [{ path, label }]);
    }
  }
}

/** Makes `t`'s box, with its texts or (a drawing in steps) without. */
function makeNode(drawn, t, withTexts) {
  const p = drawn.pos.get(t.id);
  const g = s('g', { transform: `translate(${p.x},${p.y})`, tabindex: 0, role: 'button', 'data-task': t.id });
  g.append(s('rect', { width: NODE_W, height: NODE_H, rx: 10, class: 'node-box' }), s('rect', { width: 6, height: NODE_H, rx: 3, class: 'node-stripe' }));
  const node = {
    task: t,
    g,
    x: p.x,
    y: p.y,
    labels: drawn.labelsOf.get(t.id),
    title: undefined,
    agentText: undefined,
    statusText: undefined,
    // What the node and its texts show now: a read that changes none of it sets nothing.
    shown: { status: undefined, selected: undefined, textsStatus: undefined, agent: undefined },
    last: {},
    titleLast: {},
    agentLast: {},
    statusLast: {},
  };
  if (withTexts) addTexts(node);
  drawn.nodes.push(node);
  return node;
}

/**
 * Makes the boxes and edges of `drawn`'s groups not made yet, those in view first, until at least
 * BOXES_AT_ONCE boxes (whole groups: up to BLOCK_ROWS - 1 more) or none is left (a graph not on
 * the page yet: in the order of the columns); gives each made node and edge to `show`, and leaves
 * the nodes' texts to {@link fillSlice}.
 */
function makeBlocks(drawn, show, view = viewOf(drawn.root)) {
  const picked = [];
  const rest = [];
  let boxes = 0;
  for (const b of drawn.unmade) {
    if (boxes < BOXES_AT_ONCE && blockInView(b, view)) {
      picked.push(b);
      boxes += b.tasks.length;
    } else rest.push(b);
  }
  let k = 0;
  for (; boxes < BOXES_AT_ONCE && k < rest.length; k++) {
    picked.push(rest[k]);
    boxes += rest[k].tasks.length;
  }
  drawn.unmade = k > 0 ? rest.slice(k) : rest;
  const firstEdge = drawn.edges.length;
  const firstNode = drawn.nodes.length;
  for (const block of picked) {
    // A column's tasks are in the plan's order: so are the edges, as a drawing in one step makes them.
    for (const t of block.tasks) makeEdgesInto(drawn, t, block.edges, true);
    for (const t of block.tasks) block.nodes.append(makeNode(drawn, t, false).g);
  }
  for (let i = firstNode; i < drawn.nodes.length; i++) {
    drawn.unfilled.push(drawn.nodes[i]);
    show.node(drawn.nodes[i]);
  }
  for (let i = firstEdge; i < drawn.edges.length; i++) show.edge(drawn.edges[i]);
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

/** The part of the graph `root` in the window and its scrolling box, widened by VIEW_MARGIN, in the graph's coordinates; undefined when it is not on the page. */
function viewOf(root) {
  if (!root.isConnected) return undefined;
  const r = root.getBoundingClientRect();
  const box = root.parentElement ? root.parentElement.getBoundingClientRect() : r;
  return {
    left: Math.max(box.left, 0) - r.left - VIEW_MARGIN,
    right: Math.min(box.right, window.innerWidth) - r.left + VIEW_MARGIN,
    top: Math.max(box.top, 0) - r.top - VIEW_MARGIN,
    bottom: Math.min(box.bottom, window.innerHeight) - r.top + VIEW_MARGIN,
  };
}

/** True when boxes of a column at `x`, from `top` to `bottom`, are in `view` (see {@link viewOf}). */
function inView(view, x, top, bottom) {
  return view !== undefined && x + NODE_W >= view.left && x <= view.right && bottom >= view.top && top <= view.bottom;
}

/** True when node `n` is in `view`. */
function nodeInView(n, view) {
  return inView(view, n.x, n.y, n.y + NODE_H);
}

/** True when some of group `b`'s boxes are in `view`. */
function blockInView(b, view) {
  return inView(view, b.x, b.top, b.bottom);
}

/**
 * One step of a drawing in steps: makes groups of boxes ({@link makeBlocks}) while some in view
 * are not made, or no text in view is missing; else fills texts in ({@link fillSlice}). So what
 * is in view is made, then filled in, before the rest.
 */
function drawStep(drawn, show) {
  const view = viewOf(drawn.root);
  if (drawn.unmade.length > 0 && (drawn.unmade.some((b) => blockInView(b, view)) || !drawn.unfilled.some((n) => nodeInView(n, view)))) makeBlocks(drawn, show, view);
  else fillSlice(drawn, show.texts, view);
}

/**
 * Fills in up to FILL_SLICE of `drawn`'s nodes still without texts, those in view first, with the
 * states `show` gives them.
 */
function fillSlice(drawn, show, view = viewOf(drawn.root)) {
  const picked = [];
  const rest = [];
  for (const n of drawn.unfilled) (picked.length < FILL_SLICE && nodeInView(n, view) ? picked : rest).push(n);
  let k = 0;
  while (picked.length < FILL_SLICE && k < rest.length) picked.push(rest[k++]);
  drawn.unfilled = k > 0 ? rest.slice(k) : rest;
  for (const n of picked) {
    addTexts(n);
    show(n);
  }
}

/**
 * The plan graph of a run's page, kept from one read of the run to the next. `onSelect(taskId)`
 * is called when a task is clicked or activated with the keyboard. The returned function gives
 * the graph with each task's state (`statusOf(taskId)`) and agent (`agentOf(task)`): the plan is
 * laid out and drawn again only when it changed, and otherwise only what changed is set, so a
 * large plan's page stays responsive and a task keeps the keyboard's focus across reads.
 * `progressiveAbove` is the number of tasks beyond which a plan is drawn in steps ({@link PROGRESSIVE}).
 */
export function planGraphView(onSelect, progressiveAbove = PROGRESSIVE) {
  let key;
  let drawn;
  /** The plan last drawn: a read of what changed keeps the same object, and its key need not be made again. */
  let drawnPlan;
  /** How the last read shows a node and an edge, and a node's texts: what is made or filled in later shows the run as last read. */
  const show = { node: () => {}, edge: () => {}, texts: () => {} };
  /** The next step of a drawing in steps, while one is due. */
  let filling;
  const fillLater = () => {
    filling ??= setTimeout(() => {
      filling = undefined;
      // A graph no longer on the page (another run shown) is made and filled in only if it is shown again.
      if (!drawn || !drawn.root.isConnected) return;
      drawStep(drawn, show);
      if (drawn.unmade.length > 0 || drawn.unfilled.length > 0) fillLater();
    }, 0);
  };
  const activate = (e) => {
    const g = e.target instanceof Element ? e.target.closest('.node') : null;
    if (!g || !drawn || !drawn.root.contains(g)) return;
    if (e.type === 'keydown') {
      if (e.key !== 'Enter' && e.key !== ' ') return;
      e.preventDefault();
    }
    onSelect(g.dataset.task);
  };
  return (plan, statusOf, selected, agentOf = (t) => t.agent) => {
    let made = false;
    if (plan !== drawnPlan) {
      drawnPlan = plan;
      const k = planKey(plan.tasks);
      if (k !== key) {
        key = k;
        drawn = draw(plan.tasks, plan.tasks.length > progressiveAbove);
        drawn.root.addEventListener('click', activate);
        drawn.root.addEventListener('keydown', activate);
        made = true;
      }
    }
    show.texts = (n, status = statusOf(n.task.id)) => {
      const agent = agentOf(n.task);
      if (n.shown.textsStatus === status && n.shown.agent === agent) return;
      n.shown.textsStatus = status;
      n.shown.agent = agent;
      setText(n.statusText, n.statusLast, STATUS_LABEL[status] || status);
      setText(n.agentText, n.agentLast, nodeAgentText(n.task, agent));
      setText(n.title, n.titleLast, nodeTitle(n.task, agent, status));
    };
    show.node = (n) => {
      const { task: t } = n;
      const status = statusOf(t.id);
      const isSelected = selected === t.id;
      // Every read goes over every node: most have not changed, and their strings need not be made again.
      if (n.shown.status !== status || n.shown.selected !== isSelected) {
        n.shown.status = status;
        n.shown.selected = isSelected;
        const label = STATUS_LABEL[status] || status;
        patch(n.g, n.last, { class: `node st-${status}${isSelected ? ' selected' : ''}`, 'data-status': status, 'aria-label': `${t.id}: ${label}` });
      }
      if (n.title) show.texts(n, status);
    };
    show.edge = (e) => {
      const done = statusOf(e.dep) === 'succeeded';
      if (done === e.done) return;
      e.done = done;
      patch(e.path, e.last, { class: done ? 'edge done' : 'edge' });
    };
    // A drawing in steps makes its first groups now.
    if (made && drawn.unmade.length > 0) makeBlocks(drawn, show);
    for (const n of drawn.nodes) show.node(n);
    for (const e of drawn.edges) show.edge(e);
    if (drawn.unmade.length > 0 || drawn.unfilled.length > 0) fillLater();
    return drawn.root;
  };
}
