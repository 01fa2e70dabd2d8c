import type { BlockError, DoneCallback, Extent, RangeReadCallback, ReadCallback, StatusCallback } from '../../../../hw-sim/disk/disk-io.ts';

/**
 * What a request's store completion leads to; commands.ts provides it (no import cycle). `S` is
 * the session the records belong to (types.ts Session), a parameter so this file imports none.
 */
export interface RequestCompletions<S> {
  read(r: ServerRequest<S>, err: BlockError | null, data: Uint8Array | null, extents: readonly Extent[] | null): void;
  /** A READ's data as r.length bytes at `at` in `data`. */
  readRange(r: ServerRequest<S>, err: BlockError | null, data: Uint8Array | null, at: number, extents: readonly Extent[] | null): void;
  status(r: ServerRequest<S>, err: BlockError | null, extents: readonly Extent[] | null): void;
  done(r: ServerRequest<S>, err: BlockError | null): void;
}

/**
 * One transmission request inside the server, from its header to its reply. Records are pooled
 * per session and their store callbacks are made once per record, so a request costs no
 * closure (and no tsx `__name` wrapper) on the hot path.
 */
export class ServerRequest<S> {
  type = 0;
  flags = 0;
  cookieHi = 0;
  cookieLo = 0;
  offset = 0;
  length = 0;
  /** Trace context: the client's block request id (-1: unknown). */
  rid = -1;
  /** The NBD error decided before the store (checks, injected faults), or 0. */
  error = 0;
  /** WRITE: the payload goes piece by piece into the store (BlockStore.writePiece). */
  streamed = false;
  /** WRITE payload kept for a store that applies it later (the virtual disk); else null. */
  payload: Uint8Array | null = null;
  /** The last payload, back from the store: the next WRITE of its length fills it again (every byte) instead of zeroing a fresh one. */
  spare: Uint8Array | null = null;
  /** Injected bug (server-early-ack, server-flush-early): the reply went out before the store completed. */
  earlyAcked = false;

  readonly onRead: ReadCallback;
  readonly onRange: RangeReadCallback;
  readonly onStatus: StatusCallback;
  readonly onDone: DoneCallback;

  constructor(readonly session: S, on: RequestCompletions<S>) {
    this.onRead = (err, data, extents) => on.read(this, err, data, extents);
    this.onRange = (err, data, at, extents) => on.readRange(this, err, data, at, extents);
    this.onStatus = (err, extents) => on.status(this, err, extents);
    this.onDone = (err) => on.done(this, err);
  }
}

/** Largest payload a free record keeps for reuse (a session keeps at most one per record). */
const SPARE_MAX = 1 << 20;

/** A session's free request records. */
export class RequestPool<S> {
  private readonly free: ServerRequest<S>[] = [];

  constructor(private readonly session: S, private readonly on: RequestCompletions<S>) {}

  take(): ServerRequest<S> {
    return this.free.pop() ?? new ServerRequest(this.session, this.on);
  }

  give(r: ServerRequest<S>): void {
    if (r.payload !== null && r.payload.length <= SPARE_MAX) r.spare = r.payload;
    r.payload = null;
    r.earlyAcked = false;
    this.free.push(r);
  }
}
