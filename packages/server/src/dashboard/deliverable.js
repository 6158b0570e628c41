// The deliverable, open: each artifact rendered readably under who made it (the same reading as
// deliverable.md): text as text, flat objects as field/value tables, arrays of objects as tables,
// other arrays as lists, nested objects as sections. The raw JSON stays one click away.
import { fmtTime, h, jsonBlock } from './util.js';

const MAX_ROWS = 50;
const MAX_ITEMS = 100;
const MAX_DEPTH = 4;

const own = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v) => v === null || v === undefined || typeof v !== 'object';

function scalarText(v) {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Math.round(v * 10000) / 10000);
  return String(v);
}

function cellText(v) {
  const text = isScalar(v) ? scalarText(v) : JSON.stringify(v);
  return text.length > 160 ? `${text.slice(0, 159)}…` : text;
}

function more(left, what) {
  return left > 0 ? h('p', { class: 'muted small' }, `… and ${left} more ${what} (see the raw JSON)`) : null;
}

function objectsTable(items) {
  const columns = [];
  for (const item of items) for (const k of Object.keys(item)) if (!columns.includes(k)) columns.push(k);
  const shown = items.slice(0, MAX_ROWS);
  return h(
    'div',
    { class: 'artifact-table' },
    h('table', {}, h('thead', {}, h('tr', {}, columns.map((c) => h('th', {}, c)))), h('tbody', {}, shown.map((item) => h('tr', {}, columns.map((c) => h('td', {}, cellText(own(item, c) ? item[c] : undefined))))))),
    more(items.length - shown.length, 'rows'),
  );
}

function fieldsTable(entries) {
  return h('table', { class: 'fields' }, h('tbody', {}, entries.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, cellText(v))))));
}

/** A value as DOM, `depth` levels below its artifact. */
export function renderValue(value, depth = 0) {
  if (typeof value === 'string') return h('div', { class: 'artifact-text' }, value.trim() === '' ? '(empty text)' : value);
  if (isScalar(value)) return h('p', { class: 'artifact-scalar' }, scalarText(value));
  if (Array.isArray(value)) {
    if (value.length === 0) return h('p', { class: 'muted' }, '(empty list)');
    if (value.every(isObject)) return objectsTable(value);
    const shown = value.slice(0, MAX_ITEMS);
    return h('div', {}, h('ul', { class: 'artifact-list' }, shown.map((v) => h('li', {}, cellText(v)))), more(value.length - shown.length, 'items'));
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return h('p', { class: 'muted' }, '(empty)');
  if (entries.every(([, v]) => isScalar(v))) return fieldsTable(entries);
  if (depth >= MAX_DEPTH) return jsonBlock(value);
  const scalars = entries.filter(([, v]) => isScalar(v));
  return h(
    'div',
    { class: 'artifact-sections' },
    scalars.length ? fieldsTable(scalars) : null,
    entries.filter(([, v]) => !isScalar(v)).map(([k, v]) => h('section', { class: 'artifact-section' }, h('h4', {}, k), renderValue(v, depth + 1))),
  );
}

/** `task t3 · agent shortlister@0.3.0 · attempt 1 · 14:02:11` */
function provenanceLine(p) {
  return `task ${p.task} · agent ${p.agent}@${p.agentVersion} · attempt ${p.attempt} · ${fmtTime(p.at)}`;
}

/** Every artifact of the run's deliverable, open. */
export function deliverableArtifacts(deliverable) {
  const artifacts = deliverable.artifacts || {};
  return Object.keys(artifacts).map((type) => {
    const p = deliverable.provenance && own(deliverable.provenance, type) ? deliverable.provenance[type] : undefined;
    return h(
      'article',
      { class: 'artifact', 'data-artifact': type },
      h('h3', { class: 'artifact-name' }, type),
      p ? h('p', { class: 'provenance muted small' }, provenanceLine(p)) : null,
      renderValue(artifacts[type]),
    );
  });
}
