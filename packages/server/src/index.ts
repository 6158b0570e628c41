/**
 * Baton as a service: the HTTP API, Server-Sent Events, the live dashboard and the orchestrator as an
 * A2A agent (`createServer`), plus sub-agents of kind `a2a` (remote A2A agents).
 */
export { apiTokenOf, checkApiToken, createServer, isLoopbackHost, MIN_TOKEN_LENGTH, parseAllowedHosts } from './server.ts';
export type { BatonServer, OrchestratorFactory, ServerOptions, ServerLimits, ApiErrorBody, ApiErrorCode } from './server.ts';
export { a2aAgentFactory, createA2aAgent } from './a2a/a2a-agent.ts';
export { serveCommand } from './serve-command.ts';
export type { ServeOptions } from './serve-command.ts';
