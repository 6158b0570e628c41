import { examplesSuite, formatReport, runLoadedSuite } from '../../eval/index.ts';
import type { CommonOptions } from '../context.ts';
import { readManifest } from '../context.ts';
import { EvalProgressView } from '../eval-progress.ts';
import { EXIT } from '../exit-codes.ts';
import { color } from '../format.ts';
import { printReport, trapInterrupt } from './eval.ts';

/**
 * `baton agents test [NAME...]`: runs the `examples:` of the named agents (default: all), each as
 * one attempt through the output validation a run uses. Exit 0 all passed, 1 any failed, 64 for an
 * unknown agent name or a named agent without examples.
 */
export async function agentsTestCommand(names: string[], opts: CommonOptions & { json?: boolean }): Promise<number> {
  const manifest = await readManifest(opts);
  const suite = examplesSuite(manifest, names);
  if (suite.cases.length === 0) {
    process.stderr.write(`no agent of ${manifest.file ?? 'the manifest'} has examples: add examples: under an agent (see docs/evals.md)\n`);
    return EXIT.succeeded;
  }
  const progress = new EvalProgressView(process.stderr, 'agents test');
  const interrupt = trapInterrupt();
  let report;
  try {
    report = await runLoadedSuite(suite, manifest, { signal: interrupt.signal, onProgress: progress.onProgress });
  } finally {
    progress.finish();
    interrupt.release();
  }
  return printReport(report, formatReport(report, { paint: color, all: true, label: 'examples' }), opts.json === true, interrupt.signal.aborted);
}
