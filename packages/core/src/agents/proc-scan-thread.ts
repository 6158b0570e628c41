/**
 * The thread that scans /proc for agent tokens (see `proc-scan.ts`), started by `proc-scanner.ts`.
 * Each message asks for one scan; the answer carries its id and what the scan found.
 */
import { parentPort } from 'node:worker_threads';
import { scanForTokens } from './proc-scan.ts';
import type { ScanReply, ScanRequest } from './proc-scanner.ts';

parentPort?.on('message', ({ id, exceptPid }: ScanRequest) => {
  let reply: ScanReply;
  try {
    reply = { id, found: scanForTokens(exceptPid) };
  } catch (e) {
    reply = { id, error: e instanceof Error ? e.message : String(e) };
  }
  parentPort?.postMessage(reply);
});
