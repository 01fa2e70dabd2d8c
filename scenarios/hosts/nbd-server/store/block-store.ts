import type { DoneCallback, RangeReadCallback, ReadCallback, StatusCallback } from '../../../../hw-sim/disk/disk-io.ts';

export type { BlockError, DoneCallback, Extent, RangeReadCallback, ReadCallback, StatusCallback } from '../../../../hw-sim/disk/disk-io.ts';
export { checkRange } from '../../../../hw-sim/disk/disk-io.ts';

/**
 * The storage interface an NBD server serves from. The virtual disk (simulated time) and the
 * in-memory store of the real-TCP bridge both fit it, so the server session has one shape in
 * the simulator and on node:net. A store may call back synchronously (the memory store does) or
 * from a later engine event (the virtual disk). It lives with the server, not in hw-sim: it is
 * the server's view of storage, not a device.
 */
export interface BlockStore {
  /** Size in bytes. */
  readonly size: number;
  // `rid` (each operation): trace context, the client's block request served; -1 or absent: none.
  read(offset: number, length: number, cb: ReadCallback, rid?: number): void;
  /** Optional: read() with the data as a range of a larger buffer (the virtual disk's pages, no view made per read). */
  readRange?(offset: number, length: number, cb: RangeReadCallback, rid?: number): void;
  /** `data` must stay unchanged until `cb` runs. `fua`: durable before completion. */
  write(offset: number, data: Uint8Array, fua: boolean, cb: DoneCallback, rid?: number): void;
  /** Makes every completed write durable. */
  flush(cb: DoneCallback, rid?: number): void;
  /** Deallocates whole pages in the range; partial pages read as zeroes afterwards. */
  trim(offset: number, length: number, fua: boolean, cb: DoneCallback, rid?: number): void;
  /** Range reads as zeroes afterwards; `mayTrim` lets the store deallocate (NBD: no NO_HOLE). */
  zero(offset: number, length: number, mayTrim: boolean, fua: boolean, cb: DoneCallback, rid?: number): void;
  blockStatus(offset: number, length: number, cb: StatusCallback, rid?: number): void;
  /**
   * Optional, for stores that complete writes at once and have no volatile cache (the memory
   * store): copies one piece of a WRITE payload into place now. A server streams a payload through
   * it as the pieces arrive, with no buffer per request, and answers after the last one. The
   * caller checked the whole range with checkRange first.
   */
  writePiece?(offset: number, piece: Uint8Array): void;
}

