import { constants } from 'node:fs';
import { access, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { PlannerName } from '../../core/types.ts';
import { BatonError, errorMessage } from '../../core/errors.ts';
import { formatReport, junitXml, runEvalSuite } from '../../eval/index.ts';
import type { EvalReport } from '../../eval/index.ts';
import { EvalProgressView } from '../eval-progress.ts';
import { EXIT } from '../exit-codes.ts';
import { color } from '../format.ts';

export interface EvalCommandOptions {
  /** Replaces the suite's own `manifest:`; used when the suite names none (default ./baton.yaml). */
  manifest?: string;
  planner?: string;
  json?: boolean;
  junit?: string;
  concurrency?: string;
}

/**
 * `baton eval SUITE`: runs an evaluation suite. Prints what differed for each failing case and,
 * last, `eval: N passed, M failed[, K skipped]`. With `--json` the report goes to stdout and the
 * text to stderr. Exit 0 all passed, 1 any failed, 64 bad suite or manifest, 130 interrupted.
 */
export async function evalCommand(suiteFile: string, opts: EvalCommandOptions): Promise<number> {
  const concurrency = parseConcurrency(opts.concurrency);
  const junit = opts.junit === undefined ? undefined : await junitFile(opts.junit);
  const progress = new EvalProgressView();
  const interrupt = trapInterrupt();
  let report: EvalReport;
  try {
    report = await runEvalSuite(suiteFile, {
      ...(opts.manifest === undefined ? {} : { manifest: opts.manifest }),
      ...(opts.planner === undefined ? {} : { planner: opts.planner as PlannerName }),
      ...(concurrency === undefined ? {} : { concurrency }),
      signal: interrupt.signal,
      onStart: progress.onStart,
      onProgress: progress.onProgress,
    });
  } finally {
    progress.finish();
    interrupt.release();
  }
  const code = printReport(report, formatReport(report, { paint: color }), opts.json === true, interrupt.signal.aborted);
  if (junit === undefined) return code;
  try {
    await writeFile(junit, junitXml(report));
  } catch (e) {
    process.stderr.write(`baton: could not write the JUnit report to ${junit}: ${errorMessage(e)}\n`);
    return code === EXIT.succeeded ? EXIT.failed : code;
  }
  return code;
}

/**
 * The absolute path `--junit` names, checked before any case runs: a file (new or not) in a
 * folder that exists and can be written to, so a whole suite is not run for a report that
 * cannot be written.
 */
async function junitFile(given: string): Promise<string> {
  const file = path.resolve(given);
  const bad = (why: string): BatonError => new BatonError('BAD_REQUEST', `--junit ${given}: ${why}`, { retryable: false });
  const existing = await stat(file).catch(() => undefined);
  if (existing?.isDirectory()) throw bad(`${file} is a folder: give the path of the XML file to write, e.g. ${path.join(given, 'junit.xml')}`);
  const folder = path.dirname(file);
  const parent = await stat(folder).catch(() => undefined);
  if (!parent) throw bad(`the folder ${folder} does not exist: create it first, or write the report elsewhere`);
  if (!parent.isDirectory()) throw bad(`${folder} is not a folder: give the path of the XML file to write inside a folder`);
  await access(existing ? file : folder, constants.W_OK).catch((e: unknown) => {
    throw bad(`cannot write to ${existing ? file : folder}: ${errorMessage(e)}`);
  });
  return file;
}

/**
 * Prints an evaluation report: its text on stdout, or the JSON report there and the text on
 * stderr; returns the exit code (130 interrupted, 1 any case failed, else 0).
 */
export function printReport(report: EvalReport, text: string, json: boolean, interrupted: boolean): number {
  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    process.stderr.write(text);
  } else {
    process.stdout.write(text);
  }
  if (interrupted) return EXIT.cancelled;
  return report.failed > 0 ? EXIT.failed : EXIT.succeeded;
}

function parseConcurrency(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new BatonError('BAD_REQUEST', `--concurrency must be a whole number of cases at once (1 or more), got '${value}'`, { retryable: false });
  return n;
}

/** Ctrl-C or SIGTERM stops the suite (running cases end cancelled, the rest are skipped); twice leaves at once. */
export function trapInterrupt(): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(EXIT.cancelled);
    process.stderr.write(`\n${color.yellow(`${sig}: stopping (again to quit at once)`)}\n`);
    controller.abort(new Error(`cancelled by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    release() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
