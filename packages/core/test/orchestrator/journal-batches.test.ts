/**
 * What a run costs its journal: the start, stored before anything of the run happens, then the
 * rest of a short run in one batch (a SQLite commit per batch is most of what the journal adds to
 * a run), its end held back until run.json is written.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defineAgent } from '../../src/agents/define-agent.ts';
import type { RunEvent } from '../../src/core/events.ts';
import { createOrchestrator } from '../../src/create-orchestrator.ts';
import { MemoryRunStore } from '../../src/store/index.ts';

class CountingStore extends MemoryRunStore {
  batches: RunEvent[][] = [];
  override async append(runId: string, events: RunEvent[], options?: Parameters<MemoryRunStore['append']>[2]): Promise<void> {
    this.batches.push(events);
    return super.append(runId, events, options);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'baton-batches-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const workers = Array.from({ length: 8 }, (_, i) => defineAgent({ name: `w${i}`, description: `makes a${i}`, produces: [`a${i}`], run: async () => ({ [`a${i}`]: i }) }));
const join8 = defineAgent({ name: 'join', description: 'adds them up', consumes: workers.map((_, i) => `a${i}`), produces: ['sum'], run: async () => ({ sum: 28 }) });
const plan = { tasks: [...workers.map((_, i) => ({ id: `t${i}`, agent: `w${i}` })), { id: 'j', agent: 'join' }] };

describe('the batches a run writes', () => {
  it('writes everything after the start of a fan-out of 8 and its join in one batch', async () => {
    const store = new CountingStore();
    const orchestrator = createOrchestrator({ name: 'o', agents: [...workers, join8], store });
    try {
      expect((await orchestrator.run('add up', { plan })).status).toBe('succeeded');
      expect(store.batches).toHaveLength(1);
      expect(store.batches[0]!.at(-1)?.type).toBe('run.ended');
    } finally {
      await orchestrator.close();
    }
  });

  it('writes run.json before the batch of the end, which holds the events of its writing', async () => {
    const store = new CountingStore();
    const orchestrator = createOrchestrator({ name: 'o', agents: [...workers, join8], store });
    try {
      const outDir = join(dir, 'out');
      const result = await orchestrator.run('add up', { plan, outDir });
      const last = store.batches.at(-1)!;
      expect(last.map((e) => e.type)).toEqual(['integration.ended', 'run.ended']);
      expect(JSON.parse(readFileSync(join(outDir, 'run.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(result)));
    } finally {
      await orchestrator.close();
    }
  });
});
