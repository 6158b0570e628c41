import { BaseSequencer } from 'vitest/node';
import type { TestSpecification } from 'vitest/node';

/**
 * Vitest's order (projects one after the other, longest or largest files first), with the
 * `services` tier first. Its files are few, long and mostly waiting (on Redis, PostgreSQL,
 * Chromium and the processes they start), so they are best begun while the many short files of
 * the `fast` tier fill the other workers; run last, as the default order has it, they left
 * workers idle at the end of a CI run (~20-40 s a suite on 2 cores, from CI's file times).
 */
export default class ServicesFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    return [...sorted.filter((f) => f.project.name === 'services'), ...sorted.filter((f) => f.project.name !== 'services')];
  }
}
