import type { Ns } from '../schema/types.ts';
import { formatByteRange, formatSize } from './units.ts';

/** What a request did, as the workload engine saw it. */
export type OpKind = 'read' | 'write' | 'flush' | 'fua-write' | 'trim';

/**
 * One request in an operation history: a plain record, written by the workload engine
 * (scenarios/workload) and read by the checkers, which never look inside the system under test.
 * Content ids name what a write put in each block (unique per write and block; 0 is the
 * never-written initial content).
 */
export interface OpRecord {
  readonly id: number;
  readonly kind: OpKind;
  /** Bytes; reads, writes and trims are whole blocks of the history's blockSize. */
  readonly offset: number;
  readonly length: number;
  readonly issuedNs: Ns;
  /** Undefined: never completed (still in flight when the run ended). */
  readonly completedNs: Ns | undefined;
  readonly ok: boolean;
  /** errno name ("EIO") or number when !ok. */
  readonly errno?: string | number;
  /** write / fua-write: content id per block, length / blockSize entries. */
  readonly written?: readonly number[];
  /** read (when ok): content id seen per block. */
  readonly seen?: readonly number[];
}

/** A server crash (power loss): its disk drops writes that were not yet durable. */
export interface CrashRecord {
  readonly atNs: Ns;
  readonly server?: string;
}

export interface History {
  readonly blockSize: number;
  readonly ops: readonly OpRecord[];
  readonly crashes: readonly CrashRecord[];
}

/** The content id of a never-written block. */
export const INITIAL_CONTENT = 0;

/** Problems with the history itself (a bug in whoever recorded it), reported before checking. */
export function historyProblems(h: History): string[] {
  const out: string[] = [];
  const ids = new Set<number>();
  for (const op of h.ops) {
    if (ids.has(op.id)) out.push(`op ${op.id}: duplicate id`);
    ids.add(op.id);
    if (op.completedNs !== undefined && op.completedNs < op.issuedNs) out.push(`op ${op.id}: completes before it is issued`);
    if (op.ok && op.completedNs === undefined) out.push(`op ${op.id}: ok but never completed`);
    if (op.kind === 'flush') continue;
    if (op.offset % h.blockSize !== 0 || op.length % h.blockSize !== 0 || op.length <= 0) {
      out.push(`op ${op.id}: ${op.kind} ${formatByteRange(op.offset, op.length)} is not whole blocks of ${formatSize(h.blockSize)}`);
      continue;
    }
    const blocks = op.length / h.blockSize;
    if ((op.kind === 'write' || op.kind === 'fua-write') && op.written?.length !== blocks) {
      out.push(`op ${op.id}: ${op.kind} of ${blocks} blocks carries ${op.written?.length ?? 0} content ids`);
    }
    if (op.kind === 'read' && op.ok && op.seen !== undefined && op.seen.length !== blocks) {
      out.push(`op ${op.id}: read of ${blocks} blocks saw ${op.seen.length} content ids`);
    }
  }
  return out;
}
