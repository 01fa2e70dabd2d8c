/**
 * Block-device safety: every block a read returns holds the content of a write that could be
 * current — the latest write acknowledged before the read was issued, any write overlapping
 * the read, or (after a crash) any earlier write not overwritten by a durable one. A write W
 * is overwritten for a read R when another write W2 was issued after W was acknowledged and W2
 * was acknowledged before R was issued — and, if a server crashed after W2 was issued (after
 * its ack, for FUA) and before R completed, W2 was durable (FUA, or acknowledged before a
 * successful FLUSH was issued and that FLUSH completed) before the crash. Failed writes may or
 * may not have landed, so they are never ruled out. Trimmed blocks may read as anything until
 * the next write.
 *
 * A run checks online (OnlineSafety, fed by the history tap as the simulation runs);
 * checkSafety replays a recorded history through the same checker.
 */
import type { Ns } from '../schema/types.ts';
import { historyProblems, type History, type OpRecord } from './history.ts';
import { OnlineSafety, type ReadHandle, type WriteHandle } from './safety-online.ts';
import type { SafetyReport } from './safety-rules.ts';

export { OnlineSafety, type OnlineSafetyOptions, type ReadHandle, type WriteHandle } from './safety-online.ts';
export type { SafetyReport, SafetyViolation, SafetyViolationKind, WriteRef } from './safety-rules.ts';

/** Issue, completion and crash points of a history, in the order the online checker needs them. */
interface Point {
  readonly t: Ns;
  /** 0 crash, 1 issue, 2 completion: a point at the same instant sees those before it. */
  readonly phase: 0 | 1 | 2;
  readonly op: OpRecord | undefined;
}

export interface ReplayOptions {
  /** Prune as a live run does (content ids must then grow with issue order). Default false. */
  readonly prune?: boolean;
}

/** Checks a recorded history by replaying it through the online checker. */
export function checkSafety(h: History, o: ReplayOptions = {}): SafetyReport {
  const bad = historyProblems(h);
  if (bad.length > 0) {
    return {
      ok: false,
      readsChecked: 0,
      blocksChecked: 0,
      violations: bad.map((message) => ({
        kind: 'bad-history', block: -1, readId: undefined, readIssuedNs: undefined, readCompletedNs: undefined,
        seen: undefined, allowed: [], overwrittenBy: undefined, crashNs: undefined, message,
      })),
    };
  }
  const points: Point[] = h.crashes.map((c) => ({ t: c.atNs, phase: 0, op: undefined }));
  for (const op of h.ops) {
    points.push({ t: op.issuedNs, phase: 1, op });
    if (op.completedNs !== undefined) points.push({ t: op.completedNs, phase: 2, op });
  }
  points.sort((a, b) => a.t - b.t || a.phase - b.phase || (a.op?.id ?? 0) - (b.op?.id ?? 0));
  const c = new OnlineSafety({ blockSize: h.blockSize, prune: o.prune ?? false, crashesPossible: true });
  const writes = new Map<number, WriteHandle>();
  const reads = new Map<number, ReadHandle>();
  for (const p of points) {
    const op = p.op;
    if (op === undefined) {
      c.crash(p.t);
      continue;
    }
    if (op.kind === 'read') {
      if (p.phase === 1) reads.set(op.id, c.readIssued(op.id, op.offset, op.length, p.t));
      else c.readDone(reads.get(op.id)!, op.ok, op.seen, p.t);
    } else if (op.kind === 'flush') {
      if (p.phase === 2) c.flushDone(op.issuedNs, op.ok, p.t);
    } else if (p.phase === 1) {
      writes.set(op.id, c.writeIssued(op.id, op.kind, op.offset, op.length, op.kind === 'trim' ? undefined : op.written, p.t));
    } else c.writeDone(writes.get(op.id)!, op.ok, p.t);
  }
  return c.report();
}
