import { stemmer } from 'stemmer';

/**
 * Words that carry no meaning for matching a goal against agents and artifacts: English function
 * words plus the politeness and scope words of a request ("please", "just", "only"). Compared
 * against case-folded words before stemming.
 */
const STOP_WORDS: ReadonlySet<string> = new Set([
  'a', 'about', 'above', 'after', 'again', 'against', 'all', 'also', 'am', 'an', 'and', 'any', 'are',
  'as', 'at', 'be', 'because', 'been', 'before', 'being', 'below', 'between', 'both', 'but', 'by',
  'can', 'could', 'did', 'do', 'does', 'doing', 'down', 'during', 'each', 'either', 'else', 'etc',
  'every', 'few', 'for', 'from', 'further', 'had', 'has', 'have', 'having', 'he', 'her', 'here',
  'hers', 'him', 'his', 'how', 'i', 'if', 'in', 'into', 'is', 'it', 'its', 'itself', 'just', 'kindly',
  'let', 'lets', 'me', 'might', 'more', 'most', 'must', 'my', 'no', 'nor', 'not', 'now', 'of', 'off',
  'on', 'once', 'only', 'or', 'other', 'our', 'ours', 'out', 'over', 'own', 'per', 'please', 'same',
  'shall', 'she', 'should', 'so', 'some', 'such', 'than', 'that', 'the', 'their', 'theirs', 'them',
  'then', 'there', 'these', 'they', 'this', 'those', 'through', 'to', 'too', 'under', 'until', 'up',
  'upon', 'us', 'very', 'via', 'was', 'we', 'were', 'what', 'when', 'where', 'which', 'while', 'who',
  'whom', 'why', 'will', 'with', 'within', 'without', 'would', 'you', 'your', 'yours',
]);

/** One meaningful word of a text: its stem (for matching) and the word as written (for reasons). */
export interface Token {
  stem: string;
  word: string;
  /** Where the word is in the goal (its index among the goal's words), when the reader kept it. */
  pos?: number;
}

/** True for a function or politeness word that carries no meaning for matching ("the", "please"). */
export function isStopWord(word: string): boolean {
  return STOP_WORDS.has(word);
}

/** The stem of one case-folded word. */
export function stemWord(word: string): string {
  return stem(word);
}

/**
 * Splits text into meaningful words: case-folds, splits on anything that is not a letter or digit
 * (so `sales-dataset` and `sales_dataset` give `sales`, `dataset`), drops stop words and stems
 * the rest, so plurals and singulars meet (`charts`/`chart`, `summaries`/`summary`).
 */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const word of text.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
    if (word === '' || STOP_WORDS.has(word)) continue;
    tokens.push({ stem: stem(word), word });
  }
  return tokens;
}

/** Stems seen recently: manifests repeat their words across agents and plans. Bounded, so arbitrary goals cannot grow it. */
const stemCache = new Map<string, string>();
const STEM_CACHE_LIMIT = 20_000;

function stem(word: string): string {
  const cached = stemCache.get(word);
  if (cached !== undefined) return cached;
  if (stemCache.size >= STEM_CACHE_LIMIT) stemCache.clear();
  const result = stemmer(word);
  stemCache.set(word, result);
  return result;
}

/** The distinct stems of a text, in order of first appearance. */
export function stemsOf(text: string): string[] {
  return [...new Set(tokenize(text).map((t) => t.stem))];
}

/** True when the stem is worth counting as a shared word: it has a letter and three characters. */
export function isMeaningfulStem(stem: string): boolean {
  return stem.length >= 3 && /\p{L}/u.test(stem);
}

/**
 * A goal's words, indexed for matching. Each lookup is O(1), so matching a manifest costs one pass
 * over the manifest's words, not goal × manifest.
 */
export class GoalWords {
  readonly tokens: readonly Token[];
  private readonly firstWord = new Map<string, string>();
  private readonly firstPos = new Map<string, number>();

  /** `tokens`: the goal's words as a reader kept them (default: every meaningful word of the goal). */
  constructor(
    readonly goal: string,
    tokens?: readonly Token[],
  ) {
    this.tokens = tokens ?? tokenize(goal);
    for (const t of this.tokens) {
      if (!this.firstWord.has(t.stem)) this.firstWord.set(t.stem, t.word);
      if (t.pos !== undefined && !this.firstPos.has(t.stem)) this.firstPos.set(t.stem, t.pos);
    }
  }

  /** Where the stem first appears in the goal (undefined when absent or not recorded). */
  positionOf(stem: string): number | undefined {
    return this.firstPos.get(stem);
  }

  /** True when the goal has a word with this stem. */
  has(stem: string): boolean {
    return this.firstWord.has(stem);
  }

  /** True when every stem is in the goal (false for an empty list: nothing was named). */
  hasAll(stems: readonly string[]): boolean {
    return stems.length > 0 && stems.every((s) => this.firstWord.has(s));
  }

  /** The goal's own spelling of a stem, for reasons ("goal mentions 'charts'"). */
  wordFor(stem: string): string {
    return this.firstWord.get(stem) ?? stem;
  }

  /** The goal's spellings of the stems it has, quoted and joined: `'sales', 'summary'`. */
  quote(stems: readonly string[]): string {
    return stems
      .filter((s) => this.has(s))
      .map((s) => `'${this.wordFor(s)}'`)
      .join(', ');
  }

  get isEmpty(): boolean {
    return this.tokens.length === 0;
  }
}
