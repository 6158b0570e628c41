import { isIP } from 'node:net';
import { BatonError } from 'batonjs/internal';

/** True for names and addresses that reach only this machine: localhost, *.localhost, 127.0.0.0/8, ::1. */
export function isLoopbackName(name: string): boolean {
  const h = name.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost') || h === '::1' || h === '::ffff:127.0.0.1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/** The host name of a `Host` header (`name`, `name:port`, `[v6]`, `[v6]:port`), lower case without brackets, or undefined when it is not one. */
export function hostNameOf(header: string): string | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]/@]+))(?::\d{1,5})?$/.exec(header.trim());
  return (m?.[1] ?? m?.[2])?.toLowerCase().replace(/\.$/, '');
}

const HOST_ENTRY = /^\.?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/;

/**
 * Host names added with `--allowed-hosts` / BATON_ALLOWED_HOSTS: a comma-separated list; an entry
 * with a leading dot (`.example.com`) also allows every name under it. An entry with a scheme,
 * port or path is refused (`source` names the setting in the message).
 */
export function parseAllowedHosts(value: string | undefined, source = 'BATON_ALLOWED_HOSTS'): string[] {
  const entries = (value ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase().replace(/\.$/, ''))
    .filter(Boolean);
  for (const entry of entries) {
    const bare = entry.replace(/^\[|\]$/g, '');
    if (!HOST_ENTRY.test(entry) && isIP(bare) === 0) {
      throw new BatonError('BAD_REQUEST', `${source}: '${entry}' is not a host name; list names only, comma-separated, without scheme, port or path (e.g. baton.example.com,.internal.example.com)`, { retryable: false });
    }
  }
  return entries;
}

/**
 * True when a request addressed to `host` (its Host header) may be served by a server without an
 * API token: loopback names, and the names in `extra`. Anything else is what a DNS-rebinding page
 * in a browser would send, so it is refused.
 */
export function hostAllowed(host: string | undefined, extra: readonly string[]): boolean {
  const name = host === undefined ? undefined : hostNameOf(host);
  if (name === undefined) return false;
  if (isLoopbackName(name)) return true;
  return extra.some((entry) => {
    const allowed = entry.replace(/^\[|\]$/g, '');
    return allowed.startsWith('.') ? name === allowed.slice(1) || name.endsWith(allowed) : name === allowed;
  });
}
