import { sendAck } from './output.ts';
import type { Tcb } from './tcb.ts';

/**
 * Hands in-order bytes to the owner: onData gets views of the ring (consumed as delivered);
 * without onData, onReadable tells the owner to read(). Guarded against re-entry from callbacks.
 */
export function deliver(s: Tcb): void {
  if (s.delivering) return;
  s.delivering = true;
  try {
    const q = s.rcvq;
    if (s.onData !== null) {
      for (;;) {
        const cb = s.onData;
        if (cb === null || s.paused || q.readable === 0) break;
        const chunk = q.peek();
        q.consume(chunk.length);
        cb(chunk);
      }
    } else if (s.onReadable !== null && q.readable > 0) {
      s.onReadable();
    }
  } finally {
    s.delivering = false;
  }
  maybeWindowUpdate(s);
}

/**
 * The receive fast path: an in-order segment for an owner that reads through onData while
 * nothing is buffered goes to onData as the segment's own view, with no copy through the ring
 * (as a reader waiting in recvmsg gets skb → user). Returns false when the segment must be
 * stored instead. The view is valid only during the call, as every onData view.
 */
export function deliverDirect(s: Tcb, payload: Uint8Array, off: number): boolean {
  const q = s.rcvq;
  const cb = s.onData;
  if (cb === null || s.paused || s.delivering || off !== q.rcvNxt || q.readable > 0 || q.hasOutOfOrder || payload.length > q.window) return false;
  q.skip(payload.length);
  s.delivering = true;
  try {
    cb(payload);
  } finally {
    s.delivering = false;
  }
  return true;
}

/**
 * After the reader freed space: advertise it once the window grew by enough to matter (two
 * segments or half the buffer), so a stalled sender resumes without silly small windows.
 */
export function maybeWindowUpdate(s: Tcb): void {
  if (s.state === 'CLOSED' || s.state === 'SYN_SENT' || s.finReceived) return;
  const right = s.rcvq.readOff + s.rcvq.capacity;
  const grown = right - s.rcvAdvRight;
  if (grown <= 0) return;
  if (grown >= Math.min(s.rcvq.capacity >>> 1, 2 * s.rcvMss)) sendAck(s);
}
