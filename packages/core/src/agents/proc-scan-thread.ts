/**
 * The thread that scans /proc for agent tokens (see `proc-scan.ts`), started by `proc-scanner.ts`.
 * Each message asks for one scan; the answer carries its id and what the scan found. Where the
 * scan is shows in the shared `progress` array, for the watchdog in the thread that started it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { scanForTokens, scanNow } from './proc-scan.ts';
import type { ScanReply, ScanRequest } from './proc-scanner.ts';

const progress = new Int32Array((workerData as { progress: SharedArrayBuffer }).progress);

parentPort?.on('message', ({ id, exceptPid, skip }: ScanRequest) => {
  parentPort?.postMessage({ id, found: scanNow(scanForTokens(exceptPid, new Set(skip), progress)) } satisfies ScanReply);
});
