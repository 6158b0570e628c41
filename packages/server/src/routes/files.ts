import { createReadStream } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Hono } from 'hono';
import { runFilesKey } from '../auth.ts';
import type { ServerContext } from '../context.ts';
import { ApiError } from '../http-errors.ts';
import { runIdParam } from '../validation.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.csv': 'text/csv; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.pdf': 'application/pdf',
};

/** A report may style itself and show its images, but never run scripts, submit forms or reach out. */
const FILE_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; font-src data:; frame-ancestors 'self'";

const MAX_LISTED = 500;

/** Resolves `name` inside `root`, refusing anything that could leave it (.., absolute, NUL, symlinks out). */
async function safeFile(root: string, name: string): Promise<string | undefined> {
  if (!name || name.includes('\0') || name.includes('\\')) return undefined;
  const parts = name.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) return undefined;
  const candidate = path.resolve(root, ...parts);
  let realRoot: string;
  let real: string;
  try {
    realRoot = await realpath(root);
    real = await realpath(candidate);
  } catch {
    return undefined;
  }
  if (!real.startsWith(realRoot + path.sep)) return undefined;
  return real;
}

async function listFiles(root: string, prefix = ''): Promise<{ name: string; size: number }[]> {
  const out: { name: string; size: number }[] = [];
  let entries;
  try {
    entries = await readdir(path.join(root, prefix), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(root, rel)));
    else if (e.isFile()) out.push({ name: rel, size: (await stat(path.join(root, rel))).size });
    if (out.length >= MAX_LISTED) break;
  }
  return out;
}

/**
 * `GET /v1/runs/:id/files` (the run's files, each with a URL) and `GET /v1/runs/:id/files/<name>`
 * (one file, read-only). With an API token, file URLs carry a per-run key so an iframe can load
 * them; the key opens that run's files and nothing else.
 */
export function fileRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  app.get('/runs/:id/files', async (c) => {
    const runId = runIdParam(c);
    if (!(await ctx.runs.exists(runId))) throw new ApiError(404, 'RUN_NOT_FOUND', `no run ${runId}: list runs with GET /v1/runs`);
    const key = ctx.token ? `?key=${runFilesKey(ctx.token, runId)}` : '';
    const files = (await listFiles(ctx.runs.runDir(runId))).map((f) => ({
      ...f,
      url: `/v1/runs/${runId}/files/${f.name.split('/').map(encodeURIComponent).join('/')}${key}`,
    }));
    return c.json({ runId, files });
  });

  app.get('/runs/:id/files/*', async (c) => {
    const runId = runIdParam(c);
    const prefix = `/v1/runs/${runId}/files/`;
    const rawPath = new URL(c.req.url).pathname;
    let name: string;
    try {
      name = decodeURIComponent(rawPath.slice(rawPath.indexOf(prefix) + prefix.length));
    } catch {
      throw new ApiError(400, 'BAD_REQUEST', 'the file name is not valid URL encoding');
    }
    const file = await safeFile(ctx.runs.runDir(runId), name);
    const info = file ? await stat(file).catch(() => undefined) : undefined;
    if (!file || !info?.isFile()) throw new ApiError(404, 'NOT_FOUND', `run ${runId} has no file ${JSON.stringify(name.slice(0, 200))}: list its files with GET /v1/runs/${runId}/files`);
    const type = TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    const body = Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>;
    return new Response(body, {
      headers: {
        'Content-Type': type,
        'Content-Length': String(info.size),
        'Content-Security-Policy': FILE_CSP,
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': 'no-store',
        ...(type === 'application/octet-stream' ? { 'Content-Disposition': 'attachment' } : {}),
      },
    });
  });
  return app;
}
