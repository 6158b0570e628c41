/**
 * Reads which words of a goal are asked for and which are excluded. A negation ("no", "without",
 * "except", "skip", "not", "don't include", "other than", "instead of"...) opens an exclusion
 * scope; "only"/"just" (or a trailing "only"/"alone") opens an only-scope. A scope takes the words
 * that follow, lists included ("no charts or summary"), up to a stopper: punctuation, a preposition,
 * a request verb, a time expression, a contrast word ("but") or another cue. A trailing "not
 * needed" excludes the words before it ("summary not needed").
 */
import type { DomainVocabulary } from './domain-vocabulary.ts';
import { isNeutralWord, isTimeWord } from './neutral-words.ts';
import { isStopWord, stemWord, type Token } from './text-match.ts';

/** A goal split into what it asks for and what it rules out. */
export interface GoalReading {
  /** Words asked for: every meaningful word outside exclusion scopes (only-scopes included). */
  positive: Token[];
  /** The words of each exclusion scope ("no charts or summary": charts, summary). */
  excluded: Token[][];
  /** The words of each only-scope ("just the charts": charts). */
  only: Token[][];
  /** Positions of words that add to what came before: "with", "including", "plus", "and". */
  additions: number[];
  /** Position of the first "about"/"regarding": the words before it are the thing asked for. */
  about: number | undefined;
  /**
   * Positions of the words in a prepositional phrase ("replies *for the billing tickets*",
   * "sentiment *of today's tickets*"): what the goal is about, more than what it asks for.
   */
  phrased: Set<number>;
  /** Misspelt words read as manifest words: [as written, as read]. */
  corrections: [string, string][];
  /** Whether the goal asks for everything, outside any scope ("everything but the report", "all except X"). */
  everything: boolean;
}

const NEGATIONS = new Set(['no', 'not', 'without', 'except', 'excluding', 'exclude', 'omit', 'omitting', 'skip', 'skipping', 'minus', 'never', 'drop', 'dropping', 'remove', 'ignore', 'forget', 'sans', 'none', 'neither']);
/** Two-word negations, by first word. */
const NEGATION_PAIRS = new Map([
  ['other', 'than'],
  ['apart', 'from'],
  ['aside', 'from'],
  ['leave', 'out'],
  ['leaving', 'out'],
  ['instead', 'of'],
  ['rather', 'than'],
]);
/** "all but X", "everything but X": "but" negates after these. */
const ALL_WORDS = new Set(['all', 'everything', 'anything']);
const ONLY = new Set(['only', 'just', 'solely', 'exclusively', 'merely', 'simply']);
const TRAILING_ONLY = new Set(['only', 'alone']);
/** "summary not needed": a negation followed by one of these excludes the words before it. */
const NOT_NEEDED = new Set(['needed', 'required', 'necessary', 'wanted', 'useful', 'important']);
const ADDITIONS = new Set(['with', 'including', 'include', 'includes', 'plus', 'featuring', 'incl', 'and', 'also', 'alongside']);
const ABOUT = new Set(['about', 'regarding', 'concerning']);
/** Prepositions that open a phrase saying what the goal is about; "with", "and" and a break close it. */
const PHRASE_OPENERS = new Set(['for', 'of', 'from', 'on', 'in', 'about', 'across', 'over', 'within', 'per', 'regarding', 'concerning', 'among', 'by', 'at']);
/** Words skipped right after a cue: "don't *include the* charts", "no *need for a* summary". */
const LEADING = new Set([
  'include', 'including', 'want', 'wanna', 'need', 'needed', 'bother', 'bothering', 'add', 'adding', 'show', 'showing', 'give', 'make',
  'making', 'do', 'does', 'did', 'with', 'any', 'the', 'a', 'an', 'me', 'us', 'my', 'our', 'your', 'to', 'have', 'about', 'worry',
  'care', 'more', 'really', 'even', 'please', 'for', 'of', 'use', 'put', 'send', 'it', 'them', 'that', 'those', 'these', 'this',
  'be', 'is', 'are', 'was', 'there', 'should', 'will', 'would', 'can', 'ca', 'wo', 'could', 'must', 'i', 'we', 'you', 'get', 'go',
  'mention', 'mentioning', 'run', 'running', 'at', 'all', 'see', 'write', 'create', 'build', 'produce', 'generate', 'prepare',
  'draw', 'tell', 'find', 'pull', 'grab',
]);
/** Words that carry a scope on without being part of it. */
const CONNECTORS = new Set(['and', 'or', 'nor', 'plus', 'also', 'either', 'neither', 'the', 'a', 'an', 'any', 'its', 'their', 'my', 'our', 'your', 'of']);
const STOPPERS = new Set([
  'for', 'in', 'by', 'from', 'on', 'about', 'over', 'during', 'since', 'between', 'vs', 'versus', 'than', 'at', 'per', 'across',
  'through', 'to', 'with', 'within', 'into', 'as', 'under', 'after', 'before', 'like', 'but', 'instead', 'rather', 'though',
  'however', 'although', 'yet', 'while', 'whereas', 'so', 'then', 'please', 'pls', 'plz', 'thanks', 'thx', 'thank', 'because',
  'give', 'show', 'make', 'want', 'need', 'get', 'send', 'create', 'build', 'write', 'draw', 'produce', 'generate', 'prepare',
  'run', 'do', 'focus', 'keep', 'use', 'tell', 'find', 'just', 'only', 'is', 'are', 'be', 'i', 'we', 'it',
]);

type Item = { kind: 'word'; text: string; pos: number } | { kind: 'break' };

/** The goal as case-folded words and clause breaks, contractions expanded ("don't" → "do not"). */
function lex(goal: string): Item[] {
  const text = goal
    .toLowerCase()
    .replace(/[\u2019\u2018`\u00b4]/g, "'")
    .replace(/\bcannot\b/g, 'can not')
    .replace(/n't\b/g, ' not')
    .replace(/'s\b/g, '')
    .replace(/\bw\/o\b/g, ' without ')
    .replace(/&/g, ' and ')
    .replace(/\+/g, ' plus ');
  const items: Item[] = [];
  let pos = 0;
  for (const m of text.matchAll(/[\p{L}\p{N}]+|[,.;:!?()[\]{}|\n\u2013\u2014]|\s-\s/gu)) {
    const t = m[0];
    if (/[\p{L}\p{N}]/u.test(t)) items.push({ kind: 'word', text: t, pos: pos++ });
    else items.push({ kind: 'break' });
  }
  return items;
}

/** Reads a goal against an orchestrator's vocabulary (used to read misspelt words). */
export function readScopes(goal: string, vocabulary: DomainVocabulary): GoalReading {
  const reading: GoalReading = { positive: [], excluded: [], only: [], additions: [], about: undefined, phrased: new Set(), corrections: [], everything: false };
  const items = lex(goal);
  const corrected = new Map<string, Token>();
  const tokenOf = (word: string, pos: number): Token => {
    let t = corrected.get(word);
    if (!t) {
      const stem = stemWord(word);
      const fix = vocabulary.known.has(stem) || isNeutralWord(word) ? undefined : vocabulary.corrector.correct(stem);
      const as = fix === undefined ? undefined : (vocabulary.written.get(fix) ?? fix);
      t = fix === undefined || as === undefined ? { stem, word } : { stem: fix, word: as };
      if (as !== undefined && !reading.corrections.some(([w]) => w === word)) reading.corrections.push([word, as]);
      corrected.set(word, t);
    }
    return { ...t, pos };
  };

  let scope: { kind: 'exclude' | 'only'; words: Token[]; leading: boolean } | undefined;
  let runStart = 0;
  let inPhrase = false;
  const wordAt = (i: number): string | undefined => {
    const item = items[i];
    return item?.kind === 'word' ? item.text : undefined;
  };
  const open = (kind: 'exclude' | 'only'): void => {
    inPhrase = false;
    scope = { kind, words: [], leading: true };
    (kind === 'exclude' ? reading.excluded : reading.only).push(scope.words);
  };

  for (let i = 0; i < items.length; i++) {
    const item = items[i] as Item;
    if (item.kind === 'break') {
      scope = undefined;
      inPhrase = false;
      runStart = reading.positive.length;
      continue;
    }
    const w = item.text;
    const next = wordAt(i + 1);
    if (!scope && ALL_WORDS.has(w) && wordAt(i - 1) !== 'at') reading.everything = true;

    // A trailing "not needed" / "only" applies to the words since the clause began.
    if ((w === 'not' || w === 'no') && next !== undefined && NOT_NEEDED.has(next)) {
      const words = reading.positive.splice(runStart);
      if (words.length > 0) reading.excluded.push(words);
      scope = undefined;
      runStart = reading.positive.length;
      i++;
      continue;
    }
    if (TRAILING_ONLY.has(w) && (next === undefined || items[i + 1]?.kind === 'break' || STOPPERS.has(next)) && reading.positive.length > runStart && !scope) {
      reading.only.push(reading.positive.slice(runStart));
      runStart = reading.positive.length;
      continue;
    }
    if (next !== undefined && NEGATION_PAIRS.get(w) === next) {
      open('exclude');
      i++;
      continue;
    }
    if (NEGATIONS.has(w) || (w === 'but' && ALL_WORDS.has(wordAt(i - 1) ?? ''))) {
      open('exclude');
      continue;
    }
    if (w === 'nothing' && (next === 'but' || next === 'except' || next === 'else')) {
      open('only');
      i += next === 'else' && wordAt(i + 2) === 'but' ? 2 : 1;
      continue;
    }
    if (ONLY.has(w)) {
      open('only');
      continue;
    }

    if (scope) {
      if (scope.leading && LEADING.has(w)) continue;
      scope.leading = false;
      if (STOPPERS.has(w) || isTimeWord(w)) {
        scope = undefined;
        runStart = reading.positive.length;
      } else if (CONNECTORS.has(w)) {
        continue;
      } else {
        if (isStopWord(w)) continue;
        const token = tokenOf(w, item.pos);
        scope.words.push(token);
        if (scope.kind === 'only') reading.positive.push(token);
        continue;
      }
    }

    if (ADDITIONS.has(w)) reading.additions.push(item.pos);
    if (ABOUT.has(w) && reading.about === undefined) reading.about = item.pos;
    if (PHRASE_OPENERS.has(w)) inPhrase = true;
    else if (ADDITIONS.has(w) || (STOPPERS.has(w) && !isStopWord(w))) inPhrase = false;
    if (isStopWord(w)) continue;
    if (inPhrase) reading.phrased.add(item.pos);
    reading.positive.push(tokenOf(w, item.pos));
  }
  reading.excluded = reading.excluded.filter((words) => words.length > 0);
  reading.only = reading.only.filter((words) => words.length > 0);
  return reading;
}
