/**
 * The state of the client's transmission session on one connection (transmission.ts adds the
 * request and reply paths): the header slab (one per tag, no allocation per request), the
 * per-tag slots, the reply decoder, payload framing, the session state and the soft disconnect.
 * Cookies are generation (high u32) | tag (low u32).
 */
import type { ProtocolError } from './errors.ts';
import { ReplyDecoder } from './decode-replies.ts';
import { encodeExtendedRequest, encodeRequest, encodeRequestFields } from './encode-transmission.ts';
import { sealHeader } from './header-checksum.ts';
import type { NegotiatedExport } from './handshake-types.ts';
import type { NbdRequest } from './request-check.ts';
import { PayloadFraming } from './transmission-frames.ts';
import { newSlot, type SessionState, type Slot, type TransmissionHost, type TransmissionOptions } from './transmission-types.ts';
import {
  NBD_CMD_DISC, NBD_CMD_WRITE, NBD_EINVAL, NBD_ERROR_NAMES, NBD_ESHUTDOWN, NBD_EXTENDED_REQUEST_SIZE, NBD_ORION_EBADMSG,
  NBD_ORION_HEADER_CHECKSUM_SIZE, NBD_REQUEST_SIZE,
} from './uapi.ts';

export abstract class SessionCore {
  readonly generation: number;
  /** NBD_OPT_EXTENDED_HEADERS in force: 32-byte requests, extended replies. */
  protected readonly ext: boolean;
  /** Checksums in force: every request header is followed by its CRC-32C (docs/nbd-extensions.md, "Header checksums"). */
  protected readonly sealed: boolean;
  protected readonly decoder: ReplyDecoder;
  /** Payload frames (compression / checksums negotiated), else null. */
  readonly frames: PayloadFraming | null = null;
  protected readonly slab: Uint8Array;
  /** The slab as a DataView (request fields are written through it), and its bytes per tag. */
  private readonly slabFields: DataView;
  private readonly headerSize: number;
  protected readonly headers: Uint8Array[] = [];
  protected readonly slots: Slot[] = [];
  protected inFlightCount = 0;
  protected readonly sendBytes = (b: Uint8Array): void => this.host.send(b);
  protected sessionState: SessionState = 'open';
  protected failure: ProtocolError | null = null;
  protected readonly ignoreChunkOffset: boolean;
  protected readonly acceptStaleGeneration: boolean;

  constructor(protected readonly x: NegotiatedExport, protected readonly host: TransmissionHost, opts: TransmissionOptions) {
    this.generation = opts.generation >>> 0;
    this.ignoreChunkOffset = opts.ignoreChunkOffset ?? false;
    this.acceptStaleGeneration = opts.acceptStaleGeneration ?? false;
    const n = opts.maxInFlight ?? 128;
    this.ext = x.extendedHeaders;
    this.sealed = x.checksum !== 0;
    const hs = (this.ext ? NBD_EXTENDED_REQUEST_SIZE : NBD_REQUEST_SIZE) + (this.sealed ? NBD_ORION_HEADER_CHECKSUM_SIZE : 0);
    this.slab = new Uint8Array((n + 1) * hs);
    this.slabFields = new DataView(this.slab.buffer);
    this.headerSize = hs;
    for (let t = 0; t <= n; t++) this.headers.push(this.slab.subarray(t * hs, (t + 1) * hs));
    // A tag's header keeps its magic and cookie (this generation, the tag) from request to request.
    for (let t = 0; t < n; t++) this.encodeHeader(this.headers[t]!, 0, 0, t, 0, 0);
    for (let t = 0; t < n; t++) this.slots.push(newSlot());
    this.decoder = new ReplyDecoder(x.structuredReplies, this.ext);
    if (PayloadFraming.inForce(x)) {
      this.frames = new PayloadFraming(x, n, opts.frameCounters, opts.skipChecksumVerify ?? false);
      this.frames.cpu = opts.frameCpu ?? null;
      this.decoder.framed = true;
      this.decoder.frameMaxWire = PayloadFraming.maxWire(x);
      this.decoder.headerChecksum = this.sealed;
      this.decoder.skipHeaderCheck = opts.skipHeaderCheck ?? false;
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

  protected setError(req: NbdRequest, error: number, message: string): void {
    if (error === NBD_ORION_EBADMSG && this.frames?.checksum && req.type === NBD_CMD_WRITE) {
      this.slots[req.tag]!.rejected = true; // resent by retried()
      return;
    }
    if (req.error !== 0) return; // the first error wins
    req.error = NBD_ERROR_NAMES[error] === undefined ? NBD_EINVAL : error;
    req.message = message;
    if (error === NBD_ESHUTDOWN && this.sessionState === 'open') this.setState('draining', null);
  }


  /** The lowest tag with nothing in flight (tools bring none; the driver brings blk-mq's); -1 when all are busy. */
  protected freeTag(): number {
    for (let t = 0; t < this.slots.length; t++) if (this.slots[t]!.req === null) return t;
    return -1;
  }

  protected maybeSendDisc(): void {
    if (this.sessionState !== 'draining' || this.inFlightCount > 0) return;
    const disc = this.headers[this.headers.length - 1]!;
    this.encodeHeader(disc, 0, NBD_CMD_DISC, 0xffffffff, 0, 0);
    this.host.send(disc);
    this.setState('disconnected', null);
  }

  /** A request in tag `tag`'s header slot: the fields that change (encodeRequestFields), then the CRC-32C when checksums are in force. */
  protected encodeRequestOn(tag: number, flags: number, type: number, offset: number, length: number): void {
    const n = encodeRequestFields(this.slabFields, tag * this.headerSize, this.ext, flags, type, offset, length);
    if (this.sealed) sealHeader(this.headers[tag]!, 0, n);
  }

  /** A 28-byte request header, or a 32-byte extended one; then its CRC-32C when checksums are in force. */
  protected encodeHeader(b: Uint8Array, flags: number, type: number, tag: number, offset: number, length: number): void {
    const n = this.ext
      ? encodeExtendedRequest(b, 0, flags, type, this.generation, tag, offset, length)
      : encodeRequest(b, 0, flags, type, this.generation, tag, offset, length);
    if (this.sealed) sealHeader(b, 0, n);
  }

  protected die(e: ProtocolError): ProtocolError {
    if (this.sessionState !== 'dead') {
      if (e.code === 'header-checksum' && this.frames) this.frames.counters.headerChecksumFailures++;
      this.failure = e;
      this.setState('dead', e);
    }
    return e;
  }

  protected setState(st: SessionState, why: ProtocolError | null): void {
    this.sessionState = st;
    this.host.stateChanged?.(st, why);
  }
}
