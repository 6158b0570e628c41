import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

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
