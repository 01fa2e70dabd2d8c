/**
 * Coverage marks: rare paths a sweep should reach, recognised by the trace records they leave.
 * A sweep counts each mark's hits over its seeds; `--require-mark NAME` fails the sweep when a
 * named mark was never hit (the swarm did not reach that path, so it did not test it).
 */
import type { TraceRecord } from '../../../hw-sim/engine/trace.ts';

type Data = Record<string, unknown> | undefined;

export const MARKS: Readonly<Record<string, (r: TraceRecord) => boolean>> = {
  /** A reply carrying an old connection generation's cookie was refused. */
  'stale-cookie': (r) => r.kind === 'error' && /stale-cookie|is not this connection's/.test(String((r.data as Data)?.['reason'] ?? '')),
  /** In-flight requests of a lost connection moved to another (or the reconnected) one. */
  'requeue-after-conn-loss': (r) => r.kind === 'error' && (r.data as Data)?.['action'] === 'requeue',
  /** The driver answered BLK_STS_BUSY (no connection could take the request now). */
  busy: (r) => r.kind === 'rq.busy',
  /** A FLUSH waited at the barrier for earlier writes' replies. */
  'flush-barrier-wait': (r) => r.kind === 'flush.wait',
  /** A connection waited out its reconnect backoff. */
  'reconnect-backoff': (r) => r.kind === 'state' && /\/conn\d+$/.test(r.src) && (r.data as Data)?.['value'] === 'backoff',
  /** blk-mq completed a request that was no longer in flight (a late or duplicate completion). */
  'stale-completion': (r) => r.kind === 'rq.stale',
};

export const MARK_NAMES = Object.keys(MARKS);

/** Counts marks of one run's records into `into`. */
export function countMarks(r: TraceRecord, into: Record<string, number>): void {
  for (const name of MARK_NAMES) if (MARKS[name]!(r)) into[name] = (into[name] ?? 0) + 1;
}
