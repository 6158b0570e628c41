/**
 * Words that say how or when something is asked, not what: request verbs ("make", "give", "run"),
 * generic nouns ("thing", "overview", "deck"), politeness, and time expressions ("Q2", "last month",
 * "2026").
 * They never name anything an orchestrator makes, so a goal made only of them ("go", "run it",
 * "do it now") is vague rather than unrelated, and they neither select nor refuse anything.
 * They still count when they are part of an artifact's or a capability's own name.
 */
const REQUEST_WORDS = [
  'make', 'create', 'build', 'write', 'draw', 'produce', 'generate', 'prepare', 'give', 'show', 'get',
  'send', 'do', 'done', 'run', 'rerun', 'go', 'goes', 'going', 'gone', 'went', 'need', 'want', 'wanna',
  'gonna', 'like', 'love', 'tell', 'help', 'see', 'know', 'have', 'provide', 'deliver', 'print', 'put',
  'pull', 'bring', 'grab', 'find', 'start', 'kick', 'look', 'looking', 'looks', 'check', 'view',
  'display', 'share', 'return', 'output', 'think', 'guess', 'try', 'use', 'include', 'add', 'keep',
  'work', 'come', 'up', 'together', 'whip', 'knock', 'spit', 'happen', 'happened', 'happening', 'doing',
  'please', 'pls', 'plz', 'thanks', 'thank', 'thx', 'ty', 'cheers', 'hey', 'hi', 'hello', 'ok', 'okay',
  'sure', 'yes', 'yeah', 'asap', 'quick', 'quickly', 'fast', 'soon', 'again', 'usual', 'normal',
  'standard', 'regular', 'basic', 'simple', 'brief', 'short', 'whole', 'full', 'entire', 'complete',
  'really', 'actually', 'maybe', 'possibly', 'still', 'even', 'already', 'ready', 'new', 'nice', 'good',
  'great', 'latest', 'ahead', 'lets',
];

/**
 * Nouns that ask for something without saying what: fillers ("something", "stuff") and the forms a
 * result can take ("overview", "one-pager", "deck", "PDF"), which the orchestrator's integrator
 * decides, not the goal's words. "Something about X" asks about X.
 */
const GENERIC_NOUNS = [
  'everything', 'anything', 'something', 'nothing', 'thing', 'things', 'stuff', 'whatever', 'lot', 'bit',
  'kind', 'sort', 'way', 'one', 'ones', 'bunch', 'couple', 'info', 'information', 'details', 'overview',
  'recap', 'rundown', 'update', 'updates', 'status', 'snapshot', 'briefing', 'page', 'pager', 'doc', 'docs',
  'document', 'pdf', 'deck', 'slide', 'slides', 'dashboard', 'email', 'memo', 'spreadsheet', 'sheet',
  'excel', 'csv', 'file', 'version', 'copy',
];

const TIME_WORDS = [
  'january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october',
  'november', 'december', 'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov',
  'dec', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday', 'weekday',
  'weekend', 'today', 'tonight', 'yesterday', 'tomorrow', 'morning', 'afternoon', 'evening', 'night',
  'day', 'days', 'daily', 'week', 'weeks', 'weekly', 'month', 'months', 'year', 'years', 'yearly',
  'annual', 'annually', 'quarter', 'quarters', 'quarterly', 'half', 'hour', 'hours', 'minute',
  'minutes', 'time', 'fy', 'ytd', 'qtd', 'mtd', 'yoy', 'qoq', 'mom', 'last', 'next', 'previous',
  'prior', 'past', 'current', 'recent', 'recently', 'first', 'second', 'third', 'fourth', 'ago',
  'since', 'until', 'till', 'end', 'start', 'beginning', 'spring', 'summer', 'autumn', 'fall', 'winter',
  'vs', 'versus', 'compare', 'compared', 'comparing', 'comparison', 'against', 'ever', 'far',
];

const TIME: ReadonlySet<string> = new Set(TIME_WORDS);
const GENERIC: ReadonlySet<string> = new Set(GENERIC_NOUNS);
const NEUTRAL: ReadonlySet<string> = new Set([...REQUEST_WORDS, ...GENERIC_NOUNS, ...TIME_WORDS]);

/** Quarter, half and fiscal-year labels, years and other numbers: `q2`, `h1`, `fy2025`, `2026`, `3rd`. */
const PERIOD_LIKE = /^(?:\d+(?:st|nd|rd|th|s)?|[qh]\d|fy\d*|\d{4}q\d|q\d\d{2,4}|\d{4}h\d)$/;

/** True when the written word (case-folded, before stemming) is neutral: it asks or dates, it names nothing. */
export function isNeutralWord(word: string): boolean {
  return NEUTRAL.has(word) || PERIOD_LIKE.test(word);
}

/** True for a noun that asks for something without saying what ("something", "overview", "deck"). */
export function isGenericNoun(word: string): boolean {
  return GENERIC.has(word);
}

/** True when the written word is a time expression (a stopper for exclusion scopes: "no summary Q2 ..."). */
export function isTimeWord(word: string): boolean {
  return PERIOD_LIKE.test(word) || TIME.has(word);
}
