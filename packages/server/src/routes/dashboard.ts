import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';

const ASSET_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dashboard');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** The dashboard talks only to this server: no CDN, no inline script, no framing by other sites. */
const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "object-src 'none'",
].join('; ');

interface Asset {
  body: string;
  type: string;
}

/** Reads the dashboard's static files once (they are small and never change while serving). */
function loadAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  let names: string[];
  try {
    names = readdirSync(ASSET_DIR);
  } catch {
    return assets;
  }
  for (const name of names) {
    const type = TYPES[path.extname(name)];
    if (type) assets.set(name, { body: readFileSync(path.join(ASSET_DIR, name), 'utf8'), type });
  }
  return assets;
}

/** `GET /` (the dashboard page) and `GET /assets/<file>` (its scripts and styles). */
export function dashboardRoutes(): Hono {
  const app = new Hono();
  const assets = loadAssets();
  const headers = (type: string): Record<string, string> => ({
    'Content-Type': type,
    'Content-Security-Policy': DASHBOARD_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-cache',
  });
  app.get('/', (c) => {
    const page = assets.get('index.html');
    if (!page) return c.text('dashboard assets are missing from this install', 500);
    return c.body(page.body, 200, headers(page.type));
  });
  app.get('/assets/:name', (c) => {
    const asset = assets.get(c.req.param('name'));
    if (!asset || c.req.param('name') === 'index.html') return c.json({ error: { code: 'NOT_FOUND', message: 'no such dashboard asset' } }, 404);
    return c.body(asset.body, 200, headers(asset.type));
  });
  return app;
}
