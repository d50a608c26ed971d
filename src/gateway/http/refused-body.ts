import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** How much of a refused body is read and thrown away, at most, before the connection is cut. */
export const LINGER_MAX_BYTES = 8 * 1024 * 1024;
/** How long, at most, a refused body is drained before the connection is cut. */
export const LINGER_MAX_MS = 5000;

/**
 * Call before answering a request whose body is refused unread (too large, wrong type, no
 * credentials). The answer says `Connection: close`; once it is sent the server half-closes
 * (FIN) and goes on reading and discarding what the caller still sends — a lingering close, so
 * the caller reads the answer instead of a connection reset (a socket closed with unread data
 * resets, and the reset can destroy the answer on its way). Bounded in bytes and time; past
 * either the connection is cut. Memory stays flat: nothing is kept.
 */
export function drainRefusedBody(req: IncomingMessage, res: ServerResponse, maxBytes = LINGER_MAX_BYTES, maxMs = LINGER_MAX_MS): void {
  if (req.complete || req.destroyed) return;
  if (!res.headersSent) res.setHeader('Connection', 'close');
  const socket = req.socket as Socket & { destroySoon?: () => void };
  let discarded = 0;
  let closing = false;
  const cut = (): void => { socket.destroy(); };
  const timer = setTimeout(cut, maxMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  req.once('end', () => {
    clearTimeout(timer);
    if (closing) cut();
  });
  // Node would close at once after the answer, unread data and all (a reset). Lingering close
  // instead: send FIN, keep reading and discarding, close when the caller is done or the bounds are reached.
  socket.destroySoon = () => {
    closing = true;
    socket.end();
  };
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > maxBytes) cut();
  });
  req.resume();
}
