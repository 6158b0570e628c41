import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { BatonError } from 'batonjs/internal';

/** The shortest API token accepted: shorter ones can be guessed, and the API runs agents. */
export const MIN_TOKEN_LENGTH = 16;

const TOKEN_RULE = `a token is at least ${MIN_TOKEN_LENGTH} characters of visible ASCII (letters, digits, punctuation), with no spaces or control characters; make one with: openssl rand -base64 32`;

function describeChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  if (ch === ' ') return 'a space';
  if (ch === '\t') return 'a tab';
  if (ch === '\n' || ch === '\r') return 'a line break';
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return code < 0x20 || code === 0x7f ? `the control character ${hex}` : `the non-ASCII character ${hex}`;
}

/**
 * Checks an API token (from `source`, e.g. BATON_API_TOKEN) before the server starts: undefined or
 * empty means no token (the API is open, loopback only). A token that could never be sent in an
 * `Authorization` header (whitespace, control or non-ASCII characters), or that is shorter than
 * {@link MIN_TOKEN_LENGTH}, is refused with a BAD_REQUEST saying what a valid token is; it is
 * never trimmed, so what a client must send is exactly what was set.
 */
export function checkApiToken(token: string | undefined, source: string): string | undefined {
  if (token === undefined || token === '') return undefined;
  if (token.trim() === '') {
    throw new BatonError('BAD_REQUEST', `${source} is set but holds only whitespace, which would turn authentication off: unset it (the API is then open, on loopback only) or set a real token; ${TOKEN_RULE}`, { retryable: false });
  }
  const bad = /[^\x21-\x7e]/u.exec(token);
  if (bad) {
    throw new BatonError('BAD_REQUEST', `${source} contains ${describeChar(bad[0])} at position ${bad.index + 1}, so no client could send it in an Authorization header; ${TOKEN_RULE}`, { retryable: false });
  }
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new BatonError('BAD_REQUEST', `${source} is ${token.length} characters long, too short to resist guessing; ${TOKEN_RULE}`, { retryable: false });
  }
  return token;
}

/** Compares two secrets in constant time (their SHA-256 digests, so lengths leak nothing either). */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined | null): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return m?.[1];
}

/** True when the request's Authorization header carries `token`. */
export function authorized(header: string | undefined | null, token: string): boolean {
  const given = bearerToken(header);
  return given !== undefined && sameSecret(given, token);
}

/**
 * A read-only key for one run's files, derived from the API token (HMAC). It lets the dashboard
 * show `report.html` in an iframe, which cannot send an Authorization header, without putting
 * the API token itself in a URL.
 */
export function runFilesKey(token: string, runId: string): string {
  return createHmac('sha256', token).update(`baton-files:${runId}`).digest('base64url');
}

/** Checks a run files key in constant time. */
export function validRunFilesKey(key: string | undefined, token: string, runId: string): boolean {
  return key !== undefined && sameSecret(key, runFilesKey(token, runId));
}
