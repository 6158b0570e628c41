/**
 * The soak's 12-task workflow, written to a fresh folder per soak: a manifest mixing `command`
 * agents (real child processes, a POSIX shell script) and `module` agents (in-process), one
 * JSON Schema every artifact must meet, and two fallback replicas. The folder's name is the
 * soak's marker: every process a command agent starts has it in its command line and in its
 * environment (BATON_SOAK_MARKER), which is how leftover processes are found.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

interface SoakAgent {
  name: string;
  kind: 'command' | 'module';
  consumes: string[];
  /** The artifact it makes (default: its name). */
  produces?: string;
  fallback?: string[];
}

/** 12 primary agents (one task each) in four layers, plus two replicas tried as fallbacks. */
export const SOAK_AGENTS: readonly SoakAgent[] = [
  { name: 'alpha', kind: 'command', consumes: [], fallback: ['alpha-replica'] },
  { name: 'beta', kind: 'module', consumes: [] },
  { name: 'gamma', kind: 'command', consumes: [] },
  { name: 'alpha-beta', kind: 'module', consumes: ['alpha', 'beta'] },
  { name: 'beta-gamma', kind: 'command', consumes: ['beta', 'gamma'] },
  { name: 'alpha-profile', kind: 'command', consumes: ['alpha'] },
  { name: 'gamma-profile', kind: 'module', consumes: ['gamma'] },
  { name: 'merge', kind: 'command', consumes: ['alpha-beta', 'beta-gamma'], fallback: ['merge-replica'] },
  { name: 'profiles', kind: 'module', consumes: ['alpha-profile', 'gamma-profile'] },
  { name: 'audit', kind: 'module', consumes: ['beta-gamma'] },
  { name: 'summary', kind: 'command', consumes: ['merge', 'profiles'] },
  { name: 'final', kind: 'module', consumes: ['summary', 'audit'] },
  { name: 'alpha-replica', kind: 'module', consumes: [], produces: 'alpha' },
  { name: 'merge-replica', kind: 'module', consumes: ['alpha-beta', 'beta-gamma'], produces: 'merge' },
];

/** What the goal asks for when it names nothing: the last artifact and two side results (so runs can end partial). */
export const SOAK_DELIVERABLE = ['final', 'audit', 'profiles'];
export const SOAK_TASKS = 12;

export interface SoakPolicy {
  maxParallel: number;
  retries: number;
  taskTimeoutMs: number;
  runTimeoutMs: number;
}

export interface Workspace {
  dir: string;
  manifestFile: string;
  /** Unique per soak; found in the command line and environment of every agent process. */
  marker: string;
}

/** The command agents' script: `misbehave.sh <artifact>`, told how to misbehave by BATON_FAULT. */
const MISBEHAVE_SH = `#!/bin/sh
# A soak command agent: reads the agent input on stdin, prints {"<artifact>": {...}} on stdout,
# unless BATON_FAULT tells it to misbehave. BATON_LATE_S is how long a "late" answer takes.
artifact="$1"
cat > /dev/null
case "\${BATON_FAULT:-none}" in
  throw) echo "injected fault: $artifact failed" >&2; exit 3 ;;
  exit) exit 1 ;;
  hang) sleep 3600 ;;
  hang-ignore-term) trap '' TERM; sleep 3600 ;;
  non-json) echo "injected fault: this is not JSON"; exit 0 ;;
  invalid) printf '{"%s":{"by":42}}\\n' "$artifact"; exit 0 ;;
  late) trap '' TERM; sleep "\${BATON_LATE_S:-1}" ;;
  crash) kill -KILL $$ ;;
esac
printf '{"%s":{"by":"command","n":1}}\\n' "$artifact"
`;

/** The module agents' shared code; each module agent file picks its artifact. */
const WORK_MJS = `// A soak module agent: answers after a few milliseconds (abortable) with its artifact.
export default function work(artifact) {
  return (input, ctx) =>
    new Promise((resolve, reject) => {
      const done = () => {
        ctx.signal.removeEventListener('abort', stop);
        resolve({ [artifact]: { by: 'module', n: input.attempt } });
      };
      const timer = setTimeout(done, 2);
      const stop = () => {
        clearTimeout(timer);
        reject(ctx.signal.reason);
      };
      if (ctx.signal.aborted) stop();
      else ctx.signal.addEventListener('abort', stop, { once: true });
    });
}
`;

const ARTIFACT_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  required: ['by', 'n'],
  properties: { by: { type: 'string', enum: ['command', 'module'] }, n: { type: 'integer', minimum: 1 } },
};

function manifestYaml(policy: SoakPolicy, dir: string, marker: string): string {
  const lines = [
    'version: 1',
    'orchestrator:',
    '  name: soak',
    '  description: Runs the soak workflow of twelve tasks',
    '  instructions: Every agent makes one artifact; some misbehave on purpose.',
    `  subagents: [${SOAK_AGENTS.map((a) => a.name).join(', ')}]`,
    `  deliverable: [${SOAK_DELIVERABLE.join(', ')}]`,
    `  policy: { maxParallel: ${policy.maxParallel}, retries: ${policy.retries}, taskTimeoutMs: ${policy.taskTimeoutMs}, runTimeoutMs: ${policy.runTimeoutMs}, backoff: { initialDelayMs: 5, factor: 2, maxDelayMs: 40, jitter: 0.5 } }`,
    'agents:',
  ];
  for (const a of SOAK_AGENTS) {
    const artifact = a.produces ?? a.name;
    lines.push(
      `  ${a.name}:`,
      `    description: Makes the ${artifact} artifact${a.produces ? ' (replica)' : ''}`,
      `    consumes: [${a.consumes.join(', ')}]`,
      `    produces: [${artifact}]`,
      `    kind: ${a.kind}`,
      a.kind === 'command' ? `    command: [sh, ${JSON.stringify(path.join(dir, 'agents', 'misbehave.sh'))}, ${artifact}]` : `    module: ./agents/${a.name}.mjs`,
      `    output: { ${artifact}: { schema: ./schemas/artifact.json } }`,
    );
    if (a.kind === 'command') lines.push(`    env: { BATON_SOAK_MARKER: ${marker} }`);
    if (a.fallback) lines.push(`    fallback: [${a.fallback.join(', ')}]`);
  }
  return `${lines.join('\n')}\n`;
}

/** Writes the workflow to a new folder whose name holds the soak's marker. */
export function createWorkspace(seed: number, policy: SoakPolicy): Workspace {
  const marker = `baton-soak-${seed}-${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(path.join(tmpdir(), `${marker}-`));
  mkdirSync(path.join(dir, 'agents'));
  mkdirSync(path.join(dir, 'schemas'));
  mkdirSync(path.join(dir, 'state'));
  writeFileSync(path.join(dir, 'agents', 'misbehave.sh'), MISBEHAVE_SH);
  chmodSync(path.join(dir, 'agents', 'misbehave.sh'), 0o755);
  writeFileSync(path.join(dir, 'agents', 'work.mjs'), WORK_MJS);
  for (const a of SOAK_AGENTS) {
    if (a.kind !== 'module') continue;
    const artifact = a.produces ?? a.name;
    writeFileSync(path.join(dir, 'agents', `${a.name}.mjs`), `import work from './work.mjs';\nexport default work(${JSON.stringify(artifact)});\n`);
  }
  writeFileSync(path.join(dir, 'schemas', 'artifact.json'), `${JSON.stringify(ARTIFACT_SCHEMA, null, 2)}\n`);
  const manifestFile = path.join(dir, 'baton.yaml');
  writeFileSync(manifestFile, manifestYaml(policy, dir, path.basename(dir)));
  return { dir, manifestFile, marker: path.basename(dir) };
}
