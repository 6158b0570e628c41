import type { Redis, RedisOptions } from 'ioredis';
import { BatonError, within } from 'batonjs/internal';

/** The environment variable that switches dispatch to BullMQ on Redis. */
export const REDIS_URL_ENV = 'BATON_REDIS_URL';

/**
 * ioredis options for a `redis://` or `rediss://` URL (`redis://[user:password@]host[:port][/db]`).
 * `blocking` connections (BullMQ workers and event readers) must retry commands forever, which
 * BullMQ requires; plain connections fail a command after a few reconnection tries, so an
 * orchestrator whose Redis is gone fails the attempt instead of hanging.
 */
export function redisOptions(url: string, blocking: boolean): RedisOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw badUrl(url);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw badUrl(url);
  const options: RedisOptions = {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 6379,
    maxRetriesPerRequest: blocking ? null : 20,
    // Reconnect quickly at first, then every 2 s: a restarted Redis is found again within seconds.
    retryStrategy: (times) => Math.min(50 * 2 ** times, 2_000),
  };
  if (parsed.username) options.username = decodeURIComponent(parsed.username);
  if (parsed.password) options.password = decodeURIComponent(parsed.password);
  const db = parsed.pathname.replace(/^\//, '');
  if (db) {
    const n = Number(db);
    if (!Number.isInteger(n) || n < 0) throw badUrl(url);
    options.db = n;
  }
  if (parsed.protocol === 'rediss:') options.tls = { servername: parsed.hostname };
  return options;
}

/** The URL to dispatch on: the explicit one, else BATON_REDIS_URL; undefined means in-process. */
export function resolveRedisUrl(explicit: string | undefined, env: Record<string, string | undefined> = process.env): string | undefined {
  const url = (explicit ?? env[REDIS_URL_ENV])?.trim();
  return url ? url : undefined;
}

/** The URL without its password, for logs and health reports. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'redis://(unparsable)';
  }
}

function badUrl(url: string): BatonError {
  return new BatonError('BAD_REQUEST', `invalid Redis URL '${redactUrl(url)}': expected redis://[user:password@]host[:port][/db] or rediss://... (flag --redis or ${REDIS_URL_ENV})`, {
    retryable: false,
  });
}

/**
 * How long closing a connection waits for Redis to answer its QUIT (ms). A Redis that does not
 * answer (frozen, or behind a partition that drops packets rather than refusing) would otherwise
 * hold the closing process forever: the reply never comes, and the connection never errors.
 */
export const QUIT_MS = 2_000;

/** Waits for a polite close (QUIT) at most `ms`; past that, or when it fails, drops the connection. */
export async function closeWithin(polite: Promise<unknown>, drop: () => unknown, ms = QUIT_MS): Promise<void> {
  const closed = await within(polite, ms);
  if (!('value' in closed)) await drop();
}

/** Closes a connection politely (QUIT), or drops it when Redis does not answer within `ms`. */
export function quitWithin(client: Redis, ms = QUIT_MS): Promise<void> {
  return closeWithin(client.quit(), () => client.disconnect(), ms);
}

/** How long connecting to Redis may wait for it to answer (ms), on top of ioredis' own connect timeout. */
export const CONNECT_MS = 10_000;

/**
 * `work` (connecting, subscribing), or a rejection when Redis has not answered within `ms`: a Redis
 * that accepts connections but never answers (frozen, or behind a partition that drops packets)
 * would otherwise hold a starting process forever, saying nothing. The caller drops the connection.
 */
export async function answeredWithin<T>(work: Promise<T>, ms = CONNECT_MS): Promise<T> {
  const done = await within(work, ms);
  if ('value' in done) return done.value;
  if (done.problem === 'failed') throw done.error;
  throw new Error(`Redis accepted the connection but did not answer within ${ms / 1000} s (is it frozen or overloaded?)`);
}
