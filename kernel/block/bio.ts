/**
 * A bio: one I/O as its submitter sees it. Submitters may keep and reuse their bios (a pool per
 * job slot): the block layer only holds a bio between submitBio and its endIo.
 */
import { REQ_OP, SECTOR_SHIFT, type ReqOp } from './types.ts';

export type BioEndIo = (bio: Bio) => void;

export class Bio {
  op: ReqOp = REQ_OP.READ;
  flags = 0;
  /** Start, in 512-byte sectors. */
  sector = 0;
  /** Length in bytes (0 for a flush). */
  bytes = 0;
  /** Source for writes, destination for reads (at least `bytes` long). */
  data: Uint8Array | null = null;
  /** 0 on success, else an errno; valid in endIo. */
  status = 0;
  endIo: BioEndIo | null = null;
  /** Submitter's own reference (bi_private). */
  owner: unknown = null;
  submitNs = 0;
  doneNs = 0;
  /** Submitting core (block-layer private). */
  cpu = 0;
  /** Steps of a flush sequence still to run (block-layer private). */
  seqSteps = 0;

  /** Fills the bio for reuse; returns it. */
  set(op: ReqOp, sector: number, bytes: number, data: Uint8Array | null, flags = 0): this {
    this.op = op;
    this.sector = sector;
    this.bytes = bytes;
    this.data = data;
    this.flags = flags;
    this.status = 0;
    this.seqSteps = 0;
    return this;
  }

  get sectors(): number {
    return this.bytes >>> SECTOR_SHIFT;
  }

  get endSector(): number {
    return this.sector + (this.bytes >>> SECTOR_SHIFT);
  }
}
