import type { RunRecord } from '../core/contracts.ts';
import { parseRunStatus } from './journal-rules.ts';

/** A row of the `runs` table, as both SQL backends select it. */
export interface RunRow {
  run_id: string;
  goal: string;
  status: string;
  created_at: string;
  updated_at: string;
  manifest_file: string | null;
  event_count: number;
}

/** The column list matching RunRow. */
export const RUN_COLUMNS = 'run_id, goal, status, created_at, updated_at, manifest_file, event_count';

export function recordFromRow(row: RunRow): RunRecord {
  const record: RunRecord = {
    runId: row.run_id,
    goal: row.goal,
    status: parseRunStatus(row.status, row.run_id),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    eventCount: row.event_count,
  };
  if (row.manifest_file !== null) record.manifestFile = row.manifest_file;
  return record;
}
