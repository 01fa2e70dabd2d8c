/**
 * Incremental, allocation-free decoder of the server → client transmission stream: simple replies
 * and structured reply chunks. Bytes may be split at any boundary. next() returns an event kind
 * and leaves the event's fields on the decoder (valid until the following next()); read data
 * leaves as zero-copy views. It never throws: malformed input yields REPLY_EVENT.ERROR with a
 * ProtocolError, after which the decoder stays failed.
 *
 * Validation here is what the bytes alone decide (magic, lengths, chunk types, DONE on NONE).
 * What needs the request (cookie known, read bounds, DF, simple reply to a structured read) is
 * checked by TransmissionSession.
 */
import { ByteQueue } from './byte-queue.ts';
import { hard, hex32, ProtocolError } from './errors.ts';
import {
  NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_BLOCK_STATUS, NBD_REPLY_TYPE_ERROR, NBD_REPLY_TYPE_ERROR_OFFSET,
  NBD_REPLY_TYPE_NONE, NBD_REPLY_TYPE_OFFSET_DATA, NBD_REPLY_TYPE_OFFSET_HOLE,
  NBD_SIMPLE_REPLY_MAGIC, NBD_SIMPLE_REPLY_SIZE, NBD_STRUCTURED_REPLY_HEADER_SIZE, NBD_STRUCTURED_REPLY_MAGIC,
  NBD_EXTENDED_REPLY_MAGIC, NBD_EXTENDED_REPLY_SIZE, NBD_REPLY_TYPE_BLOCK_STATUS_EXT, NBD_ORION_FRAME_SIZE,
  NBD_ORION_HEADER_CHECKSUM_SIZE,
} from './uapi.ts';
import { get16, get32, get64, put32, utf8String, view64 } from './wire.ts';
import { crc32c, parseFrameHeader, type FrameHeader } from './payload-frame.ts';
import { checkQueuedHeader, headerMismatch } from './header-checksum.ts';
import { bufferedLengthProblem } from './reply-lengths.ts';

export const REPLY_EVENT = {
  /** More bytes are needed. */
  NEED_MORE: 0,
  /** Simple reply header: error, cookie. Call expectData(n) before next() if n data bytes follow. */
  SIMPLE: 1,
  /** Read data: `data` (a view), `dataPos` (position in this run of data), `dataRemaining` after it. */
  DATA: 2,
  /** NBD_REPLY_TYPE_NONE (DONE is always set). */
  CHUNK_NONE: 3,
  /** OFFSET_DATA header: `offset`, `length` data bytes follow as DATA events. */
  CHUNK_OFFSET_DATA: 4,
  /** OFFSET_HOLE: `offset`, `length` (the hole size). */
  CHUNK_OFFSET_HOLE: 5,
  /** BLOCK_STATUS: `contextId`, extentCount, extentLength(i), extentFlags(i). */
  CHUNK_BLOCK_STATUS: 6,
  /** Error chunk: `error`, `message`, `offset` (-1 unless ERROR_OFFSET), `knownType`. */
  CHUNK_ERROR: 7,
  /** Protocol violation: `protocolError` (verdict hard-disconnect); the decoder stays failed. */
  ERROR: 8,
  /** A payload frame (docs/nbd-extensions.md): `frame` (header fields) and `data` (its `frame.wire` bytes, a view). */
  FRAME: 9,
} as const;
export type ReplyEventKind = (typeof REPLY_EVENT)[keyof typeof REPLY_EVENT];

export { MAX_BUFFERED_CHUNK } from './reply-lengths.ts';

const S_HEADER = 0;
const S_DATA = 1;
const S_FAILED = 2;
/** Payload frames: waiting for a simple reply's frame header, then for a frame's body. */
const S_FRAME_HEADER = 3;
const S_FRAME_BODY = 4;

export class ReplyDecoder {
  readonly queue = new ByteQueue();
  /** Whether NBD_OPT_STRUCTURED_REPLY was acknowledged; structured chunks are illegal otherwise. */
  structured: boolean;
  /** Whether NBD_OPT_EXTENDED_HEADERS was acknowledged: only 32-byte extended replies are legal. */
  extended: boolean;

  // ---- fields of the current event ----
  cookieHi = 0;
  cookieLo = 0;
  /** Chunk flags (0 for simple replies). */
  flags = 0;
  /** Chunk type, or -1 for a simple reply. */
  chunkType = -1;
  error = 0;
  offset = 0;
  length = 0;
  contextId = 0;
  extentCount = 0;
  message = '';
  /** Extended replies: the request offset the header echoes. */
  replyOffset = 0;
  knownType = true;
  data: Uint8Array = EMPTY;
  dataPos = 0;
  dataRemaining = 0;
  protocolError: ProtocolError | null = null;

  private state = S_HEADER;
  /** Payloads travel in frames (compression or checksums negotiated); `frameMaxWire` bounds a body. */
  framed = false;
  frameMaxWire = 0;
  /** Header checksums (checksums negotiated): a CRC-32C follows every header and buffered chunk payload. */
  headerChecksum = false;
  /** Injected bug header-checksum-skipped: the checksums are stepped over, not checked. */
  skipHeaderCheck = false;
  /** The current frame's header (valid from CHUNK_OFFSET_DATA / FRAME to the next event). */
  frame: FrameHeader = { raw: 0, wire: 0, checksum: 0, flags: 0 };
  private frameRaw = 0;
  private readonly frameScratch = new Uint8Array(NBD_ORION_FRAME_SIZE);
  private readonly hdr = new DataView(new ArrayBuffer(64)); // a header split over received chunks, put together (peekView)
  private nextPos = 0;
  private payload: Uint8Array = EMPTY;
  private scratch: Uint8Array = new Uint8Array(256);

  constructor(structured = false, extended = false) {
    this.structured = structured || extended;
    this.extended = extended;
  }

  feed(bytes: Uint8Array): void {
    this.queue.push(bytes);
  }

  /** True when the current chunk (or simple reply) carries NBD_REPLY_FLAG_DONE. */
  get done(): boolean {
    return this.chunkType === -1 || (this.flags & NBD_REPLY_FLAG_DONE) !== 0;
  }

  /** After SIMPLE: `n` bytes of read data follow this reply (0: none). */
  expectData(n: number): void {
    if (this.state === S_HEADER && n > 0 && this.framed) {
      this.state = S_FRAME_HEADER;
      this.frameRaw = n;
    } else if (this.state === S_HEADER && n > 0) {
      this.state = S_DATA;
      this.nextPos = 0;
      this.dataRemaining = n;
    }
  }

  /**
   * Read-data bytes expected next while nothing is queued (0 otherwise): the caller may read up to
   * that many bytes from the transport straight into their destination and report them with
   * dataInPlace(), saving a copy.
   */
  get awaitingData(): number {
    return this.state === S_DATA && this.queue.length === 0 ? this.dataRemaining : 0;
  }

  /** Position, within the current run of read data, of the next data byte. */
  get dataNext(): number {
    return this.nextPos;
  }

  /** `n` (≤ awaitingData) data bytes were placed by the caller: like a DATA event with no view. */
  dataInPlace(n: number): void {
    this.data = EMPTY;
    this.dataPos = this.nextPos;
    this.nextPos += n;
    this.dataRemaining -= n;
    if (this.dataRemaining === 0) this.state = S_HEADER;
  }

  /** Copies the bytes still queued, so the buffers fed so far may be reused (see ByteQueue.detach). */
  detachInput(): void {
    this.queue.detach();
  }

  /** Input bytes detachInput has copied so far. */
  get inputCopied(): number {
    return this.queue.copied;
  }

  /** Marks the stream failed with an error found by the session (e.g. unknown cookie). */
  fail(err: ProtocolError): void {
    this.state = S_FAILED;
    this.protocolError = err;
  }

  /** BLOCK_STATUS: 32-bit lengths at 4 + 8i; BLOCK_STATUS_EXT: 64-bit lengths at 8 + 16i. */
  extentLength(i: number): number {
    return this.chunkType === NBD_REPLY_TYPE_BLOCK_STATUS_EXT ? get64(this.payload, 8 + 16 * i) : get32(this.payload, 4 + 8 * i);
  }

  /** Status flags (the low 32 bits of BLOCK_STATUS_EXT's 64-bit status: base: contexts use no more). */
  extentFlags(i: number): number {
    return this.chunkType === NBD_REPLY_TYPE_BLOCK_STATUS_EXT ? get32(this.payload, 20 + 16 * i) : get32(this.payload, 8 + 8 * i);
  }

  /**
   * The next event. One small function per state: as one function the header path did not
   * get its field reads inlined, past the optimiser's inlining budget.
   */
  next(): ReplyEventKind {
    const st = this.state;
    if (st === S_HEADER) return this.nextHeader();
    if (st === S_DATA) return this.nextData();
    if (st === S_FAILED) return REPLY_EVENT.ERROR;
    return this.nextFrame();
  }

  /** Payload frames: a simple reply's frame header, then a frame's body. */
  private nextFrame(): ReplyEventKind {
    const q = this.queue;
    if (this.state === S_FRAME_HEADER) {
      if (q.length < NBD_ORION_FRAME_SIZE) return REPLY_EVENT.NEED_MORE;
      const h = parseFrameHeader(this.gather(NBD_ORION_FRAME_SIZE), 0, this.frameMaxWire);
      if (typeof h === 'string') return this.failWith(hard('bad-value', 'frame', h));
      if (h.raw !== this.frameRaw) return this.failWith(hard('bad-length', 'frame.raw', `${h.raw}, the read asked for ${this.frameRaw}`));
      this.frame = h;
      this.state = S_FRAME_BODY;
    }
    if (q.length < this.frame.wire) return REPLY_EVENT.NEED_MORE;
    this.data = this.gather(this.frame.wire);
    this.state = S_HEADER;
    return REPLY_EVENT.FRAME;
  }

  private nextData(): ReplyEventKind {
    const q = this.queue;
    if (q.length === 0) return REPLY_EVENT.NEED_MORE;
    const v = q.view(this.dataRemaining);
    this.data = v;
    this.dataPos = this.nextPos;
    this.nextPos += v.length;
    this.dataRemaining -= v.length;
    if (this.dataRemaining === 0) this.state = S_HEADER;
    return REPLY_EVENT.DATA;
  }

  /** A simple reply or a structured chunk header (and a buffered chunk's payload). */
  private nextHeader(): ReplyEventKind {
    const q = this.queue;
    if (q.length < 4) return REPLY_EVENT.NEED_MORE;
    const magic = q.u32(0);
    if (magic === NBD_SIMPLE_REPLY_MAGIC) {
      if (this.extended) return this.failWith(hard('bad-magic', 'reply.magic', 'simple reply after extended headers were negotiated'));
      const hc = this.headerChecksum ? NBD_ORION_HEADER_CHECKSUM_SIZE : 0;
      if (q.length < NBD_SIMPLE_REPLY_SIZE + hc) return REPLY_EVENT.NEED_MORE;
      if (hc !== 0 && !this.skipHeaderCheck) {
        const bad = checkQueuedHeader(q, NBD_SIMPLE_REPLY_SIZE, 'reply(simple).header-checksum');
        if (bad) return this.failWith(bad);
      }
      const v = q.peekView(NBD_SIMPLE_REPLY_SIZE, this.hdr);
      const o = q.peekAt;
      this.error = v.getUint32(o + 4);
      this.cookieHi = v.getUint32(o + 8);
      this.cookieLo = v.getUint32(o + 12);
      this.flags = 0;
      this.chunkType = -1;
      this.offset = -1;
      q.skip(NBD_SIMPLE_REPLY_SIZE + hc);
      return REPLY_EVENT.SIMPLE;
    }
    const ext = this.extended;
    if (magic !== (ext ? NBD_EXTENDED_REPLY_MAGIC : NBD_STRUCTURED_REPLY_MAGIC)) {
      if (magic === NBD_STRUCTURED_REPLY_MAGIC && ext) {
        return this.failWith(hard('bad-magic', 'reply.magic', 'structured reply chunk after extended headers were negotiated'));
      }
      if (magic === NBD_EXTENDED_REPLY_MAGIC) {
        return this.failWith(hard('extended-not-negotiated', 'reply.magic', 'extended reply without NBD_OPT_EXTENDED_HEADERS'));
      }
      if (magic !== NBD_STRUCTURED_REPLY_MAGIC) return this.failWith(hard('bad-magic', 'reply.magic', `expected a reply magic, got ${hex32(magic)}`));
    }
    if (!this.structured) {
      return this.failWith(hard('structured-not-negotiated', 'reply.magic', 'structured reply chunk without NBD_OPT_STRUCTURED_REPLY'));
    }
    const H = ext ? NBD_EXTENDED_REPLY_SIZE : NBD_STRUCTURED_REPLY_HEADER_SIZE;
    const hc = this.headerChecksum ? NBD_ORION_HEADER_CHECKSUM_SIZE : 0;
    // P: where the chunk's payload starts (after the header's checksum, when in force).
    const P = H + hc;
    if (q.length < P) return REPLY_EVENT.NEED_MORE;
    if (hc !== 0 && !this.skipHeaderCheck) {
      const bad = checkQueuedHeader(q, H, 'chunk.header-checksum');
      if (bad) return this.failWith(bad);
    }
    const v = q.peekView(Math.min(q.length, P + 8), this.hdr);
    const o = q.peekAt;
    const type = v.getUint16(o + 6);
    // Extended: a 64-bit length; replies only carry payloads, which never reach 2^32 (proto.md).
    if (ext && v.getUint32(o + 24) !== 0) return this.failWith(hard('payload-too-large', 'reply.length', `${view64(v, o + 24)} bytes`));
    const len = ext ? v.getUint32(o + 28) : v.getUint32(o + 16);
    if (type === NBD_REPLY_TYPE_OFFSET_DATA && this.framed) return this.framedOffsetData(q, P, len);
    if (type === NBD_REPLY_TYPE_OFFSET_DATA) {
      if (len < 9) return this.failWith(hard('bad-length', 'chunk(OFFSET_DATA).length', `must be ≥ 9, got ${len}`));
      if (q.length < P + 8) return REPLY_EVENT.NEED_MORE;
      this.header(v, o, type);
      this.offset = view64(v, o + P);
      this.length = len - 8;
      q.skip(P + 8);
      this.state = S_DATA;
      this.nextPos = 0;
      this.dataRemaining = this.length;
      return REPLY_EVENT.CHUNK_OFFSET_DATA;
    }
    const lenProblem = bufferedLengthProblem(type, len, ext);
    if (lenProblem) return this.failWith(lenProblem);
    const pc = len > 0 ? hc : 0;
    if (q.length < P + len + pc) return REPLY_EVENT.NEED_MORE;
    this.header(v, o, type);
    q.skip(P);
    this.payload = this.gather(len);
    if (pc !== 0) {
      const want = crc32c(this.payload);
      const got = q.u32(0);
      q.skip(pc);
      if (got !== want && !this.skipHeaderCheck) return this.failWith(headerMismatch(`chunk(type ${type}).payload-checksum`, got, want));
    }
    return this.parseBuffered(type, len);
  }

  /** OFFSET_DATA with a payload frame: offset (at P), frame header, then the body as a FRAME event. */
  private framedOffsetData(q: ByteQueue, P: number, len: number): ReplyEventKind {
    const F = NBD_ORION_FRAME_SIZE;
    if (len < 8 + F) return this.failWith(hard('bad-length', 'chunk(OFFSET_DATA).length', `must be ≥ ${8 + F} with payload frames, got ${len}`));
    if (q.length < P + 8 + F) return REPLY_EVENT.NEED_MORE;
    // Peek the frame header (non-consuming) so the chunk header stays queued for header().
    const fh = this.frameScratch;
    for (let i = 0; i < F; i += 4) put32(fh, i, q.u32(P + 8 + i));
    const h = parseFrameHeader(fh, 0, this.frameMaxWire);
    if (typeof h === 'string') return this.failWith(hard('bad-value', 'frame', h));
    if (h.wire !== len - 8 - F) return this.failWith(hard('bad-length', 'frame.wire', `${h.wire}, the chunk carries ${len - 8 - F}`));
    if (h.raw === 0) return this.failWith(hard('bad-length', 'frame.raw', 'an OFFSET_DATA frame must cover at least one byte'));
    this.header(q.peekView(P, this.hdr), q.peekAt, NBD_REPLY_TYPE_OFFSET_DATA);
    this.offset = q.u64(P);
    this.length = h.raw;
    this.frame = h;
    q.skip(P + 8 + F);
    this.state = S_FRAME_BODY;
    return REPLY_EVENT.CHUNK_OFFSET_DATA;
  }

  private header(v: DataView, o: number, type: number): void {
    this.flags = v.getUint16(o + 4);
    this.chunkType = type;
    this.cookieHi = v.getUint32(o + 8);
    this.cookieLo = v.getUint32(o + 12);
    this.error = 0;
    this.offset = -1;
    if (this.extended) this.replyOffset = view64(v, o + 16);
  }

  private parseBuffered(type: number, len: number): ReplyEventKind {
    const p = this.payload;
    switch (type) {
      case NBD_REPLY_TYPE_NONE:
        if ((this.flags & NBD_REPLY_FLAG_DONE) === 0) {
          return this.failWith(hard('bad-value', 'chunk(NONE).flags', 'NBD_REPLY_TYPE_NONE without NBD_REPLY_FLAG_DONE'));
        }
        return REPLY_EVENT.CHUNK_NONE;
      case NBD_REPLY_TYPE_OFFSET_HOLE:
        this.offset = get64(p, 0);
        this.length = get32(p, 8);
        if (this.length === 0) return this.failWith(hard('bad-value', 'chunk(OFFSET_HOLE).size', 'hole size must be nonzero'));
        return REPLY_EVENT.CHUNK_OFFSET_HOLE;
      case NBD_REPLY_TYPE_BLOCK_STATUS:
        this.contextId = get32(p, 0);
        this.extentCount = (len - 4) / 8;
        return REPLY_EVENT.CHUNK_BLOCK_STATUS;
      case NBD_REPLY_TYPE_BLOCK_STATUS_EXT:
        this.contextId = get32(p, 0);
        this.extentCount = (len - 8) / 16;
        if (get32(p, 4) !== this.extentCount) {
          return this.failWith(hard('bad-value', 'chunk(BLOCK_STATUS_EXT).count', `${get32(p, 4)} descriptors announced, ${this.extentCount} sent`));
        }
        return REPLY_EVENT.CHUNK_BLOCK_STATUS;
      default: {
        // Error category (bit 15): lengths were checked by bufferedLengthProblem.
        this.error = get32(p, 0);
        const msgLen = get16(p, 4);
        const fixed = type === NBD_REPLY_TYPE_ERROR_OFFSET ? 14 : 6;
        if (msgLen > len - fixed) {
          return this.failWith(hard('bad-length', `chunk(type ${type}).message-length`, `${msgLen} exceeds ${len - fixed}`));
        }
        this.message = msgLen > 0 ? utf8String(p.subarray(6, 6 + msgLen)) : '';
        this.knownType = type === NBD_REPLY_TYPE_ERROR || type === NBD_REPLY_TYPE_ERROR_OFFSET;
        if (type === NBD_REPLY_TYPE_ERROR_OFFSET) this.offset = get64(p, 6 + msgLen);
        if (this.knownType && this.error === 0) {
          return this.failWith(hard('bad-value', 'chunk(ERROR).error', 'error chunk with error 0'));
        }
        return REPLY_EVENT.CHUNK_ERROR;
      }
    }
  }

  /** The whole payload as one view: in place when contiguous, else copied into scratch. */
  private gather(len: number): Uint8Array {
    const q = this.queue;
    if (len === 0) return EMPTY;
    const v = q.view(len);
    if (v.length === len) return v;
    if (this.scratch.length < len) this.scratch = new Uint8Array(Math.max(len, this.scratch.length * 2));
    this.scratch.set(v, 0);
    q.copyTo(this.scratch, v.length, len - v.length);
    return this.scratch.subarray(0, len);
  }

  private failWith(err: ProtocolError): ReplyEventKind {
    this.fail(err);
    return REPLY_EVENT.ERROR;
  }
}

const EMPTY = new Uint8Array(0);
