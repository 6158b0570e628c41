import { fileURLToPath } from 'node:url';
import type { AgentFactory, Planner, RunEventSource, RunStore } from './contracts.ts';
import { BatonError } from './errors.ts';
import type { Agent } from './contracts.ts';
import type { AgentOutput, Manifest, PlanTask, Usage } from './types.ts';
import type { Dispatch } from '../cli/dispatch-choice.ts';

/** A check run on every valid output (LLM rubric judges): returns the problems found. */
export type ExtraCheck = (task: PlanTask, agent: Agent, output: AgentOutput, signal: AbortSignal, reportUsage?: (usage: Usage) => void) => Promise<string[]>;


/** Turns a `provider:model` id into a model (opaque to the core; tests give a scripted one). */
export type ModelResolver = (id: string, where: string) => unknown;

/** Options of the LLM parts the core asks for. */
export interface LlmOptions {
  resolveModel?: ModelResolver;
}

/** One rubric's verdict by the orchestrator's model. */
export interface RubricVerdict {
  /** The rubric's number, from 1. */
  rubric: number;
  pass: boolean;
  reason: string;
}

/** Judges one value against rubrics with the orchestrator's model. */
export type RubricJudge = (subject: Pick<PlanTask, 'title' | 'instructions'>, name: string, value: unknown, rubrics: string[], signal: AbortSignal) => Promise<RubricVerdict[]>;

/** What the core uses of `batonjs-llm`. */
export interface LlmPackage {
  createLlmAgent: AgentFactory;
  /** The LLM planner over `orchestrator.model`; throws naming the missing key or model. */
  createLlmPlanner(manifest: Manifest, options?: LlmOptions): Planner;
  /** The judge of `checks: [{ rubric }]`, when the orchestrator has a model and some artifact has checks. */
  createJudgeIfNeeded(manifest: Manifest, options?: LlmOptions): ExtraCheck | undefined;
  /** A judge of arbitrary rubrics (eval suites) with `orchestrator.model`, with the id of the model it uses. */
  createRubricJudge(manifest: Manifest, options?: LlmOptions): { modelId: string; judge: RubricJudge };
}

/** What the core uses of `batonjs-scale`. */
export interface ScalePackage {
  /** BullMQ dispatch on the Redis at `url`. */
  createBullmqDispatch(manifest: Manifest, url: string): Promise<Dispatch>;
  workerCommand(options: Record<string, unknown>): Promise<number>;
}

/** What the core uses of `batonjs-scale/postgres`: the PostgreSQL journal without BullMQ, which costs ~80 ms and ~20 MB to load. */
export interface ScalePostgresPackage {
  openPostgresStore(url: string): Promise<RunStore>;
}

/** What the core uses of `batonjs-server/a2a-agent`: agents of kind a2a without the server (Hono, the A2A server), ~80 ms and ~12 MB less to load. */
export interface ServerA2aAgentPackage {
  a2aAgentFactory: AgentFactory;
}

/** What the core uses of `batonjs-server`. */
export interface ServerPackage {
  serveCommand(options: Record<string, unknown>): Promise<number>;
}

/** What the core uses of `batonjs-telemetry`. */
export interface TelemetryPackage {
  startTelemetry(source: RunEventSource & { manifest?: Manifest }, options?: { onError?: (message: string) => void }): { shutdown(): Promise<void> } | undefined;
}

interface Packages {
  'batonjs-llm': LlmPackage;
  'batonjs-scale': ScalePackage;
  'batonjs-scale/postgres': ScalePostgresPackage;
  'batonjs-server': ServerPackage;
  'batonjs-server/a2a-agent': ServerA2aAgentPackage;
  'batonjs-telemetry': TelemetryPackage;
}

/**
 * Loads one of Baton's optional packages, which the user installs next to `batonjs` when they
 * need it. A missing package is a clear error naming what needs it and how to add it. An entry
 * that loads less of a package (`batonjs-scale/postgres`) falls back to the package's main entry,
 * which exports the same, when an older install of the package has no such entry. `load` is
 * `import()` (tests give another).
 */
export async function importOptional<P extends keyof Packages>(name: P, neededFor: string, load: (specifier: string) => Promise<unknown> = (s) => import(s)): Promise<Packages[P]> {
  // A variable specifier: the core must not depend on its optional packages at build time.
  const specifier: string = name;
  // Node's ES loader names the package in its error, not the entry: `batonjs-scale` for `batonjs-scale/postgres`.
  const packageName = name.split('/')[0]!;
  try {
    return (await load(specifier)) as Packages[P];
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const message = String((e as Error).message);
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && (message.includes(`'${packageName}'`) || message.includes(`'${name}'`))) {
      throw new BatonError('BAD_REQUEST', `${neededFor} needs the optional package ${packageName}: ${installHint(packageName, fileURLToPath(new URL('../..', import.meta.url)))}`, { retryable: false, cause: e });
    }
    // Node's own wording for our entry ("Package subpath './postgres' is not defined by "exports" in
    // …/batonjs-scale/package.json"), not for one the package imports itself.
    const entry = `'./${specifier.slice(packageName.length + 1)}'`;
    if (code === 'ERR_PACKAGE_PATH_NOT_EXPORTED' && specifier !== packageName && message.includes(entry) && message.includes(`${packageName}/package.json`)) {
      return (await load(packageName)) as Packages[P];
    }
    throw e;
  }
}

/**
 * How to install optional package `name` where the running `batonjs` (its folder: `batonRoot`)
 * finds it. A global baton finds only global packages: a project's own install does not help it.
 */
export function installHint(name: string, batonRoot: string): string {
  const global = /[\\/]lib[\\/]node_modules[\\/]batonjs[\\/]?$/.test(batonRoot) || /[\\/]npm[\\/]node_modules[\\/]batonjs[\\/]?$/i.test(batonRoot);
  if (!global) return `install it next to batonjs (npm install ${name})`;
  return `this baton is installed globally (${batonRoot}) and finds only global packages: npm install -g ${name}, or install both in the project (npm install batonjs ${name}) and run its own with npx baton`;
}
