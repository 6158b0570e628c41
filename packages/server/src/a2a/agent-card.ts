import { A2A_PROTOCOL_VERSION, AgentCard } from '@a2a-js/sdk';
import type { AgentSkill, SecurityRequirement } from '@a2a-js/sdk';
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

/**
 * The card as A2A 1.x clients read it: the protocol's JSON form (`AgentCard.toJSON`). Plain
 * `JSON.stringify` of the in-memory card writes the internal `{ $case, value }` shape of its
 * security schemes, which clients read as an empty scheme (`{"bearer":{}}`).
 */
export function agentCardJson(card: AgentCard): unknown {
  return AgentCard.toJSON(card);
}

const requirementJson = (r: SecurityRequirement): Record<string, string[]> => Object.fromEntries(Object.entries(r.schemes).map(([name, scopes]) => [name, [...scopes.list]]));

/**
 * The card as A2A 0.3 clients read it (`url`, `protocolVersion`, `securitySchemes` in the OpenAPI
 * shape, `security`), from the fields Baton's card uses; the 1.x interfaces are kept in
 * `supportedInterfaces` so newer clients that ask without a version still find them.
 */
export function legacyAgentCardJson(card: AgentCard): Record<string, unknown> {
  const legacy = card.supportedInterfaces.filter((i) => i.protocolVersion.startsWith('0.'));
  const primary = legacy[0] ?? card.supportedInterfaces[0];
  const schemes = Object.entries(card.securitySchemes).flatMap(([name, s]) => {
    if (s.scheme?.$case !== 'httpAuthSecurityScheme') return [];
    const { scheme, description, bearerFormat } = s.scheme.value;
    return [[name, { type: 'http', scheme, ...(description ? { description } : {}), ...(bearerFormat ? { bearerFormat } : {}) }]];
  });
  return {
    name: card.name,
    description: card.description,
    version: card.version,
    url: primary?.url,
    preferredTransport: primary?.protocolBinding,
    protocolVersion: primary?.protocolVersion || '0.3',
    capabilities: { streaming: card.capabilities?.streaming, pushNotifications: card.capabilities?.pushNotifications },
    defaultInputModes: [...card.defaultInputModes],
    defaultOutputModes: [...card.defaultOutputModes],
    skills: card.skills.map((s) => ({
      id: s.id,
      name: s.name,
      description: s.description,
      tags: [...s.tags],
      ...(s.examples.length > 0 ? { examples: [...s.examples] } : {}),
      ...(s.inputModes.length > 0 ? { inputModes: [...s.inputModes] } : {}),
      ...(s.outputModes.length > 0 ? { outputModes: [...s.outputModes] } : {}),
      ...(s.securityRequirements.length > 0 ? { security: s.securityRequirements.map(requirementJson) } : {}),
    })),
    ...(legacy.length > 1 ? { additionalInterfaces: legacy.slice(1).map((i) => ({ url: i.url, transport: i.protocolBinding })) } : {}),
    supportsAuthenticatedExtendedCard: card.capabilities?.extendedAgentCard ?? false,
    ...(schemes.length > 0 ? { securitySchemes: Object.fromEntries(schemes) } : {}),
    ...(card.securityRequirements.length > 0 ? { security: card.securityRequirements.map(requirementJson) } : {}),
    supportedInterfaces: structuredClone(card.supportedInterfaces),
  };
}
