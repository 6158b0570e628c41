import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RUN_EVENT_TYPES } from '../../core/src/core/events.ts';

describe('the dashboard speaks the whole event vocabulary', () => {
  it('has a case for every run event type and none for a type that does not exist', () => {
    const source = readFileSync(path.join(import.meta.dirname, '../src/dashboard/event-summary.js'), 'utf8');
    const cases = [...source.matchAll(/case '([a-z.]+)':/g)].map((m) => m[1]);
    expect([...cases].sort()).toEqual([...RUN_EVENT_TYPES].sort());
  });
});
