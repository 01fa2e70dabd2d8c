/**
 * The types of the client's transmission session (transmission.ts): its host (where bytes go,
 * where requests complete), its options, and the per-tag reassembly slot.
 */
import { ChunkCover } from './chunk-cover.ts';
import type { ProtocolError } from './errors.ts';
import type { FrameCpu } from './frame-cost.ts';
import type { NbdRequest } from './request-check.ts';

export type SessionState = 'open' | 'draining' | 'disconnected' | 'dead';

export interface TransmissionHost {
  /**
   * Write bytes to the server in order. Header views stay untouched until their reply arrives.
   * `more`: the request's payload follows at once (MSG_MORE), so both may leave in one segment.
   */
  send(bytes: Uint8Array, more?: boolean): void;
  /** A request finished: req.error is 0 or an NBD error value. */
  complete(req: NbdRequest): void;
  /** The session left 'open': server shutdown (soft disconnect) or a protocol violation. */
  stateChanged?(state: SessionState, why: ProtocolError | null): void;
}

export interface TransmissionOptions {
  /** Connection generation: the high half of every cookie (u32). */
  generation: number;
  /** Tags available, i.e. most requests in flight (default 128). */
  maxInFlight?: number;
  /** Bytes received after the handshake (NbdHandshake.takeLeftover()). */
  leftover?: readonly Uint8Array[];
  /** Payload frames: count into this record (shared by a device's sessions) instead of a fresh one. */
  frameCounters?: FrameCounters;
  /** Injected bug checksum-verify-skipped: read data is taken without checking its checksum. */
  skipChecksumVerify?: boolean;
  /** Injected bug header-checksum-skipped: reply header checksums are stepped over, not checked. */
  skipHeaderCheck?: boolean;
  /** Charge compression and checksum work to this CPU (the reply's unframing: see PayloadFraming.takeRxCpu). */
  frameCpu?: FrameCpu;
  /** Injected bug chunk-offset-ignored: each OFFSET_DATA chunk lands after the previous one, not at its offset. */
  ignoreChunkOffset?: boolean;
  /** Injected bug stale-generation-accepted: a reply is matched by its tag alone. */
  acceptStaleGeneration?: boolean;
}

/** Per-tag reassembly state, kept beside the request so NbdRequest stays plain data. */
export interface Slot {
  req: NbdRequest | null;
  /** Bytes of data/hole accounted for (structured reads). */
  covered: number;
  /** Ranges those chunks covered (an overlap is a violation even when the byte count adds up). */
  readonly cover: ChunkCover;
  contentChunks: number;
  errored: boolean;
  /** Payload frames: read data failed its checksum / the server rejected the write's; attempts so far. */
  corrupt: boolean;
  rejected: boolean;
  retries: number;
}

export function newSlot(): Slot {
  return { req: null, covered: 0, cover: new ChunkCover(), contentChunks: 0, errored: false, corrupt: false, rejected: false, retries: 0 };
}

/** Forgets the reassembly of the previous attempt (a new request, or a checksum retry). */
export function resetSlot(s: Slot): void {
  s.covered = 0;
  s.cover.reset();
  s.contentChunks = 0;
  s.errored = false;
  s.corrupt = false;
  s.rejected = false;
}

/** What the extension did on one connection (bytes are payload bytes, frame headers included in wire). */
export interface FrameCounters {
  /** WRITE payload bytes before and after framing (what the caller gave, what crossed the wire). */
  txRawBytes: number;
  txWireBytes: number;
  /** READ payload bytes after and before unframing. */
  rxRawBytes: number;
  rxWireBytes: number;
  /** Read data whose checksum did not match, and writes the server rejected (NBD_ORION_EBADMSG). */
  checksumFailures: number;
  /** Requests sent again after a checksum failure. */
  checksumRetries: number;
  /** Reply headers (or buffered chunk payloads) whose CRC-32C did not match: each dropped its connection. */
  headerChecksumFailures: number;
  /** CPU time charged for compressing, decompressing and checksumming (ns; 0 without a CPU model). */
  cpuNs: number;
}
