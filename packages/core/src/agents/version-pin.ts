/**
 * Version pins: a manifest `version` is an exact version or a semver range, and the version an
 * agent reports (`Agent.version()`) must satisfy it. The version that ran is the reported one, or
 * the manifest's when the agent reports none.
 */
import { createRequire } from 'node:module';
import type Semver from 'semver';
import type { Agent } from '../core/contracts.ts';
import { BatonError, errorMessage } from '../core/errors.ts';
import type { AgentSpec } from '../core/types.ts';
import { kindOf } from '../validation/output-validator.ts';

// semver (~1 MB, 15 ms to load) is needed only once an agent reports a version; it is CommonJS,
// so require() loads it synchronously on that first use.
const requireCjs = createRequire(import.meta.url);
let semverModule: typeof Semver | undefined;
const semver = (): typeof Semver => (semverModule ??= requireCjs('semver') as typeof Semver);

/** How long reading one agent's version may take. */
const VERSION_READ_TIMEOUT_MS = 15_000;

/** What is known about the version of one agent. */
export interface VersionVerdict {
  agent: string;
  /** The manifest's pin, when it states one. */
  pin?: string;
  /** What the agent reported, when it reports a version. */
  reported?: string;
  /** Where the reported version comes from: `export const version in ./agents/data.ts`. */
  source: string;
  /** The version recorded for its attempts and in provenance. */
  ran: string;
  /** Why the agent may not run, when it is outside its pin. */
  refusal?: string;
  /** Why its version could not be read, when it has no pin (it then runs under its manifest version). */
  unread?: string;
}

/** The agents refused because of their versions; the run fails before any agent runs. */
export class AgentVersionError extends BatonError {
  readonly verdicts: VersionVerdict[];

  constructor(verdicts: VersionVerdict[]) {
    const lines = verdicts.map((v) => v.refusal ?? v.agent);
    super('AGENT_VERSION_REFUSED', lines.length === 1 ? (lines[0] ?? '') : `${lines.length} agents refused:\n  ${lines.join('\n  ')}`, {
      retryable: false,
      details: verdicts,
    });
    this.name = 'AgentVersionError';
    this.verdicts = verdicts;
  }
}

/** Where an agent's reported version is read from, for messages. */
export function versionSourceOf(spec: AgentSpec): string {
  switch (spec.kind) {
    case 'module':
      return `export const version in ${spec.module ?? 'its module'}`;
    case 'command':
      return spec.versionCommand ? `versionCommand ${JSON.stringify(spec.versionCommand)}` : 'no versionCommand';
    case 'a2a':
      return `the agent card at ${spec.url ?? 'its url'}`;
    case 'llm':
    case 'code':
      return "the agent's version()";
  }
}

/**
 * Reads the version an agent reports and checks it against the manifest's pin. A pinned agent
 * whose version cannot be read, or is not a semver version, is refused: the pin cannot be proven.
 * An agent without a pin is never refused.
 */
export async function verifyAgentVersion(agent: Agent, spec: AgentSpec, manifestFile?: string): Promise<VersionVerdict> {
  const source = versionSourceOf(spec);
  const pin = spec.versionPin;
  const verdict: VersionVerdict = { agent: spec.name, source, ran: spec.version, ...(pin === undefined ? {} : { pin }) };
  const where = `agents.${spec.name}.version${manifestFile ? ` in ${manifestFile}` : ''}`;
  let reported: string | undefined;
  try {
    reported = agent.version ? await withTimeout(agent.version(), VERSION_READ_TIMEOUT_MS) : undefined;
  } catch (e) {
    if (pin === undefined) {
      // A module's version is read by loading it: its thread's error names the agent already.
      const why = errorMessage(e);
      verdict.unread = spec.kind === 'module' && why.startsWith(`agent '${spec.name}'`) ? why : `agent '${spec.name}': its version could not be read from ${source}: ${why}`;
      return verdict;
    }
    // A module's version is read by loading it: what stops the load is what to fix, and comes first.
    verdict.refusal =
      spec.kind === 'module'
        ? `${errorMessage(e)} (agent '${spec.name}' is pinned to ${pin} at ${where}: its version cannot be read until its module loads)`
        : `agent '${spec.name}' is pinned to ${pin} (${where}) but its version could not be read from ${source}: ${errorMessage(e)}`;
    return verdict;
  }
  if (reported === undefined || reported === null) return verdict;
  // An agent's own version() (code, a registered kind, an A2A card) may give anything.
  if (typeof reported !== 'string') {
    if (pin !== undefined) verdict.refusal = `agent '${spec.name}' is pinned to ${pin} (${where}) but reports ${kindOf(reported)} (${source}), not a version such as 1.2.0`;
    return verdict;
  }
  verdict.reported = reported;
  const clean = semver().clean(reported);
  verdict.ran = clean ?? reported;
  if (pin === undefined) return verdict;
  if (clean === null) {
    verdict.refusal = `agent '${spec.name}' is pinned to ${pin} (${where}) but reports "${reported}" (${source}), which is not a semver version such as 1.2.0`;
  } else if (!semver().satisfies(clean, pin)) {
    verdict.refusal = `agent '${spec.name}' reports version ${clean} (${source}), outside its pin ${pin} (${where}): update the pin or use a matching agent`;
  }
  return verdict;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
