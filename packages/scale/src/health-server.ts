import { createServer } from 'node:http';
import type { WorkerHealth } from './agent-worker.ts';

export interface HealthServer {
  /** The port it listens on (useful with port 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `GET /healthz`: the worker's health as JSON, with status 200 while it takes jobs and
 * its Redis connection is up, 503 otherwise (closing, or Redis unreachable).
 */
export function serveHealth(health: () => WorkerHealth, options: { port: number; host?: string }): Promise<HealthServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || (path !== '/healthz' && path !== '/health')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not found: GET /healthz' }));
      return;
    }
    const h = health();
    const ok = h.status === 'ready' && h.redis === 'ready';
    // `ok` says what the status code says: `status` alone is the worker's own (ready while Redis is down).
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify({ ok, ...h }));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address ? address.port : options.port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
