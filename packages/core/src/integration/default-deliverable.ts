import path from 'node:path';
import { errorMessage } from '../core/errors.ts';
import { writeText } from '../core/write-text.ts';
import type { Deliverable, Provenance, RunStatus } from '../core/types.ts';
import { valueToMarkdown } from './markdown.ts';

/** The file names of the default deliverable, in a run's out folder. */
export const DELIVERABLE_MD = 'deliverable.md';
export const DELIVERABLE_JSON = 'deliverable.json';

/** What the deliverable's header says about its run. */
export interface DeliverableRun {
  runId: string;
  goal: string;
  status: RunStatus;
  reason?: string;
  /** When the run ended (default: now). */
  endedAt?: string;
}

function when(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** `task t3-combine · agent shortlister@0.3.0 · attempt 1 · 2026-06-30 08:00:00 UTC` */
export function provenanceLine(p: Provenance): string {
  return `task ${p.task} · agent ${p.agent}@${p.agentVersion} · attempt ${p.attempt} · ${when(p.at)}`;
}

/** The deliverable as Markdown: each artifact rendered readably, under a line saying who made it. */
export function renderDeliverable(run: DeliverableRun, deliverable: Deliverable): string {
  const parts = [`# ${run.goal.trim() || 'Deliverable'}`, `Run \`${run.runId}\` **${run.status}** · ${when(run.endedAt ?? new Date().toISOString())}`];
  if (run.reason) parts.push(`> ${run.reason.replace(/\n/g, '\n> ')}`);
  const types = Object.keys(deliverable.artifacts);
  if (types.length === 0) parts.push('_This run delivered no artifacts._');
  for (const type of types) {
    const p = Object.hasOwn(deliverable.provenance, type) ? deliverable.provenance[type] : undefined;
    parts.push(`## ${type}`);
    if (p) parts.push(`_${provenanceLine(p)}_`);
    parts.push(valueToMarkdown(deliverable.artifacts[type], 3));
  }
  if (deliverable.missing?.length) parts.push(`**Missing** (asked for, not made): ${deliverable.missing.join(', ')}`);
  return `${parts.join('\n\n')}\n`;
}

/**
 * The default integrator's files: `deliverable.md` (readable) and `deliverable.json` (the
 * artifacts with their provenance) in `outDir`. Returns the deliverable with both files listed.
 * A file that cannot be written is reported as a process warning; the run and its journal are
 * not affected (the artifacts stay in the RunResult).
 */
export async function writeDefaultDeliverable(outDir: string, deliverable: Deliverable, run: DeliverableRun): Promise<Deliverable> {
  const md = path.join(outDir, DELIVERABLE_MD);
  const json = path.join(outDir, DELIVERABLE_JSON);
  const data = {
    runId: run.runId,
    goal: run.goal,
    status: run.status,
    ...(run.reason === undefined ? {} : { reason: run.reason }),
    artifacts: deliverable.artifacts,
    provenance: deliverable.provenance,
    ...(deliverable.missing ? { missing: deliverable.missing } : {}),
  };
  try {
    await writeText(md, renderDeliverable(run, deliverable));
    await writeText(json, `${JSON.stringify(data, null, 2)}\n`);
  } catch (e) {
    process.emitWarning(`could not write the deliverable of run ${run.runId} to ${outDir}: ${errorMessage(e)}`, 'BatonWarning');
    return deliverable;
  }
  return { ...deliverable, files: [...deliverable.files, md, json] };
}
