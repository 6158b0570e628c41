/**
 * Renders JSON values as Markdown a person can read: strings as text, flat objects as field /
 * value tables, arrays of objects as tables, other arrays as lists, nested objects as sections.
 * Long tables and lists are cut, saying how much was left out (the JSON file has everything).
 */

const MAX_ROWS = 50;
const MAX_ITEMS = 100;
const MAX_CELL = 120;
const MAX_HEADING = 6;

type Plain = Record<string, unknown>;

function isPlainObject(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isScalar(v: unknown): boolean {
  return v === null || v === undefined || typeof v !== 'object';
}

function scalarText(v: unknown): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Math.round(v * 10_000) / 10_000);
  return String(v);
}

/** One table cell: a scalar as text, anything else as short JSON; pipes escaped, one line. */
function cell(v: unknown): string {
  const text = isScalar(v) ? scalarText(v) : JSON.stringify(v);
  const oneLine = text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
  return oneLine.length > MAX_CELL ? `${oneLine.slice(0, MAX_CELL - 1)}…` : oneLine;
}

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function more(left: number, what: string): string {
  return left > 0 ? `\n\n_… and ${left} more ${what} (see deliverable.json)_` : '';
}

function objectsTable(items: Plain[]): string {
  const columns: string[] = [];
  for (const item of items) for (const k of Object.keys(item)) if (!columns.includes(k)) columns.push(k);
  const shown = items.slice(0, MAX_ROWS);
  return table(columns.map(cell), shown.map((item) => columns.map((c) => cell(Object.hasOwn(item, c) ? item[c] : undefined)))) + more(items.length - shown.length, 'rows');
}

function list(items: unknown[]): string {
  const shown = items.slice(0, MAX_ITEMS);
  return shown.map((v) => `- ${cell(v)}`).join('\n') + more(items.length - shown.length, 'items');
}

/** Markdown for `value`; `level` is the heading level its nested sections get. */
export function valueToMarkdown(value: unknown, level = 3): string {
  if (typeof value === 'string') return value.trim() === '' ? '_(empty text)_' : value;
  if (isScalar(value)) return scalarText(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '_(empty list)_';
    if (value.every(isPlainObject)) return objectsTable(value);
    return list(value);
  }
  const entries = Object.entries(value as Plain);
  if (entries.length === 0) return '_(empty)_';
  if (entries.every(([, v]) => isScalar(v))) return table(['field', 'value'], entries.map(([k, v]) => [cell(k), cell(v)]));
  if (level > MAX_HEADING) return ['```json', JSON.stringify(value, null, 2), '```'].join('\n');
  const scalars = entries.filter(([, v]) => isScalar(v));
  const parts: string[] = [];
  if (scalars.length > 0) parts.push(scalars.map(([k, v]) => `- **${k}**: ${cell(v)}`).join('\n'));
  for (const [k, v] of entries) {
    if (isScalar(v)) continue;
    parts.push(`${'#'.repeat(level)} ${k}\n\n${valueToMarkdown(v, level + 1)}`);
  }
  return parts.join('\n\n');
}
