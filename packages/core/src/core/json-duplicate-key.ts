const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/**
 * Whether JSON text that `JSON.parse` accepted has an object with the same key twice (`"a"` and
 * `"\u0061"` are the same key). `JSON.parse` keeps the last one without a word, where a file
 * written by a person usually holds a mistake: callers refuse it. One pass, no parse tree.
 */
export function hasDuplicateKey(json: string): boolean {
  // The keys seen in each open object; undefined for an open array.
  const open: (Set<string> | undefined)[] = [];
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === OPEN_OBJECT) open.push(new Set());
    else if (c === OPEN_ARRAY) open.push(undefined);
    else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) open.pop();
    else if (c === QUOTE) {
      let end = i + 1;
      let escaped = false;
      for (let d = json.charCodeAt(end); d !== QUOTE; d = json.charCodeAt(end)) {
        if (d === BACKSLASH) {
          escaped = true;
          end += 2;
        } else end++;
      }
      const keys = open.at(-1);
      if (keys) {
        let next = end + 1;
        while (isJsonSpace(json.charCodeAt(next))) next++;
        // In an object, a string followed by a colon is a key (a value is followed by , or }).
        if (json.charCodeAt(next) === COLON) {
          const key = escaped ? (JSON.parse(json.slice(i, end + 1)) as string) : json.slice(i + 1, end);
          if (keys.has(key)) return true;
          keys.add(key);
        }
      }
      i = end;
    }
  }
  return false;
}
