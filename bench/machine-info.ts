import os from 'node:os';

/** The machine a figure was measured on, saved next to it so runs can be compared over time. */
export interface MachineInfo {
  node: string;
  platform: string;
  cpu: string;
  cores: number;
  memoryGb: number;
  /** 1, 5 and 15 minute load averages when the measurement started: a busy machine gives slower figures. */
  loadAverage: number[];
}

export function machineInfo(): MachineInfo {
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
    loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
}

/** Tracks the process's peak resident set size by sampling; `stop()` clears its timer. */
export function rssSampler(everyMs = 100): { peakMb(): number; stop(): void } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, everyMs);
  timer.unref();
  return {
    peakMb: () => Math.max(peak, process.memoryUsage().rss) / 1024 / 1024,
    stop: () => clearInterval(timer),
  };
}
