import { readFileSync } from 'node:fs';
import type { Agent as HttpAgent } from 'node:http';
import { errorMessage } from 'batonjs/internal';

/** The HTTP(S) agents of one OTLP exporter, made by `factory`; `destroy` closes every socket they hold. */
export interface ExportAgents {
  factory: (protocol: string) => Promise<HttpAgent>;
  destroy(): void;
}

/** A file named by OTEL_EXPORTER_OTLP_TRACES_<name>, else OTEL_EXPORTER_OTLP_<name>, as OTel reads it. */
function fileFromEnv(env: Record<string, string | undefined>, name: string): Buffer | undefined {
  for (const variable of [`OTEL_EXPORTER_OTLP_TRACES_${name}`, `OTEL_EXPORTER_OTLP_${name}`]) {
    const file = env[variable]?.trim();
    if (!file) continue;
    try {
      return readFileSync(file);
    } catch (e) {
      throw new Error(`${variable}=${file} could not be read: ${errorMessage(e)}`);
    }
  }
  return undefined;
}

/**
 * Agents Baton owns for the exporter, so that shutdown can close their sockets. The exporter's
 * timeout is a socket idle timeout: a collector that answers a byte at a time never trips it, and
 * its socket would keep a finished `baton run` alive for as long as it trickles.
 * They honour OTel's TLS variables (CERTIFICATE, CLIENT_CERTIFICATE, CLIENT_KEY), which the
 * exporter reads only when it makes its agents itself.
 */
export function exportAgents(env: Record<string, string | undefined>): ExportAgents {
  const agents: HttpAgent[] = [];
  return {
    async factory(protocol) {
      const { Agent } = protocol === 'http:' ? await import('node:http') : await import('node:https');
      const tls = protocol === 'http:' ? {} : { ca: fileFromEnv(env, 'CERTIFICATE'), cert: fileFromEnv(env, 'CLIENT_CERTIFICATE'), key: fileFromEnv(env, 'CLIENT_KEY') };
      const agent = new Agent({ keepAlive: true, ...tls });
      agents.push(agent);
      return agent;
    },
    destroy() {
      for (const agent of agents.splice(0)) agent.destroy();
    },
  };
}
