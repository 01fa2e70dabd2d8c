/**
 * The virtual disk's request interface: its error codes, extents and completion callbacks.
 * Completions are callbacks, never Promises. The NBD server's store interface (BlockStore, in
 * scenarios/hosts/nbd-server/store) is built from these, so a disk is a store as it stands.
 */

/** Errors a disk (or any store) reports; the server maps them to NBD error codes. */
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
/**
 * A read's data as `length` bytes at `at` in `data` (the store's page memory or pooled buffer, so
 * no view is made per read); otherwise as ReadCallback.
 */
export type RangeReadCallback = (err: BlockError | null, data: Uint8Array | null, at: number, extents: readonly Extent[] | null) => void;
export type StatusCallback = (err: BlockError | null, extents: readonly Extent[] | null) => void;

/** Checks a request range against the store size; returns an error or null. */
export function checkRange(size: number, offset: number, length: number): BlockError | null {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) return 'EINVAL';
  if (offset + length > size) return 'ENOSPC';
  return null;
}
