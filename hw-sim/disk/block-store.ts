/**
 * The storage interface an NBD server serves from. The virtual disk (simulated time) and the
 * in-memory store of the real-TCP bridge both implement it, so the server session has one shape
 * in the simulator and on node:net. Completions are callbacks, never Promises; a store may call
 * back synchronously (the memory store does) or from a later engine event (the virtual disk).
 */

/** Errors a store reports; the server maps them to NBD error codes. */
export type BlockError = 'EIO' | 'ENOSPC' | 'EINVAL' | 'EPERM' | 'EOVERFLOW';

/** One run of a range's allocation, in order from the queried offset. */
export interface Extent {
  length: number;
  /** Not allocated (reads as zeroes, may be served as a hole). */
  hole: boolean;
  /** Known to read as zeroes. */
  zero: boolean;
}

export type DoneCallback = (err: BlockError | null) => void;
/**
 * `extents` (when the store knows its allocation) tell which parts of `data` are holes. Both may
 * be the store's reused buffers: they are valid during the callback only (copy what you keep).
 */
export type ReadCallback = (err: BlockError | null, data: Uint8Array | null, extents: readonly Extent[] | null) => void;
export type StatusCallback = (err: BlockError | null, extents: readonly Extent[] | null) => void;

export interface BlockStore {
  /** Size in bytes. */
  readonly size: number;
  read(offset: number, length: number, cb: ReadCallback): void;
  /** `data` must stay unchanged until `cb` runs. `fua`: durable before completion. */
  write(offset: number, data: Uint8Array, fua: boolean, cb: DoneCallback): void;
  /** Makes every completed write durable. */
  flush(cb: DoneCallback): void;
  /** Deallocates whole pages in the range; partial pages read as zeroes afterwards. */
  trim(offset: number, length: number, fua: boolean, cb: DoneCallback): void;
  /** Range reads as zeroes afterwards; `mayTrim` lets the store deallocate (NBD: no NO_HOLE). */
  zero(offset: number, length: number, mayTrim: boolean, fua: boolean, cb: DoneCallback): void;
  blockStatus(offset: number, length: number, cb: StatusCallback): void;
  /**
   * Optional, for stores that complete writes at once and have no volatile cache (the memory
   * store): copies one piece of a WRITE payload into place now. A server streams a payload through
   * it as the pieces arrive, with no buffer per request, and answers after the last one. The
   * caller checked the whole range with checkRange first.
   */
  writePiece?(offset: number, piece: Uint8Array): void;
}

/** Checks a request range against the store size; returns an error or null. */
export function checkRange(size: number, offset: number, length: number): BlockError | null {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) return 'EINVAL';
  if (offset + length > size) return 'ENOSPC';
  return null;
}
