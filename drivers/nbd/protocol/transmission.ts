/**
 * The client's transmission phase on one connection, sans-I/O: submit() encodes a request into a
 * per-tag slot of a header slab (no allocation per request) and hands it to `send`; feed() takes
 * the server's bytes, reassembles simple and structured replies (read data lands directly in the
 * request's buffer, holes are zero-filled there) and completes requests. Cookies are
 * generation (high u32) | tag (low u32): a reply from another generation or for a tag not in flight
 * is a protocol violation. A plain class, not an actor: a request is data.
 */
import { ChunkCover } from './chunk-cover.ts';
import { hard, ProtocolError } from './errors.ts';
import { ReplyDecoder, REPLY_EVENT } from './decode-replies.ts';
import { encodeExtendedRequest, encodeRequest } from './encode-transmission.ts';
import type { NegotiatedExport } from './handshake-types.ts';
import { CHECKSUM_RETRIES, PayloadFraming, type FrameCounters } from './transmission-frames.ts';
import type { FrameCpu } from './frame-cost.ts';
import { checkRequest, type NbdRequest, type SubmitError } from './request-check.ts';
import {
  NBD_CMD_BLOCK_STATUS, NBD_CMD_DISC, NBD_CMD_FLAG_DF, NBD_CMD_FLAG_REQ_ONE, NBD_CMD_FLUSH, NBD_CMD_READ, NBD_CMD_WRITE,
  NBD_EINVAL, NBD_EIO, NBD_ERROR_NAMES, NBD_ESHUTDOWN, NBD_REPLY_TYPE_ERROR_OFFSET,
  NBD_REQUEST_SIZE, NBD_EXTENDED_REQUEST_SIZE, NBD_CMD_FLAG_PAYLOAD_LEN, NBD_ORION_EBADMSG,
} from './uapi.ts';

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
  /** Charge compression and checksum work to this CPU (the reply's unframing: see PayloadFraming.takeRxCpu). */
  frameCpu?: FrameCpu;
  /** Injected bug chunk-offset-ignored: each OFFSET_DATA chunk lands after the previous one, not at its offset. */
  ignoreChunkOffset?: boolean;
  /** Injected bug stale-generation-accepted: a reply is matched by its tag alone. */
  acceptStaleGeneration?: boolean;
}

/** Per-tag reassembly state, kept beside the request so NbdRequest stays plain data. */
interface Slot {
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

export class TransmissionSession {
  readonly generation: number;
  /** NBD_OPT_EXTENDED_HEADERS in force: 32-byte requests, extended replies. */
  private readonly ext: boolean;
  private readonly decoder: ReplyDecoder;
  /** Payload frames (compression / checksums negotiated), else null. */
  readonly frames: PayloadFraming | null = null;
  private readonly slab: Uint8Array;
  private readonly headers: Uint8Array[] = [];
  private readonly slots: Slot[] = [];
  private inFlightCount = 0;
  private readonly sendBytes = (b: Uint8Array): void => this.host.send(b);
  private sessionState: SessionState = 'open';
  private failure: ProtocolError | null = null;
  private readonly ignoreChunkOffset: boolean;
  private readonly acceptStaleGeneration: boolean;

  constructor(private readonly x: NegotiatedExport, private readonly host: TransmissionHost, opts: TransmissionOptions) {
    this.generation = opts.generation >>> 0;
    this.ignoreChunkOffset = opts.ignoreChunkOffset ?? false;
    this.acceptStaleGeneration = opts.acceptStaleGeneration ?? false;
    const n = opts.maxInFlight ?? 128;
    this.ext = x.extendedHeaders;
    const hs = this.ext ? NBD_EXTENDED_REQUEST_SIZE : NBD_REQUEST_SIZE;
    this.slab = new Uint8Array((n + 1) * hs);
    for (let t = 0; t <= n; t++) this.headers.push(this.slab.subarray(t * hs, (t + 1) * hs));
    for (let t = 0; t < n; t++) this.slots.push({ req: null, covered: 0, cover: new ChunkCover(), contentChunks: 0, errored: false, corrupt: false, rejected: false, retries: 0 });
    this.decoder = new ReplyDecoder(x.structuredReplies, this.ext);
    if (x.compression !== 0 || x.checksum !== 0) {
      this.frames = new PayloadFraming(x, n, opts.frameCounters, opts.skipChecksumVerify ?? false);
      this.frames.cpu = opts.frameCpu ?? null;
      this.decoder.framed = true;
      this.decoder.frameMaxWire = PayloadFraming.maxWire(x);
    }
    for (const b of opts.leftover ?? []) this.decoder.feed(b);
  }

  get state(): SessionState {
    return this.sessionState;
  }

  get inFlight(): number {
    return this.inFlightCount;
  }

  /** The violation that killed the session, if it is 'dead'. */
  get protocolError(): ProtocolError | null {
    return this.failure;
  }

  /**
   * Sends `req`. Null, or why not. A FLUSH goes at once: it covers the writes already answered;
   * holding it for writes still in flight is the caller's (the driver's FlushBarrier, over every connection).
   */
  submit(req: NbdRequest): SubmitError | null {
    if (this.sessionState !== 'open') return { errno: 'ESHUTDOWN', reason: `session is ${this.sessionState}` };
    const bad = checkRequest(this.x, req);
    if (bad) return bad;
    let tag = req.tag;
    if (tag < 0) {
      tag = this.freeTag();
      if (tag < 0) return { errno: 'EAGAIN', reason: 'no free tag' };
    } else if (tag >= this.slots.length || this.slots[tag]!.req !== null) {
      return { errno: 'EAGAIN', reason: `tag ${tag} busy or out of range` };
    }
    const s = this.slots[tag]!;
    s.req = req;
    s.covered = 0;
    s.cover.reset();
    s.contentChunks = 0;
    s.errored = false;
    s.corrupt = false;
    s.rejected = false;
    s.retries = 0;
    req.tag = tag;
    req.error = 0;
    req.message = '';
    req.protocolError = null;
    this.inFlightCount++;
    if (this.ext) {
      const flags = req.type === NBD_CMD_WRITE ? req.flags | NBD_CMD_FLAG_PAYLOAD_LEN : req.flags;
      encodeExtendedRequest(this.headers[tag]!, 0, flags, req.type, this.generation, tag, req.offset, req.length);
    } else encodeRequest(this.headers[tag]!, 0, req.flags, req.type, this.generation, tag, req.offset, req.length);
    const payload = req.type === NBD_CMD_WRITE && req.length > 0;
    this.host.send(this.headers[tag]!, payload);
    if (payload) {
      const data = req.data!.length === req.length ? req.data! : req.data!.subarray(0, req.length);
      if (this.frames) this.frames.sendWrite(tag, data, this.sendBytes);
      else this.host.send(data);
    }
    return null;
  }

  /** Soft disconnect: NBD_CMD_DISC now if nothing is in flight, else once the last reply is in. */
  disconnect(): void {
    if (this.sessionState !== 'open' && this.sessionState !== 'draining') return;
    this.setState('draining', null);
    this.maybeSendDisc();
  }

  /** Ends the session without DISC (connection lost); returns the requests still in flight. */
  abort(): NbdRequest[] {
    const out: NbdRequest[] = [];
    for (const s of this.slots) if (s.req) out.push(s.req);
    for (const s of this.slots) s.req = null;
    this.inFlightCount = 0;
    if (this.sessionState !== 'dead') this.sessionState = 'disconnected';
    return out;
  }

  /** Server bytes, split anywhere. Returns the ProtocolError that killed the session, if any. */
  feed(bytes: Uint8Array): ProtocolError | null {
    if (this.sessionState === 'dead') return this.failure;
    this.decoder.feed(bytes);
    const d = this.decoder;
    for (;;) {
      const ev = d.next();
      if (ev === REPLY_EVENT.NEED_MORE) return null;
      if (ev === REPLY_EVENT.ERROR) return this.die(d.protocolError!);
      const problem = this.onEvent(ev);
      if (problem) {
        d.fail(problem);
        return this.die(problem);
      }
    }
  }

  private onEvent(ev: number): ProtocolError | null {
    const d = this.decoder;
    if (ev === REPLY_EVENT.DATA) return this.onData();
    if (ev === REPLY_EVENT.FRAME) return this.onFrame();
    if (d.cookieHi !== this.generation && !this.acceptStaleGeneration) {
      return hard('stale-cookie', 'reply.cookie', `generation ${d.cookieHi} is not this connection's ${this.generation}`);
    }
    const tag = d.cookieLo;
    const s = tag < this.slots.length ? this.slots[tag]! : null;
    const req = s?.req;
    if (!s || !req) return hard('unknown-cookie', 'reply.cookie', `no request in flight with tag ${tag}`);
    if (this.ext && d.replyOffset !== req.offset) {
      return hard('bad-value', 'reply.offset', `extended reply echoes offset ${d.replyOffset}, the request had ${req.offset}`);
    }
    if (ev === REPLY_EVENT.SIMPLE) {
      if (req.type === NBD_CMD_READ && this.x.structuredReplies) {
        return hard('simple-reply-to-structured-read', 'reply', `simple reply to READ tag ${tag} after structured replies were negotiated`);
      }
      if (d.error !== 0) this.setError(req, d.error, '');
      else if (req.type === NBD_CMD_READ && req.length > 0) {
        d.expectData(req.length);
        return null;
      }
      this.finish(tag);
      return null;
    }
    return this.onChunk(ev, tag, s, req);
  }

  private onChunk(ev: number, tag: number, s: Slot, req: NbdRequest): ProtocolError | null {
    const d = this.decoder;
    switch (ev) {
      case REPLY_EVENT.CHUNK_OFFSET_DATA:
      case REPLY_EVENT.CHUNK_OFFSET_HOLE: {
        if (req.type !== NBD_CMD_READ) return hard('unexpected-chunk-type', 'chunk.type', `content chunk for command ${req.type}`);
        if (d.offset < req.offset || d.offset + d.length > req.offset + req.length) {
          return hard('out-of-bounds', 'chunk.offset', `${d.offset}+${d.length} outside request ${req.offset}+${req.length}`);
        }
        s.covered += d.length;
        if (!s.cover.add(d.offset, d.offset + d.length)) {
          return hard('bad-value', 'chunk.offset', `content chunk ${d.offset}+${d.length} overlaps an earlier one`);
        }
        if (++s.contentChunks > 1 && (req.flags & NBD_CMD_FLAG_DF) !== 0) {
          return hard('fragmented', 'chunk', 'more than one content chunk for a DF read');
        }
        if (ev === REPLY_EVENT.CHUNK_OFFSET_HOLE) req.data!.fill(0, d.offset - req.offset, d.offset - req.offset + d.length);
        // OFFSET_DATA completes after its last DATA event.
        else return null;
        break;
      }
      case REPLY_EVENT.CHUNK_BLOCK_STATUS: {
        if (req.type !== NBD_CMD_BLOCK_STATUS) return hard('unexpected-chunk-type', 'chunk.type', `BLOCK_STATUS chunk for command ${req.type}`);
        if (!this.knownContext(d.contextId)) return hard('bad-value', 'chunk.context', `context id ${d.contextId} was not negotiated`);
        if ((req.flags & NBD_CMD_FLAG_REQ_ONE) !== 0 && d.extentCount !== 1) {
          return hard('bad-value', 'chunk(BLOCK_STATUS)', `${d.extentCount} extents in reply to REQ_ONE`);
        }
        const ex = req.extents;
        if (ex) for (let i = 0; i < d.extentCount; i++) ex.push(d.contextId, d.extentLength(i), d.extentFlags(i));
        break;
      }
      case REPLY_EVENT.CHUNK_ERROR: {
        if (d.chunkType === NBD_REPLY_TYPE_ERROR_OFFSET) {
          if (req.type === NBD_CMD_FLUSH || d.offset < req.offset || d.offset >= req.offset + Math.max(req.length, 1)) {
            return hard('out-of-bounds', 'chunk(ERROR_OFFSET).offset', `offset ${d.offset} outside request ${req.offset}+${req.length}`);
          }
        }
        s.errored = true;
        if (!d.knownType) {
          req.protocolError = new ProtocolError('unknown-error-chunk', 'fail-request', 'chunk.type', `unknown error chunk type ${d.chunkType}`);
        }
        this.setError(req, d.error === 0 ? NBD_EINVAL : d.error, d.message);
        break;
      }
      default:
        break; // CHUNK_NONE
    }
    if (d.done) this.endStructured(tag, s, req);
    return null;
  }

  /**
   * Where the next bytes from the server go when they can only be read data (a reply's payload
   * is under way and nothing is buffered): a view of the reading request's buffer, at most the
   * rest of the payload. Read into it and call feedInPlace(n); null when not in read data.
   */
  dataTarget(): Uint8Array | null {
    const d = this.decoder;
    const n = d.awaitingData;
    if (n === 0 || this.sessionState === 'dead') return null;
    const req = this.slots[d.cookieLo]!.req!;
    const at = (d.chunkType === -1 ? 0 : this.chunkAt(d.cookieLo, d.offset - req.offset)) + d.dataNext;
    return req.data!.subarray(at, at + n);
  }

  /** `n` bytes were read into the view dataTarget() returned. */
  feedInPlace(n: number): ProtocolError | null {
    if (this.sessionState === 'dead') return this.failure;
    this.decoder.dataInPlace(n);
    return this.onData();
  }

  /** Copies buffered, undecoded input so the caller may reuse the buffers it fed (a receive ring). */
  detachInput(): void {
    this.decoder.detachInput();
  }

  /** Received bytes detachInput has copied so far (each at most once). */
  get inputCopied(): number {
    return this.decoder.inputCopied;
  }

  private onData(): ProtocolError | null {
    const d = this.decoder;
    const s = this.slots[d.cookieLo]!;
    const req = s.req!;
    const at = d.chunkType === -1 ? d.dataPos : this.chunkAt(d.cookieLo, d.offset - req.offset) + d.dataPos;
    if (d.data.length > 0) req.data!.set(d.data, at);
    if (d.dataRemaining === 0) {
      if (d.chunkType === -1) this.finish(d.cookieLo);
      else if (d.done) this.endStructured(d.cookieLo, s, req);
    }
    return null;
  }

  /** Where the current chunk's data goes in its request's buffer (its offset, or with the injected bug, after the chunks before it). */
  private chunkAt(tag: number, at: number): number {
    return this.ignoreChunkOffset ? this.slots[tag]!.covered - this.decoder.length : at;
  }

  /** A payload frame of read data: unframed into the request's buffer, checksum checked. */
  private onFrame(): ProtocolError | null {
    const d = this.decoder;
    const tag = d.cookieLo;
    const s = this.slots[tag]!;
    const req = s.req!;
    const at = d.chunkType === -1 ? 0 : d.offset - req.offset;
    const r = this.frames!.receive(tag, d.frame, d.data, req.data!.subarray(at, at + d.frame.raw));
    if (r === 'corrupt') s.corrupt = true;
    else if (r !== '') return hard('bad-value', 'frame', r);
    if (d.chunkType === -1) this.finish(tag);
    else if (d.done) this.endStructured(tag, s, req);
    return null;
  }

  /**
   * A read whose data failed its checksum, or a write the server rejected for its checksum: sent
   * again (same tag and data) up to CHECKSUM_RETRIES times; true when it was.
   */
  private retried(tag: number, s: Slot, req: NbdRequest): boolean {
    const f = this.frames!;
    if (!s.corrupt && !s.rejected) return false;
    f.counters.checksumFailures++;
    if (s.retries >= CHECKSUM_RETRIES) {
      s.corrupt = s.rejected = false;
      this.setError(req, NBD_EIO, `payload checksum failed ${s.retries + 1} times`);
      return false;
    }
    s.retries++;
    f.counters.checksumRetries++;
    s.corrupt = s.rejected = s.errored = false;
    s.covered = s.contentChunks = 0;
    s.cover.reset();
    req.error = 0;
    req.message = '';
    this.host.send(this.headers[tag]!, req.type === NBD_CMD_WRITE && req.length > 0);
    if (req.type === NBD_CMD_WRITE && req.length > 0) f.resendWrite(tag, this.sendBytes);
    return true;
  }

  /** DONE seen: a read that is neither complete nor errored fails with EIO. */
  private endStructured(tag: number, s: Slot, req: NbdRequest): void {
    if (req.type === NBD_CMD_READ && !s.errored && s.covered !== req.length) {
      this.setError(req, NBD_EIO, `structured reply covered ${s.covered} of ${req.length} bytes`);
    }
    this.finish(tag);
  }

  private setError(req: NbdRequest, error: number, message: string): void {
    if (error === NBD_ORION_EBADMSG && this.frames?.checksum && req.type === NBD_CMD_WRITE) {
      this.slots[req.tag]!.rejected = true; // resent by retried()
      return;
    }
    if (req.error !== 0) return; // the first error wins
    req.error = NBD_ERROR_NAMES[error] === undefined ? NBD_EINVAL : error;
    req.message = message;
    if (error === NBD_ESHUTDOWN && this.sessionState === 'open') this.setState('draining', null);
  }

  private finish(tag: number): void {
    const s = this.slots[tag]!;
    const req = s.req!;
    if (this.frames) {
      if (this.retried(tag, s, req)) return;
      this.frames.release(tag);
    }
    s.req = null;
    this.inFlightCount--;
    this.host.complete(req);
    this.maybeSendDisc();
  }

  /** The lowest tag with nothing in flight (tools bring none; the driver brings blk-mq's); -1 when all are busy. */
  private freeTag(): number {
    for (let t = 0; t < this.slots.length; t++) if (this.slots[t]!.req === null) return t;
    return -1;
  }

  private knownContext(id: number): boolean {
    for (const k in this.x.metaContexts) if (this.x.metaContexts[k] === id) return true;
    return false;
  }

  private maybeSendDisc(): void {
    if (this.sessionState !== 'draining' || this.inFlightCount > 0) return;
    const disc = this.headers[this.headers.length - 1]!;
    if (this.ext) encodeExtendedRequest(disc, 0, 0, NBD_CMD_DISC, this.generation, 0xffffffff, 0, 0);
    else encodeRequest(disc, 0, 0, NBD_CMD_DISC, this.generation, 0xffffffff, 0, 0);
    this.host.send(disc);
    this.setState('disconnected', null);
  }

  private die(e: ProtocolError): ProtocolError {
    if (this.sessionState !== 'dead') {
      this.failure = e;
      this.setState('dead', e);
    }
    return e;
  }

  private setState(st: SessionState, why: ProtocolError | null): void {
    this.sessionState = st;
    this.host.stateChanged?.(st, why);
  }
}
