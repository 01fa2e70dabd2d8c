import type { Ns } from '../../hw-sim/engine/time.ts';

/** One completed operation, for the safety checker and for replay tools. */
export interface OpRecord {
  /** Job group name and instance (0..numjobs-1). */
  job: string;
  instance: number;
  kind: 'read' | 'write' | 'flush' | 'trim';
  /** Bytes on the device (0 for flush). */
  offset: number;
  length: number;
  issueNs: Ns;
  completeNs: Ns;
  /** 0 or the errno the block layer returned. */
  errno: number;
  /** Writes: the content id written (unique per run). Reads and flushes: -1. */
  contentId: number;
  /** Reads in verify mode: the content id seen in each 512-byte chunk (-1 zeros, -2 garbage). */
  observed: number[] | null;
}

export type OpHook = (op: OpRecord) => void;
