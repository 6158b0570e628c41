import { MemoryRunStore } from '../../src/store/memory-store.ts';
import { runStoreConformance } from './run-store.conformance.ts';

runStoreConformance('memory', {
  create: async () => new MemoryRunStore(),
  destroy: (store) => store.close(),
});
