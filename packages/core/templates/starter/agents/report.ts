// A module agent imports what it needs of Baton from 'batonjs/agent' (6 modules, where 'batonjs' is
// 114, all loaded by the agent's thread before a run's first task). A type import loads nothing.
import type { AgentInput } from 'batonjs/agent';

/** The facts the `facts` agent gathers (schemas/machine-facts.json). */
interface MachineFacts {
  system: string;
  release: string;
  architecture: string;
  processors: number;
  diskTotalMB: number;
  diskFreeMB: number;
  checkedAt: string;
}

/**
 * A module agent: Baton calls the default export with the task's input (the artifacts it
 * consumes are in `input.inputs`) and validates what it returns against schemas/machine-report.json.
 */
export default function report(input: AgentInput) {
  const facts = input.inputs['machine-facts'] as MachineFacts;
  const freeShare = facts.diskTotalMB > 0 ? facts.diskFreeMB / facts.diskTotalMB : 0;
  const notes: string[] = [];
  if (freeShare < 0.1) notes.push(`Less than 10% of the disk is free (${facts.diskFreeMB} MB).`);
  if (facts.processors < 2) notes.push('One processor: tasks will not run in parallel much.');
  if (notes.length === 0) notes.push('Nothing to worry about.');
  return {
    'machine-report': {
      headline: `${facts.system} ${facts.architecture} with ${facts.processors} processor(s) and ${(facts.diskFreeMB / 1024).toFixed(1)} GB free`,
      facts: [
        { fact: 'System', value: `${facts.system} ${facts.release}` },
        { fact: 'Architecture', value: facts.architecture },
        { fact: 'Processors', value: String(facts.processors) },
        { fact: 'Free disk space', value: `${facts.diskFreeMB} MB of ${facts.diskTotalMB} MB (${Math.round(freeShare * 100)}%)` },
        { fact: 'Checked at', value: facts.checkedAt },
      ],
      notes,
    },
  };
}
