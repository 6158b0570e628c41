/**
 * The YAML (or JSON) text of a manifest: parsing it, and finding the line and column of a field so
 * every problem points into the file.
 */
import { isAlias, isCollection, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Pair } from 'yaml';
import type { ManifestProblem } from '../core/errors.ts';
import { formatPath, type FieldPath } from './describe.ts';
import type { Finding } from './findings.ts';

/** A parsed manifest text, kept to place problems in it. */
export interface ManifestSource {
  doc: Document;
  lineCounter: LineCounter;
}

export type ParsedText =
  | { ok: true; value: unknown; source: ManifestSource }
  | { ok: false; problems: ManifestProblem[] };

/** Parses YAML (JSON is YAML too). Syntax errors come back as problems with their line. */
export function parseManifestText(text: string, file: string): ParsedText {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, merge: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // The parser reports its own stack overflow as a syntax error where it gave up, and what it
    // read after that as more errors (keys it read twice): only the first says what is wrong.
    const overflow = doc.errors.find((error) => error.message.includes('Maximum call stack size exceeded'));
    if (overflow) {
      const { line, col } = lineCounter.linePos(overflow.pos[0]);
      return { ok: false, problems: [{ file, path: '', message: 'the YAML nests lists and mappings too deeply to be read (thousands of levels)', line, column: col }] };
    }
    const problems = doc.errors.map((error): ManifestProblem => {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      const duplicate = error.code === 'DUPLICATE_KEY' ? findDuplicateKey(doc.contents, error.pos[0], []) : undefined;
      if (duplicate) {
        const first = lineCounter.linePos(duplicate.firstAt).line;
        const under = duplicate.path.length > 1 ? ` under ${formatPath(duplicate.path.slice(0, -1))}` : '';
        const message = `${JSON.stringify(String(duplicate.path.at(-1)))} is written twice${under} (first at line ${first}): each key once; rename or remove one`;
        return { file, path: formatPath(duplicate.path), message, line, column: col };
      }
      return { file, path: '', message: `YAML syntax error: ${error.message}`, line, column: col };
    });
    return { ok: false, problems };
  }
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (e) {
    // An alias whose anchor is missing, or aliases that would expand without bound ("billion laughs").
    const message = `YAML cannot be read as data: ${(e as Error).message}; define each &anchor before its *alias and do not nest aliases to build large values`;
    return { ok: false, problems: [{ file, path: '', message }] };
  }
  return { ok: true, value, source: { doc, lineCounter } };
}

/** The path of the key written a second time at `offset`, and where it was first written. */
function findDuplicateKey(node: unknown, offset: number, path: FieldPath): { path: FieldPath; firstAt: number } | undefined {
  if (isMap(node)) {
    for (const [i, pair] of node.items.entries()) {
      if (!isScalar(pair.key)) continue;
      const key = String(pair.key.value);
      if (pair.key.range?.[0] === offset) {
        const first = node.items.slice(0, i).find((p) => isScalar(p.key) && String(p.key.value) === key);
        const firstAt = isScalar(first?.key) ? first.key.range?.[0] : undefined;
        if (firstAt !== undefined) return { path: [...path, key], firstAt };
      }
      const found = findDuplicateKey(pair.value, offset, [...path, key]);
      if (found) return found;
    }
  } else if (isSeq(node)) {
    for (const [i, item] of node.items.entries()) {
      const found = findDuplicateKey(item, offset, [...path, i]);
      if (found) return found;
    }
  }
  return undefined;
}

/** Places findings in the file: each gets the file name and, when a source is known, its line. */
export function toProblems(findings: readonly Finding[], file: string, source?: ManifestSource): ManifestProblem[] {
  return findings.map((finding) => {
    const problem: ManifestProblem = { file, path: formatPath(finding.path), message: finding.message };
    const position = source === undefined ? undefined : locate(source, finding.path, finding.at ?? 'value');
    if (position !== undefined) {
      problem.line = position.line;
      problem.column = position.column;
    }
    return problem;
  });
}

interface Position {
  line: number;
  column: number;
}

/**
 * Where a field is written. `at: 'key'` gives the key's position. A field that is not in the file
 * (a missing required key) gives the position of the nearest enclosing field that is.
 */
export function locate(source: ManifestSource, path: FieldPath, at: 'key' | 'value'): Position | undefined {
  const { doc } = source;
  let node: unknown = doc.contents;
  let holder: Pair | undefined;
  const enclosing = () => positionOf(source, holder?.key ?? node);

  for (const [index, segment] of path.entries()) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (pair === undefined) return enclosing();
      if (at === 'key' && index === path.length - 1) return positionOf(source, pair.key);
      holder = pair;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
      holder = undefined;
      node = node.items[segment];
    } else {
      return enclosing();
    }
  }
  // A block mapping or list starts on the line after its key: point at the key, which names it.
  if (holder !== undefined && (node === null || (isCollection(node) && node.flow !== true))) {
    return positionOf(source, holder.key);
  }
  return positionOf(source, node) ?? positionOf(source, holder?.key);
}

function positionOf(source: ManifestSource, node: unknown): Position | undefined {
  if (typeof node !== 'object' || node === null || !('range' in node)) return undefined;
  const range = (node as { range?: readonly number[] | null }).range;
  const offset = range?.[0];
  if (offset === undefined) return undefined;
  const { line, col } = source.lineCounter.linePos(offset);
  return { line, column: col };
}
