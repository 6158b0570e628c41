/** C0 controls (ESC among them), DEL and C1 controls: what a terminal acts on instead of showing. */
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/g;

const SHORT: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * `text` with each control character written as a visible escape (`\u001b`, `\n`), for text from
 * suites, manifests or agents printed to a terminal: an ANSI sequence in a case name must not
 * clear the screen or paint a fake result, nor a line break start a line of its own.
 */
export function visibleText(text: string): string {
  return text.replace(CONTROL, (c) => SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
