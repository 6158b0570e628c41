import { access, constants } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { closeAgents } from '../../agents/agent-pool.ts';
import { AgentRegistry } from '../../agents/registry.ts';
import { verifyAgentVersion } from '../../agents/version-pin.ts';
import type { VersionVerdict } from '../../agents/version-pin.ts';
import type { Agent } from '../../core/contracts.ts';
import { errorMessage } from '../../core/errors.ts';
import { Limiter } from '../../execution/limiter.ts';
import type { AgentSpec, Manifest } from '../../core/types.ts';
import type { CommonOptions } from '../context.ts';
import { readManifest } from '../context.ts';
import { color } from '../format.ts';

/** `baton agents`: the sub-agents of a manifest. */
export async function agentsCommand(opts: CommonOptions & { json?: boolean }): Promise<number> {
  const manifest = await readManifest(opts);
  const agents = Object.values(manifest.agents);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(agents.map(publicSpec), null, 2)}\n`);
    return 0;
  }
  for (const a of agents) {
    const sub = manifest.orchestrator.subagents.includes(a.name) ? '' : color.dim(' (not a sub-agent of the orchestrator)');
    process.stdout.write(`${color.bold(a.name)} ${a.version} [${a.kind}]${sub}\n  ${a.description}\n`);
    process.stdout.write(`  consumes: ${a.consumes.join(', ') || '-'}   produces: ${a.produces.join(', ')}\n`);
    if (a.fallback.length) process.stdout.write(`  fallback: ${a.fallback.join(' → ')}\n`);
  }
  return 0;
}

/** Agents `baton agents check` checks at once, at most. */
const MAX_CHECKS_AT_ONCE = 4;

/** `baton agents check`: validates the manifest and that every agent can be built and reached. */
export async function agentsCheckCommand(opts: CommonOptions): Promise<number> {
  const manifest = await readManifest(opts);
  const registry = new AgentRegistry();
  const specs = Object.values(manifest.agents);
  // A few at once (each module agent loads in a thread of its own, ~45 MB; Node 20 counts the
  // host's cores, not a container's share); each line is printed, in the manifest's order, as soon
  // as it and those before it are known.
  const limiter = new Limiter(Math.min(availableParallelism(), MAX_CHECKS_AT_ONCE));
  const checks = specs.map(async (spec) => {
    const release = await limiter.acquire();
    try {
      return await checkAgent(spec, manifest, registry);
    } finally {
      release();
    }
  });
  let bad = 0;
  for (const [i, spec] of specs.entries()) {
    const { problem, version } = await checks[i]!;
    if (problem) bad++;
    const about = version ? ` ${describeVersion(version)}` : '';
    process.stdout.write(`${problem ? color.red('✖') : color.green('✔')} ${spec.name} [${spec.kind}]${about}${problem ? `: ${problem}` : ''}\n`);
  }
  process.stdout.write(bad ? `${bad} agent(s) have problems\n` : `manifest ${manifest.file ?? ''} is valid\n`);
  return bad ? 64 : 0;
}

type AgentCheck = { problem?: string; version?: VersionVerdict };

async function checkAgent(spec: AgentSpec, manifest: Manifest, registry: AgentRegistry): Promise<AgentCheck> {
  if (spec.kind === 'command') {
    const exe = spec.command?.[0] ?? '';
    if (!(await findExecutable(exe, spec.baseDir ?? manifest.baseDir))) return { problem: `command '${exe}' not found or not executable` };
  }
  let agent: Agent;
  try {
    agent = await registry.create(spec, manifest);
  } catch (e) {
    return { problem: errorMessage(e) };
  }
  let check: AgentCheck;
  try {
    check = await readVersion(agent, spec, manifest);
  } catch (e) {
    check = { problem: errorMessage(e) };
  }
  // As an orchestrator closes its agents: each within a bound, so one that hangs ends the command.
  try {
    await closeAgents([agent]);
  } catch (e) {
    check.problem ??= errorMessage(e);
  }
  return check;
}

async function readVersion(agent: Agent, spec: AgentSpec, manifest: Manifest): Promise<AgentCheck> {
  const version = await verifyAgentVersion(agent, spec, manifest.file);
  if (version.refusal !== undefined) return { problem: version.refusal, version };
  // Reading a module agent's version loads its module where it runs, and checks what it exports:
  // what stops the load is a problem, pinned or not.
  if (spec.kind === 'module' && version.unread !== undefined) return { problem: version.unread };
  return { version };
}

/** `1.2.1 (reported, pinned ^1.2.0)`, `1.0.0`. */
function describeVersion(v: VersionVerdict): string {
  const notes = [v.reported === undefined ? undefined : 'reported', v.pin !== undefined && v.pin !== v.ran ? `pinned ${v.pin}` : undefined].filter(Boolean);
  return notes.length > 0 ? `${v.ran} (${notes.join(', ')})` : v.ran;
}

async function findExecutable(exe: string, cwd: string): Promise<boolean> {
  const candidates = exe.includes('/') ? [path.resolve(cwd, exe)] : (process.env.PATH ?? '').split(path.delimiter).map((d) => path.join(d, exe));
  for (const c of candidates) {
    try {
      await access(c, constants.X_OK);
      return true;
    } catch {
      // try the next folder
    }
  }
  return false;
}

function publicSpec(a: AgentSpec): Record<string, unknown> {
  const { name, description, version, capabilities, consumes, produces, kind, fallback } = a;
  return { name, description, version, capabilities, consumes, produces, kind, fallback };
}
