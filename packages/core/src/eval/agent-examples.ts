/** `baton agents test`: the `examples:` of agents, run as an eval suite of agent cases. */
import { ownValue } from '../core/artifact-names.ts';
import { BatonError } from '../core/errors.ts';
import type { Manifest } from '../core/types.ts';
import { didYouMean } from '../manifest/describe.ts';
import type { AgentCase, EvalSuite } from './types.ts';

/**
 * A suite of one agent case per example of the named agents (default: every agent with examples).
 * @throws BatonError `BAD_REQUEST` for a name the manifest does not define, or a named agent without examples.
 */
export function examplesSuite(manifest: Manifest, names: readonly string[] = []): EvalSuite {
  const known = Object.keys(manifest.agents);
  for (const name of names) {
    if (!ownValue(manifest.agents, name)) {
      throw new BatonError('BAD_REQUEST', `no agent named '${name}' in ${manifest.file ?? 'the manifest'}${didYouMean(name, known)} (agents: ${known.join(', ')})`, { retryable: false });
    }
    if (!ownValue(manifest.agents, name)?.examples?.length) {
      throw new BatonError('BAD_REQUEST', `agent '${name}' has no examples: add examples: [{ input: { inputs: {...} }, output: {...} }] under agents.${name}`, { retryable: false });
    }
  }
  const chosen = names.length > 0 ? names : known;
  const cases = chosen.flatMap((agent) =>
    (ownValue(manifest.agents, agent)?.examples ?? []).map((example, i): AgentCase => {
      const { goal, inputs, params } = example.input;
      return {
        kind: 'agent',
        name: `${agent}: ${example.name ?? `example ${i + 1}`}`,
        agent,
        inputs,
        ...(goal === undefined ? {} : { goal }),
        ...(params === undefined ? {} : { params }),
        expect: { match: 'partial', ...(example.output ? { output: example.output } : {}), ...(example.schema ? { artifacts: example.schema } : {}) },
      };
    }),
  );
  return { name: `${manifest.orchestrator.name} agent examples`, ...(manifest.file ? { manifest: manifest.file } : {}), cases };
}
