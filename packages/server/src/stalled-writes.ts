import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** Where a connection's writing stood when it was last seen behind. */
interface Backlog {
  since: number;
  /** Bytes of the writes Node has seen completed, and bytes libuv still has to hand the kernel. */
  written: number;
  queued: number;
}

/** Bytes libuv has yet to write for `socket` (its handle's write queue); 0 when it has no handle. */
function queuedBytes(socket: Socket): number {
  return (socket as Socket & { _handle?: { writeQueueSize?: number } | null })._handle?.writeQueueSize ?? 0;
}

/**
 * Closes connections whose client has stopped reading what the server writes: a socket that has
 * had more to write than it may buffer (`writableNeedDrain`) and has written none of it for
 * `limitMs`. An event stream or an A2A stream followed by a client gone to sleep, or by a hostile
 * one, otherwise holds its connection, its listener and what it buffered until the server stops.
 * A client that reads is left alone: what it takes is progress, seen as the kernel takes more
 * from the socket's queue (in steps of about a third of its send buffer), so only one slower than
 * that per `limitMs` is closed. A connection that is only quiet (an idle stream, a run waiting
 * for a decision) is left alone too: it has nothing waiting to be written. Returns the function
 * that stops watching.
 */
export function closeStalledWrites(server: Server, limitMs: number): () => void {
  if (!(limitMs > 0)) return () => undefined;
  const sockets = new Set<Socket>();
  const behind = new Map<Socket, Backlog>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      behind.delete(socket);
    });
  });
  const sweep = (): void => {
    const now = Date.now();
    for (const socket of sockets) {
      // An ended socket (a last answer, then close) never needs a drain, but may be as stuck.
      if (!socket.writableNeedDrain && !(socket.writableEnded && socket.writableLength > 0)) {
        behind.delete(socket);
        continue;
      }
      // bytesWritten counts what is buffered as well; what is left is the writes completed.
      const written = socket.bytesWritten - socket.writableLength;
      const queued = queuedBytes(socket);
      const last = behind.get(socket);
      // Progress since the last sweep: a write completed, or part of the one under way written.
      const progressed = !last || written > last.written || queued < last.queued;
      if (!progressed && now - last.since >= limitMs) socket.destroy();
      else behind.set(socket, { since: progressed ? now : last.since, written, queued });
    }
  };
  // A stall is noticed between limitMs and limitMs + one interval after it began.
  const timer = setInterval(sweep, Math.max(50, Math.min(15_000, Math.floor(limitMs / 4))));
  timer.unref();
  return () => clearInterval(timer);
}
