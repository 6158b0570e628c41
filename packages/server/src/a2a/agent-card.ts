import { A2A_PROTOCOL_VERSION } from '@a2a-js/sdk';
import type { AgentCard, AgentSkill } from '@a2a-js/sdk';
import type { Manifest } from 'batonjs/internal';

/**
 * The orchestrator's A2A agent card: one skill that takes a goal and runs the whole plan, and
 * one skill per sub-agent capability it can deliver, so A2A clients see what it is good at.
 * `endpoint` is the absolute URL of the JSON-RPC endpoint (`<server>/a2a`).
 */
export function orchestratorAgentCard(manifest: Manifest, endpoint: string, secured: boolean): AgentCard {
  const o = manifest.orchestrator;
  const security = secured ? [{ schemes: { bearer: { list: [] } } }] : [];
  const produced = [...new Set(o.subagents.flatMap((n) => manifest.agents[n]?.produces ?? []))];
  const skills: AgentSkill[] = [
    {
      id: 'run-goal',
      name: `Run a goal with ${o.name}`,
      description: `${o.description}. Send the goal as text (or a DataPart { "goal": "..." }); the orchestrator plans it into tasks, delegates them to its sub-agents, validates every output and returns the deliverable as a DataPart artifact keyed by artifact type (${o.deliverable.join(', ')}).`,
      tags: ['orchestration', 'planning', ...produced],
      examples: [`Produce ${o.deliverable.join(', ')}`],
      inputModes: ['text/plain', 'application/json'],
      outputModes: ['application/json', 'text/plain'],
      securityRequirements: security,
    },
    ...o.subagents.flatMap((name): AgentSkill[] => {
      const a = manifest.agents[name];
      if (!a) return [];
      return [
        {
          id: `agent-${a.name}`,
          name: a.name,
          description: `${a.description} (produces ${a.produces.join(', ')}; part of a plan, not called on its own)`,
          tags: [...a.capabilities, ...a.produces],
          examples: [],
          inputModes: ['text/plain', 'application/json'],
          outputModes: ['application/json'],
          securityRequirements: security,
        },
      ];
    }),
  ];
  return {
    name: o.name,
    description: o.description,
    supportedInterfaces: [
      { url: endpoint, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: A2A_PROTOCOL_VERSION },
      { url: endpoint, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: '0.3' },
    ],
    provider: undefined,
    version: '1.0.0',
    capabilities: { streaming: true, pushNotifications: false, extensions: [], extendedAgentCard: false },
    securitySchemes: secured
      ? { bearer: { scheme: { $case: 'httpAuthSecurityScheme', value: { description: 'the BATON_API_TOKEN of this server', scheme: 'Bearer', bearerFormat: '' } } } }
      : {},
    securityRequirements: security,
    defaultInputModes: ['text/plain', 'application/json'],
    defaultOutputModes: ['application/json', 'text/plain'],
    skills,
    signatures: [],
  };
}
