/**
 * Sub-agents of `kind: a2a` without the rest of the server (Hono, the A2A server):
 * `import { createA2aAgent } from 'batonjs-server/a2a-agent'`. The core loads agents of that kind
 * from here.
 */
export { a2aAgentFactory, a2aAgentFactory as default, createA2aAgent } from './a2a/a2a-agent.ts';
