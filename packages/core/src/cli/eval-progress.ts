import { visibleText as visible } from '../core/visible-text.ts';
import type { EvalProgress, EvalStart } from '../eval/run-suite.ts';
import { color, formatMs } from './format.ts';

/**
 * The progress of `baton eval` on stderr. In a terminal: one line, rewritten as cases start and end,
 * with failures printed above it as they happen. Otherwise (CI logs): one line per finished case.
 */
export class EvalProgressView {
  private readonly tty: boolean;
  private shown = false;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly label = 'eval',
  ) {
    this.tty = Boolean(out.isTTY);
  }

  readonly onStart = (start: EvalStart): void => {
    const on = start.manifest ? ` on ${start.manifest}` : '';
    // Suite and case names come from the suite file: their control characters are shown, not acted on.
    this.out.write(color.dim(`${this.label} ${visible(start.suite)}: ${start.cases} case${start.cases === 1 ? '' : 's'}${visible(on)}, ${start.planner} planner\n`));
  };

  readonly onProgress = (p: EvalProgress): void => {
    const f = p.finished;
    if (!this.tty) {
      if (f) this.out.write(`${mark(f.outcome)} ${visible(f.name)} ${color.dim(`(${formatMs(f.durationMs)})`)}${f.outcome === 'skipped' && f.skipped ? color.dim(`: ${visible(f.skipped)}`) : ''}\n`);
      return;
    }
    if (f?.outcome === 'failed') {
      this.clear();
      this.out.write(`${mark('failed')} ${visible(f.name)}: ${visible(f.differences[0]?.message ?? '')}\n`);
    }
    this.clear();
    // Plain text, so cutting it to the terminal's width cannot cut a colour code in half.
    const counts = [`${p.done}/${p.total}`, p.failed > 0 ? `${p.failed} failed` : '', p.skipped > 0 ? `${p.skipped} skipped` : ''].filter(Boolean).join(' · ');
    const running = p.running.length > 0 ? ` · running: ${visible(p.running.join(', '))}` : '';
    const line = `${this.label}: ${counts}${running}`;
    const width = this.out.columns || 100;
    this.out.write(line.length > width - 1 ? `${line.slice(0, width - 2)}…` : line);
    this.shown = true;
  };

  /** Removes the progress line (before the report is printed). */
  finish(): void {
    this.clear();
  }

  private clear(): void {
    if (!this.shown) return;
    this.out.write('\r\x1b[2K');
    this.shown = false;
  }
}

function mark(outcome: 'passed' | 'failed' | 'skipped'): string {
  return outcome === 'passed' ? color.green('✔') : outcome === 'failed' ? color.red('✖') : color.yellow('○');
}
