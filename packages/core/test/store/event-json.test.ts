import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/core/events.ts';
import { loadManifest } from '../../src/manifest/load.ts';
import { snapshotOf } from '../../src/manifest/snapshot.ts';
import { eventJson } from '../../src/store/event-json.ts';
import { SALES_REPORT } from '../support/paths.ts';
import { awkwardValues, sampleJournal } from './sample-journal.ts';

const manifest = await loadManifest(path.join(SALES_REPORT, 'baton.yaml'));

function started(runId: string, goal: string): RunEvent {
  return { type: 'run.started', goal, orchestrator: 'reports', options: { pid: 1, host: 'h' }, manifest: snapshotOf(manifest), params: { awkwardValues }, runId, seq: 1, at: '2024-06-30T09:00:01.000Z', v: 1 } as RunEvent;
}

describe('eventJson', () => {
  it('gives JSON that parses back to the event, for every event type', () => {
    for (const event of [...sampleJournal('r_1'), started('r_1', 'Build the Q2 report')]) expect(JSON.parse(eventJson(event))).toStrictEqual(event);
  });

  it('serialises a shared manifest snapshot once, and each run.started around it whole', () => {
    const a = started('r_a', 'goal with "manifest": {} inside');
    const b = started('r_b', 'another goal');
    expect(a.type === 'run.started' && b.type === 'run.started' && a.manifest === b.manifest).toBe(true);
    expect(eventJson(a)).toContain(JSON.stringify(manifest.orchestrator.description));
    expect(JSON.parse(eventJson(a))).toStrictEqual(a);
    expect(JSON.parse(eventJson(b))).toStrictEqual(b);
    const other = { ...started('r_c', 'g'), manifest: { digest: 'other', manifest: { ...snapshotOf(manifest).manifest, version: 1 } } } as RunEvent;
    expect(JSON.parse(eventJson(other))).toStrictEqual(other);
  });
});
