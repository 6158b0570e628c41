import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrchestrator } from '../../core/src/create-orchestrator.ts';
import { scriptedAgent } from '../../core/src/testing/index.ts';
import { startTelemetry } from '../src/telemetry.ts';

// Baton makes the exporter's HTTPS agents itself (to close their sockets at shutdown): they must
// still trust the collector's certificate named by OTEL_EXPORTER_OTLP_CERTIFICATE, as OTel does.

describe('an HTTPS collector with its own certificate authority', () => {
  let dir: string;
  let cert: string;
  let server: Server;
  let url: string;
  let received = 0;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'baton-otel-tls-'));
    cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    server = createServer({ key: await readFile(key), cert: await readFile(cert) }, (req, res) => {
      req.resume();
      req.on('end', () => {
        received++;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  });

  async function export_(env: Record<string, string>): Promise<string[]> {
    const o = createOrchestrator({ name: 'tls', agents: [scriptedAgent({ name: 'a', produces: ['x'] })] });
    const problems: string[] = [];
    const telemetry = startTelemetry(o, { env: { OTEL_EXPORTER_OTLP_ENDPOINT: url, ...env }, onError: (m) => problems.push(m) });
    await o.run('produce x');
    await telemetry?.shutdown();
    await o.close();
    return problems;
  }

  it('sends spans when OTEL_EXPORTER_OTLP_CERTIFICATE names the collector’s certificate', async () => {
    expect(await export_({ OTEL_EXPORTER_OTLP_CERTIFICATE: cert })).toEqual([]);
    expect(received).toBeGreaterThan(0);
  });

  it('says so when the certificate file cannot be read, and when the certificate is not trusted', async () => {
    const before = received;
    const missing = path.join(dir, 'missing.pem');
    const [unreadable] = await export_({ OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: missing });
    expect(unreadable).toContain(`OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE=${missing} could not be read`);
    const [untrusted] = await export_({});
    expect(untrusted).toMatch(/could not send the last spans/);
    expect(received).toBe(before);
  });
});
