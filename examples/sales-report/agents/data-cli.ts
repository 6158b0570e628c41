/**
 * Data agent, command form (`data-replica` in baton.yaml): the same extraction as `data.ts`, run as
 * a separate process that reads the agent input as JSON on stdin and writes the output as JSON on
 * stdout (DESIGN section 4). A failure exits 1 with the reason on stderr.
 */
import { errorMessage } from 'batonjs/agent';
import type { AgentInput } from 'batonjs/agent';
import { extractSalesDataset } from '../lib/extract.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

try {
  const input = JSON.parse(await readStdin()) as AgentInput;
  if (typeof input.goal !== 'string') throw new Error('expected the agent input JSON on stdin, with a "goal" string');
  process.stdout.write(JSON.stringify({ 'sales-dataset': extractSalesDataset(input) }));
} catch (e) {
  process.stderr.write(`${errorMessage(e)}\n`);
  process.exitCode = 1;
}
