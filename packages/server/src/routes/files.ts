import { readdir, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Hono } from 'hono';
import { runFilesKey } from '../auth.ts';
import type { ServerContext } from '../context.ts';
import { ApiError } from '../http-errors.ts';
import { runIdParam } from '../validation.ts';
import { openRegularFile, safeFile } from './file-access.ts';
import { runFileSource } from './run-file-source.ts';
import type { RunFileSource } from './run-file-source.ts';

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

/** The files a run written elsewhere listed that are still regular files in its folder, reached without a link. */
async function listReported(root: string, names: Iterable<string>): Promise<{ name: string; size: number }[]> {
  const out: { name: string; size: number }[] = [];
  for (const name of names) {
    const file = await safeFile(root, name, true);
    const info = file ? await stat(file).catch(() => undefined) : undefined;
    if (info?.isFile()) out.push({ name, size: info.size });
    if (out.length >= MAX_LISTED) break;
  }
  return out;
}

/** The file `name` of a run, opened, or a 404 saying why not. */
async function openRunFile(source: RunFileSource, runId: string, name: string): Promise<{ file: string; handle: FileHandle; size: number }> {
  const shown = JSON.stringify(name.slice(0, 200));
  if (source.kind === 'reported') {
    if (source.unavailable) throw new ApiError(404, 'NOT_FOUND', `run ${runId} has no file ${shown}: ${source.unavailable}`);
    // The same answer whether or not such a file is in the folder: it says nothing about the folder.
    if (!source.names.has(name)) throw new ApiError(404, 'NOT_FOUND', `run ${runId} has no file ${shown}: only the files it listed are served; list them with GET /v1/runs/${runId}/files`);
  }
  const file = await safeFile(source.root, name, source.kind === 'reported');
  const opened = file ? await openRegularFile(file) : undefined;
  if (file && opened) return { file, ...opened };
  if (source.kind === 'reported') throw new ApiError(404, 'NOT_FOUND', `run ${runId} listed the file ${shown}, but it is no longer a regular file in the run's out folder`);
  throw new ApiError(404, 'NOT_FOUND', `run ${runId} has no file ${shown}: list its files with GET /v1/runs/${runId}/files`);
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
    const source = await runFileSource(ctx.runs, runId);
    const found = source.kind === 'folder' ? await listFiles(source.root) : await listReported(source.root, source.names);
    const files = found.map((f) => ({
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
    const source = await runFileSource(ctx.runs, runId);
    const opened = await openRunFile(source, runId, name);
    const type = TYPES[path.extname(opened.file).toLowerCase()] ?? 'application/octet-stream';
    const body = Readable.toWeb(opened.handle.createReadStream()) as ReadableStream<Uint8Array>;
    return new Response(body, {
      headers: {
        'Content-Type': type,
        'Content-Length': String(opened.size),
        'Content-Security-Policy': FILE_CSP,
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': 'no-store',
        ...(type === 'application/octet-stream' ? { 'Content-Disposition': 'attachment' } : {}),
      },
    });
  });
  return app;
}
