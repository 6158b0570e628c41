import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { createLogger } from '../../core/src/observability/logger.ts';
import type { Logger } from '../../core/src/observability/logger.ts';

/** An HTTP answer read off a raw socket. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Request body bytes the client had written when the answer (or the close) came. */
  bytesSent: number;
}

/**
 * Sends a request over a raw TCP socket, so nothing (fetch, undici) rewrites its headers, and
 * streams `totalBytes` of body in 64 KiB chunks until the server answers or closes. `chunked`
 * sends the body with Transfer-Encoding: chunked instead of a Content-Length.
 */
export function rawRequest(
  base: string,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: Buffer; totalBytes?: number; chunked?: boolean; timeoutMs?: number },
): Promise<RawAnswer> {
  const url = new URL(base);
  const body = options.body;
  const total = body ? body.length : (options.totalBytes ?? 0);
  const head = [`${options.method ?? 'POST'} ${options.path} HTTP/1.1`];
  // A Host header of the caller's replaces the server's own (a request addressed to another name).
  if (!Object.keys(options.headers ?? {}).some((k) => k.toLowerCase() === 'host')) head.push(`Host: ${url.host}`);
  for (const [k, v] of Object.entries(options.headers ?? {})) head.push(`${k}: ${v}`);
  head.push(options.chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${total}`);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let received = '';
    let sent = 0;
    let answered = false;
    const timer = setTimeout(() => socket.destroy(new Error(`no answer within ${options.timeoutMs ?? 30_000} ms`)), options.timeoutMs ?? 30_000);
    const finish = (): void => {
      clearTimeout(timer);
      const cut = received.indexOf('\r\n\r\n');
      if (cut < 0) return reject(new Error(`the server closed without an answer after ${sent} body bytes`));
      const [statusLine = '', ...lines] = received.slice(0, cut).split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      let rest = received.slice(cut + 4);
      if (headers['transfer-encoding'] === 'chunked') rest = dechunk(rest);
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest, bytesSent: sent });
    };
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      received += d;
      answered = true;
      // One answer is all we wait for: close once its body is complete.
      const cut = received.indexOf('\r\n\r\n');
      const length = /content-length:\s*(\d+)/i.exec(received.slice(0, cut))?.[1];
      if (cut >= 0 && length !== undefined && received.length - cut - 4 >= Number(length)) socket.destroy();
      if (cut >= 0 && /transfer-encoding:\s*chunked/i.test(received.slice(0, cut)) && received.endsWith('0\r\n\r\n')) socket.destroy();
    });
    socket.on('error', () => undefined); // EPIPE/ECONNRESET once the server stops reading
    socket.on('close', finish);
    socket.on('connect', () => {
      socket.write(`${head.join('\r\n')}\r\n\r\n`);
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = (): void => {
        while (!answered && !socket.destroyed && sent < total) {
          const piece = body ? body.subarray(sent, sent + chunk.length) : chunk.subarray(0, Math.min(chunk.length, total - sent));
          sent += piece.length;
          const more = options.chunked ? socket.write(Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')])) : socket.write(piece);
          if (!more) return void socket.once('drain', pump);
        }
        if (!answered && !socket.destroyed && sent >= total && options.chunked) socket.write('0\r\n\r\n');
      };
      pump();
    });
  });
}

function dechunk(text: string): string {
  let out = '';
  let rest = text;
  for (;;) {
    const eol = rest.indexOf('\r\n');
    if (eol < 0) return out;
    const size = parseInt(rest.slice(0, eol), 16);
    if (!size) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 4 + size);
  }
}

/** A pino logger whose JSON lines are kept, to check what a request logged and at which level. */
export function capturingLogger(): { logger: Logger; lines: () => { level: number; msg: string }[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', destination: sink }), lines: () => lines.map((l) => JSON.parse(l) as { level: number; msg: string }) };
}

/** The peak resident set size of a process (VmHWM from /proc), in bytes. */
export async function peakRss(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(kb) * 1024;
}

/**
 * Starts a request announcing a large body (or a chunked one), sends `bytes` of it and hangs up,
 * as a client that goes away mid-upload. Resolves once the socket is closed.
 */
export function hangUpMidBody(base: string, path: string, headers: Record<string, string>, bytes: number, chunked: boolean): Promise<void> {
  const url = new URL(base);
  const framing = chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${bytes * 4}`;
  const lines = [`POST ${path} HTTP/1.1`, `Host: ${url.host}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), framing];
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      const piece = Buffer.alloc(bytes, 'x');
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      socket.write(chunked ? Buffer.concat([Buffer.from(`${bytes.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece, () => setTimeout(() => socket.destroy(), 50));
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve());
  });
}
