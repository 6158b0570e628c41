// Talks to the Baton HTTP API. With a server token, asks for it once and keeps it for the tab.
import { isEnded } from './util.js';

const TOKEN_KEY = 'baton-api-token';

let tokenPrompt = null;

function authHeaders() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** Asks for the API token (once for all concurrent requests). */
function askToken(refused) {
  if (tokenPrompt) return tokenPrompt;
  const dialog = document.getElementById('token-dialog');
  const input = document.getElementById('token-input');
  document.getElementById('token-error').hidden = !refused;
  tokenPrompt = new Promise((resolve) => {
    dialog.addEventListener(
      'close',
      () => {
        sessionStorage.setItem(TOKEN_KEY, input.value.trim());
        tokenPrompt = null;
        resolve();
      },
      { once: true },
    );
  });
  input.value = '';
  dialog.showModal();
  return tokenPrompt;
}

/** An API error with the server's stable code. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function request(path, init = {}, retried = false) {
  const res = await fetch(path, { ...init, headers: { ...(init.headers || {}), ...authHeaders() } });
  if (res.status === 401) {
    await askToken(retried || Boolean(sessionStorage.getItem(TOKEN_KEY)));
    return request(path, init, true);
  }
  return res;
}

async function bodyOf(res) {
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const err = body && body.error ? body.error : { code: 'HTTP_' + res.status, message: res.statusText };
    throw new ApiError(res.status, err.code, err.message);
  }
  return body;
}

async function json(path, init) {
  return bodyOf(await request(path, init));
}

/**
 * Reads a run: `{ body, seq, delta }`. Given `since` (the `seq` of an earlier read), the server may
 * answer with only what changed since (`delta`: the result without its plan, and only the tasks
 * that changed, each with its attempts from `attemptsFrom` on); `seq` is the last event the answer
 * folds, when the server knows it.
 */
async function readRun(id, since) {
  const res = await request(`/v1/runs/${encodeURIComponent(id)}${since === undefined ? '' : `?since=${since}&attempts=changed`}`);
  const body = await bodyOf(res);
  const seq = res.headers.get('Baton-Seq');
  return { body, seq: seq === null ? undefined : Number(seq), delta: res.headers.has('Baton-Delta') };
}

export const api = {
  agents: () => json('/v1/agents'),
  listRuns: (params = {}) => json('/v1/runs?' + new URLSearchParams(params)),
  run: (id) => json(`/v1/runs/${encodeURIComponent(id)}`),
  readRun,
  files: (id) => json(`/v1/runs/${encodeURIComponent(id)}/files`),
  startRun: (body) => json('/v1/runs', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
  approve: (id, body) => json(`/v1/runs/${encodeURIComponent(id)}/approve`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
  reject: (id, body) => json(`/v1/runs/${encodeURIComponent(id)}/reject`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
  cancelRun: (id) => json(`/v1/runs/${encodeURIComponent(id)}/cancel`, { method: 'POST' }),
};

/**
 * Follows a run's Server-Sent Events over fetch (so the Authorization header can be sent),
 * reconnecting with Last-Event-ID after a network error, or when the stream closes before the run
 * ended (the server stopped or restarted). Calls onEvent(event) for each event and
 * onState('live'|'reconnecting'|'ended'|'gone'): 'gone' once the server has no such run (deleted).
 * Starts after event `afterSeq` (0: from the run's first event). Returns a function that stops
 * following.
 */
export function followRun(runId, onEvent, onState, afterSeq = 0) {
  const controller = new AbortController();
  let lastId = afterSeq;
  let stopped = false;
  let ended = false;

  const parseBlock = (block) => {
    let id;
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') id = Number(value);
      else if (field === 'data') data += (data ? '\n' : '') + value;
    }
    if (!data) return;
    if (id !== undefined) lastId = id;
    try {
      const event = JSON.parse(data);
      if (event.type === 'run.ended') ended = true;
      onEvent(event);
    } catch (e) {
      console.error('bad event', e);
    }
  };

  /** Failed connections in a row: each waits longer (half to one and a half times 1 s, 2 s, 4 s ... 10 s), with jitter so that pages left open do not all come back at once. */
  let failures = 0;

  const connect = async () => {
    while (!stopped) {
      try {
        const res = await request(`/v1/runs/${encodeURIComponent(runId)}/events`, {
          headers: lastId ? { 'Last-Event-ID': String(lastId) } : {},
          signal: controller.signal,
        });
        if (res.status === 404) {
          onState('gone');
          return;
        }
        if (!res.ok || !res.body) throw new Error('event stream answered ' + res.status);
        failures = 0;
        onState('live');
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value.replace(/\r\n?/g, '\n');
          let cut;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            parseBlock(buffer.slice(0, cut));
            buffer = buffer.slice(cut + 2);
          }
        }
        // The server ends the stream after run.ended, and also when it stops: a run it let go (one
        // waiting for a decision, or handed over) goes on after a restart, so it is followed again.
        const over = ended || isEnded((await api.run(runId)).status);
        // Left for another page meanwhile: the live indicator is that page's now.
        if (stopped) return;
        if (over) {
          onState('ended');
          return;
        }
        throw new Error('the event stream closed before the run ended');
      } catch (e) {
        if (stopped) return;
        if (e instanceof ApiError && e.status === 404) {
          onState('gone');
          return;
        }
        onState('reconnecting');
        const wait = Math.min(10_000, 1000 * 2 ** failures++);
        await new Promise((r) => setTimeout(r, wait / 2 + Math.random() * wait));
      }
    }
  };
  connect();
  return () => {
    stopped = true;
    controller.abort();
  };
}
