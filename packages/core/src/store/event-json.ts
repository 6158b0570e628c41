import type { RunEvent } from '../core/events.ts';

const manifestJson = new WeakMap<object, string>();

/**
 * An event as the SQL journals store it: its JSON. A `run.started` holds the manifest snapshot,
 * one object shared by every run of an orchestrator (`snapshotOf`) and ~90% of the event's JSON:
 * that is serialised once per snapshot and joined to the rest of the event (its key last).
 */
export function eventJson(event: RunEvent): string {
  if (event.type !== 'run.started' || event.manifest === undefined) return JSON.stringify(event);
  const { manifest, ...rest } = event;
  let json = manifestJson.get(manifest);
  if (json === undefined) {
    json = JSON.stringify(manifest);
    manifestJson.set(manifest, json);
  }
  return `${JSON.stringify(rest).slice(0, -1)},"manifest":${json}}`;
}
