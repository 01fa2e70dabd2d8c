/**
 * The small interfaces the driver needs from the layers below it and from the protocol engine.
 * The driver core is written against these; adapters (drivers/nbd/adapters/) bind them to
 * kernel/block, kernel/net and drivers/nbd/protocol, and tests bind them to in-test fakes.
 */

/** Block-layer operation of a request, as the driver sees it. */
export const BlkOp = {
  READ: 0,
  WRITE: 1,
  FLUSH: 2,
  DISCARD: 3,
  WRITE_ZEROES: 4,
  /** Read-ahead hint: bring data near the server's cache, no data returned. */
  READAHEAD: 5,
} as const;
export type BlkOp = (typeof BlkOp)[keyof typeof BlkOp];

/** Request flags from the block layer (REQ_FUA, REQ_PREFLUSH). */
export const BlkFlag = { FUA: 1, PREFLUSH: 2 } as const;

/** Linux errno values the driver completes requests with. */
export const Errno = {
  OK: 0,
  EPERM: 1,
  EIO: 5,
  ENOMEM: 12,
  EINVAL: 22,
  ENOSPC: 28,
  EOVERFLOW: 75,
  ENOTSUP: 95,
  ECONNRESET: 104,
  ESHUTDOWN: 108,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EACCES: 13,
} as const;

/** One block-layer request handed to `queueRq`; the block layer owns it. */
export interface BlkRequest {
  /** Tag in the tag set: unique among in-flight requests of one device. */
  readonly tag: number;
  readonly op: BlkOp;
  /** Byte offset on the device. */
  readonly offset: number;
  /** Length in bytes (0 for FLUSH). */
  readonly length: number;
  /** BlkFlag bits. */
  readonly flags: number;
  /**
   * Data of the request: source of a WRITE, destination of a READ. The driver copies into and
   * out of it; it never keeps a reference after completion.
   */
  readonly data: Uint8Array | null;
}

export const QueueRqResult = { OK: 0, BUSY: 1, ERROR: 2 } as const;
export type QueueRqResult = (typeof QueueRqResult)[keyof typeof QueueRqResult];

/** What the driver's timeout callback answers (blk_mq_ops.timeout). */
export const TimeoutVerdict = { RESET_TIMER: 0, DONE: 1 } as const;
export type TimeoutVerdict = (typeof TimeoutVerdict)[keyof typeof TimeoutVerdict];

/** The block layer's side toward one registered disk. */
export interface BlockDisk {
  /** Completes a request with an errno (0 = success). */
  complete(rq: BlkRequest, error: number): void;
  /** Puts a request back on the dispatch list (after BUSY resources free up). */
  requeue(rq: BlkRequest): void;
  /** Resumes dispatch after a BUSY answer. */
  kick(): void;
  setCapacity(bytes: number): void;
}

/** A kernel socket as the driver uses it: callbacks, never Promises. */
export interface NbdSocket {
  /**
   * Queues bytes; answers the number of bytes accepted (less than asked: the send buffer is
   * full, wait for onWritable). The caller may reuse `bytes` after the call returns.
   */
  send(bytes: Uint8Array): number;
  /** Holds small sends back until uncork (TCP_CORK). */
  cork(): void;
  uncork(): void;
  close(): void;
  /** Aborts with RST. */
  reset(): void;
}

export interface SocketEvents {
  onConnect(): void;
  /** Received bytes: a view valid only during the call (a receive buffer the socket reuses). */
  onData(bytes: Uint8Array): void;
  /** Room in the send buffer again after a short send. */
  onWritable(): void;
  /** Closed; `errno` 0 for an orderly close. */
  onClose(errno: number): void;
}

/** Opens kernel sockets from the client host. */
export interface SocketFactory {
  connect(host: string, port: number, events: SocketEvents): NbdSocket;
}

/** A value in the stats tree: read when someone looks, so the request path only bumps counters. */
export type StatValue = number | string | boolean;

/** The kernel stats tree (sysfs-like), as the driver publishes into it. */
export interface StatsPublisher {
  /** Publishes a read-only value at `path` (e.g. `block/nbd0/conn/1/outstanding`). */
  publish(path: string, read: () => StatValue): void;
  /** Removes every path under `prefix`. */
  unpublish(prefix: string): void;
}
