const useColor = Boolean(process.stderr.isTTY) && !process.env.NO_COLOR;

const wrap = (code: number) => (s: string): string => (useColor ? `\x1b[${code}m${s}\x1b[0m` : s);

/** ANSI colours for stderr, off when stderr is not a terminal or NO_COLOR is set. */
export const color = {
  dim: wrap(2),
  bold: wrap(1),
  red: wrap(31),
  green: wrap(32),
  yellow: wrap(33),
  cyan: wrap(36),
};

/** `850ms`, `1.2s`, `3m04s`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${m}m${String(s).padStart(2, '0')}s`;
}
