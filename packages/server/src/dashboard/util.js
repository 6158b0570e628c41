// Small DOM and formatting helpers shared by the dashboard views.
const SVG_NS = 'http://www.w3.org/2000/svg';

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  return el;
}

/** Creates an HTML element: h('div', { class: 'x' }, 'text', child). */
export function h(tag, attrs, ...children) {
  return append(setAttrs(document.createElement(tag), attrs), children);
}

/** Sets the attributes whose value changed since the last call for `el` (`last` remembers them). */
export function patch(el, last, attrs) {
  for (const k in attrs) {
    const v = String(attrs[k]);
    if (last[k] !== v) {
      el.setAttribute(k, v);
      last[k] = v;
    }
  }
}

/** Sets `el`'s text when it changed since the last call (`last.text` remembers it). */
export function setText(el, last, text) {
  if (last.text !== text) {
    el.textContent = text;
    last.text = text;
  }
}

/** Creates an SVG element. */
export function s(tag, attrs, ...children) {
  return append(setAttrs(document.createElementNS(SVG_NS, tag), attrs), children);
}

export const STATUS_LABEL = {
  pending: 'Pending',
  running: 'Running',
  'awaiting-approval': 'Awaiting approval',
  succeeded: 'Succeeded',
  failed: 'Failed',
  skipped: 'Skipped',
  cancelled: 'Cancelled',
  partial: 'Partial',
  timeout: 'Timed out',
  invalid: 'Invalid output',
};

/** A coloured status pill. */
export function badge(status) {
  return h('span', { class: `badge st-${status}` }, STATUS_LABEL[status] || status);
}

export function fmtDuration(ms) {
  if (ms === undefined || ms === null || Number.isNaN(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

// Made once: `toLocaleTimeString` makes a formatter on every call, ~0.1 ms each, and a large run's
// page formats a time for each of its thousands of events.
let timeFormat;
let dayFormat;

/** A time of day, with the day when it is not today; the text as it came when it is no date. */
export function fmtTime(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  timeFormat ??= new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const time = timeFormat.format(d);
  if (d.toDateString() === new Date().toDateString()) return time;
  dayFormat ??= new Intl.DateTimeFormat([], { month: 'short', day: 'numeric' });
  return `${dayFormat.format(d)} ${time}`;
}

/** True for a status a run ends with (not running, not awaiting a decision). */
export function isEnded(status) {
  return status !== 'running' && status !== 'awaiting-approval';
}

export function runDuration(run) {
  const end = run.endedAt ? Date.parse(run.endedAt) : Date.now();
  return end - Date.parse(run.startedAt || run.createdAt);
}

/** Pretty JSON in a <pre>, cut to a readable length with a button to see the rest. */
export function jsonBlock(value, max = 6000) {
  const text = JSON.stringify(value, null, 2) ?? 'undefined';
  const pre = h('pre', { class: 'json' }, text.length > max ? text.slice(0, max) + '\n…' : text);
  if (text.length <= max) return pre;
  const more = h('button', { class: 'btn link', type: 'button' }, `Show all (${Math.round(text.length / 1024)} KB)`);
  more.addEventListener('click', () => {
    pre.textContent = text;
    more.remove();
  });
  return h('div', {}, pre, more);
}

/** A card with a title bar. */
export function card(title, extra, ...body) {
  return h('section', { class: 'card' }, h('header', { class: 'card-head' }, h('h2', {}, title), extra || null), h('div', { class: 'card-body' }, ...body));
}

export function empty(text) {
  return h('p', { class: 'empty' }, text);
}
