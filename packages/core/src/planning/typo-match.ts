/**
 * Reads a misspelt goal word as the manifest word it is closest to ("sumary" → "summary",
 * "chrats" → "charts"). Only the manifest's own vocabulary is a target, never an English
 * dictionary, so a word the manifest does not know stays unknown. The planner compares stems, so
 * inflections do not count as edits ("clasify" is one edit from "classifies").
 */

/** Shortest word that is corrected at all: shorter words are too often a different real word. */
const MIN_LENGTH = 5;
/** Length from which two edits are allowed instead of one. */
const TWO_EDITS_FROM = 10;

/**
 * Optimal string alignment distance: insertions, deletions, substitutions and transpositions of
 * two adjacent letters each cost 1 ("chrats" is one edit from "charts"). Stops early, returning
 * `limit + 1`, once every alignment is past `limit`.
 */
export function editDistance(a: string, b: string, limit = Number.MAX_SAFE_INTEGER): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prevPrev: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (prevPrev[j - 2] ?? 0) + 1);
      row.push(d);
      if (d < best) best = d;
    }
    if (best > limit) return limit + 1;
    prevPrev = prev;
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** Corrects words against a fixed vocabulary; remembers each answer (goals repeat their words). */
export class TypoCorrector {
  private readonly byLength = new Map<number, string[]>();
  private readonly known = new Map<string, string>();
  private readonly memo = new Map<string, string | undefined>();

  /**
   * `vocabulary`: the case-folded words the manifest uses, each with its key (its stem): two
   * equally close words with the same key ("chart", "charts") are not a tie.
   */
  constructor(vocabulary: Iterable<readonly [word: string, key: string]>) {
    for (const [word, key] of vocabulary) {
      if (this.known.has(word)) continue;
      this.known.set(word, key);
      const list = this.byLength.get(word.length);
      if (list) list.push(word);
      else this.byLength.set(word.length, [word]);
    }
  }

  /**
   * The one vocabulary word within reach of `word` (one edit, two from 10 letters) that starts with
   * the same letter, or undefined when the word is known, shorter than five letters, has a digit, or
   * two different words are equally close.
   */
  correct(word: string): string | undefined {
    if (word.length < MIN_LENGTH || this.known.has(word) || /\d/.test(word)) return undefined;
    if (this.memo.has(word)) return this.memo.get(word);
    const limit = word.length >= TWO_EDITS_FROM ? 2 : 1;
    let best: string | undefined;
    let bestDistance = limit + 1;
    let tied = false;
    for (let len = word.length - limit; len <= word.length + limit; len++) {
      for (const candidate of this.byLength.get(len) ?? []) {
        // Typos rarely touch the first letter; "bread" is not a misspelt "read".
        if (candidate.length < MIN_LENGTH - 1 || candidate[0] !== word[0]) continue;
        const d = editDistance(word, candidate, limit);
        if (d < bestDistance) {
          best = candidate;
          bestDistance = d;
          tied = false;
        } else if (d === bestDistance && best !== undefined && this.known.get(candidate) !== this.known.get(best)) {
          tied = true;
        }
      }
    }
    const answer = bestDistance <= limit && !tied ? best : undefined;
    if (this.memo.size > 10_000) this.memo.clear();
    this.memo.set(word, answer);
    return answer;
  }
}
