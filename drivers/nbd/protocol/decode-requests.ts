/**
 * Incremental decoder of the client → server stream (used by the NBD server): client flags,
 * option requests, then transmission requests with WRITE data delivered as zero-copy views.
 * Same contract as ReplyDecoder: next() returns an event kind, fields live on the decoder until
 * the following next(), bytes may be split anywhere, nothing throws.
 */
import { ByteQueue } from './byte-queue.ts';
import { hard, hex32, ProtocolError } from './errors.ts';
import {
  IHAVEOPT_HI, IHAVEOPT_LO, NBD_CMD_WRITE, NBD_OPTION_HEADER_SIZE, NBD_OPT_EXPORT_NAME,
  NBD_ORION_MAX_ALGORITHMS, NBD_REQUEST_MAGIC, NBD_REQUEST_SIZE, NBD_EXTENDED_REQUEST_MAGIC, NBD_EXTENDED_REQUEST_SIZE,
  NBD_CMD_FLAG_PAYLOAD_LEN, NBD_ORION_FRAME_SIZE, NBD_ORION_HEADER_CHECKSUM_SIZE,
} from './uapi.ts';
import { checkQueuedData, checkQueuedHeader, optionWireLength } from './header-checksum.ts';
import { get16, get32, utf8String, view64 } from './wire.ts';
import { parseFrameHeader, type FrameHeader } from './payload-frame.ts';

export const REQUEST_EVENT = {
  NEED_MORE: 0,
  /** `clientFlags` (32 bits). */
  CLIENT_FLAGS: 1,
  /** `option`, `optionData` (a view; copy it to keep it). After EXPORT_NAME the phase is transmission. */
  OPTION: 2,
  /** Request header: `flags`, `type`, cookie, `offset`, `length`; a WRITE's data follows as WRITE_DATA. */
  REQUEST: 3,
  /** `data` (a view), `dataPos` within the write payload, `dataRemaining` after this view. */
  WRITE_DATA: 4,
  /** `protocolError`; the decoder stays failed. */
  ERROR: 5,
  /** A WRITE's payload frame (docs/nbd-extensions.md): `frame` and `data` (its body, a view). */
  WRITE_FRAME: 6,
} as const;
export type RequestEventKind = (typeof REQUEST_EVENT)[keyof typeof REQUEST_EVENT];

export type ClientPhase = 'client-flags' | 'options' | 'transmission';

export interface RequestDecoderLimits {
  /** Largest option data accepted (default 1 MiB). */
  maxOptionData?: number;
  /** Largest WRITE payload accepted before hard-disconnecting (default 64 MiB). */
  maxWritePayload?: number;
}

export class RequestDecoder {
  readonly queue = new ByteQueue();
  phase: ClientPhase = 'client-flags';
  /** NBD_OPT_EXTENDED_HEADERS acknowledged: requests are 32 bytes with a 64-bit length. */
  extended = false;
  /** WRITE payloads travel in frames (compression or checksums granted); bodies up to frameMaxWire. */
  framed = false;
  frameMaxWire = 0;
  frame: FrameHeader = { raw: 0, wire: 0, checksum: 0, flags: 0 };
  /** Header checksums (checksums granted): a CRC-32C follows every request header; a mismatch is a hard disconnect. */
  headerChecksum = false;
  /** The checksum extension was granted: later option requests are sealed (docs/nbd-extensions.md, "Header checksums"). */
  optionsSealed = false;
  /** Injected bug header-checksum-skipped: the checksum is stepped over, not checked. */
  skipHeaderCheck = false;
  /** A request header split over received chunks, put together (peekView). */
  private readonly hdr = new DataView(new ArrayBuffer(32));
  /** 0: no frame due; 1: a frame header is due; 2: the body of `frame` is due. */
  private frameStep = 0;

  clientFlags = 0;
  option = 0;
  optionData: Uint8Array = EMPTY;
  flags = 0;
  type = 0;
  cookieHi = 0;
  cookieLo = 0;
  offset = 0;
  length = 0;
  data: Uint8Array = EMPTY;
  dataPos = 0;
  dataRemaining = 0;
  protocolError: ProtocolError | null = null;

  private inData = false;
  private nextPos = 0;
  private readonly maxOptionData: number;
  private readonly maxWritePayload: number;

  constructor(limits: RequestDecoderLimits = {}) {
    this.maxOptionData = limits.maxOptionData ?? 1 << 20;
    this.maxWritePayload = limits.maxWritePayload ?? 64 << 20;
  }

  feed(bytes: Uint8Array): void {
    this.queue.push(bytes);
  }

  /** After replying NBD_REP_ACK to NBD_OPT_GO. */
  enterTransmission(): void {
    this.phase = 'transmission';
  }

  next(): RequestEventKind {
    if (this.protocolError !== null) return REQUEST_EVENT.ERROR;
    const q = this.queue;
    if (this.frameStep === 1) {
      if (q.length < NBD_ORION_FRAME_SIZE) return REQUEST_EVENT.NEED_MORE;
      const h = parseFrameHeader(q.take(NBD_ORION_FRAME_SIZE), 0, this.frameMaxWire);
      if (typeof h === 'string') return this.failWith(hard('bad-value', 'frame', h));
      if (h.raw !== this.length) return this.failWith(hard('bad-length', 'frame.raw', `${h.raw}, the WRITE covers ${this.length}`));
      this.frame = h;
      this.frameStep = 2;
    }
    if (this.frameStep === 2) {
      if (q.length < this.frame.wire) return REQUEST_EVENT.NEED_MORE;
      this.data = q.take(this.frame.wire);
      this.frameStep = 0;
      return REQUEST_EVENT.WRITE_FRAME;
    }
    if (this.inData) {
      if (q.length === 0) return REQUEST_EVENT.NEED_MORE;
      const v = q.view(this.dataRemaining);
      this.data = v;
      this.dataPos = this.nextPos;
      this.nextPos += v.length;
      this.dataRemaining -= v.length;
      if (this.dataRemaining === 0) this.inData = false;
      return REQUEST_EVENT.WRITE_DATA;
    }
    switch (this.phase) {
      case 'client-flags':
        if (q.length < 4) return REQUEST_EVENT.NEED_MORE;
        this.clientFlags = q.u32(0);
        q.skip(4);
        this.phase = 'options';
        return REQUEST_EVENT.CLIENT_FLAGS;
      case 'options': {
        if (q.length < 8) return REQUEST_EVENT.NEED_MORE;
        if (q.u32(0) !== IHAVEOPT_HI || q.u32(4) !== IHAVEOPT_LO) {
          return this.failWith(hard('bad-magic', 'option.magic', `expected IHAVEOPT, got ${hex32(q.u32(0))}${hex32(q.u32(4)).slice(2)}`));
        }
        const H = NBD_OPTION_HEADER_SIZE;
        const sealed = this.optionsSealed;
        if (q.length < H + (sealed ? 4 : 0)) return REQUEST_EVENT.NEED_MORE;
        const damaged = sealed ? checkQueuedHeader(q, H, 'option.header-checksum') : null;
        if (damaged) return this.failWith(damaged);
        const len = q.u32(12);
        if (len > this.maxOptionData) return this.failWith(hard('payload-too-large', 'option.length', `${len} bytes`));
        if (q.length < optionWireLength(H, len, sealed)) return REQUEST_EVENT.NEED_MORE;
        const bad = sealed ? checkQueuedData(q, H + 4, len, 'option.data-checksum') : null;
        if (bad) return this.failWith(bad);
        this.option = q.u32(8);
        q.skip(sealed ? H + 4 : H);
        this.optionData = q.take(len);
        if (sealed && len > 0) q.skip(4);
        if (this.option === NBD_OPT_EXPORT_NAME) this.phase = 'transmission';
        return REQUEST_EVENT.OPTION;
      }
      case 'transmission': {
        if (q.length < 4) return REQUEST_EVENT.NEED_MORE;
        const magic = q.u32(0);
        const ext = this.extended;
        const want = ext ? NBD_EXTENDED_REQUEST_MAGIC : NBD_REQUEST_MAGIC;
        if (magic !== want) {
          return this.failWith(hard('bad-magic', 'request.magic', `expected ${hex32(want)}, got ${hex32(magic)}`));
        }
        const size = ext ? NBD_EXTENDED_REQUEST_SIZE : NBD_REQUEST_SIZE;
        const hc = this.headerChecksum ? NBD_ORION_HEADER_CHECKSUM_SIZE : 0;
        if (q.length < size + hc) return REQUEST_EVENT.NEED_MORE;
        // A damaged header is never executed: nothing of it is believed until its checksum matches.
        const bad = hc !== 0 && !this.skipHeaderCheck ? checkQueuedHeader(q, size, 'request.header-checksum') : null;
        if (bad) return this.failWith(bad);
        // Read in place from the chunk the header lies in (peekView), not by a queue call per field.
        const v = q.peekView(size, this.hdr);
        const o = q.peekAt;
        this.flags = v.getUint16(o + 4);
        this.type = v.getUint16(o + 6);
        this.cookieHi = v.getUint32(o + 8);
        this.cookieLo = v.getUint32(o + 12);
        this.offset = view64(v, o + 16);
        this.length = ext ? view64(v, o + 24) : v.getUint32(o + 24);
        if (ext) {
          // A payload goes with NBD_CMD_FLAG_PAYLOAD_LEN, which only WRITE carries here (proto.md lets a
          // server consume an unexpected payload; this one hard-disconnects, which it also may).
          const payload = (this.flags & NBD_CMD_FLAG_PAYLOAD_LEN) !== 0;
          if (payload !== (this.type === NBD_CMD_WRITE)) {
            return this.failWith(hard('bad-value', 'request.flags', `NBD_CMD_FLAG_PAYLOAD_LEN ${payload ? 'on' : 'missing from'} command ${this.type}`));
          }
          if (!Number.isSafeInteger(this.length)) return this.failWith(hard('payload-too-large', 'request.length', `${q.u64n(24)}`));
        }
        if (this.type === NBD_CMD_WRITE && this.length > this.maxWritePayload) {
          return this.failWith(hard('payload-too-large', 'request(WRITE).length', `${this.length} bytes`));
        }
        q.skip(size + hc);
        if (this.type === NBD_CMD_WRITE && this.length > 0 && this.framed) {
          this.frameStep = 1;
        } else if (this.type === NBD_CMD_WRITE && this.length > 0) {
          this.inData = true;
          this.nextPos = 0;
          this.dataRemaining = this.length;
        }
        return REQUEST_EVENT.REQUEST;
      }
    }
  }

  private failWith(err: ProtocolError): RequestEventKind {
    this.protocolError = err;
    return REQUEST_EVENT.ERROR;
  }
}

/** NBD_OPT_INFO / NBD_OPT_GO data. Malformed ⇒ a 'fail-request' error (reply NBD_REP_ERR_INVALID). */
export function parseInfoOptionData(data: Uint8Array): { name: string; infoRequests: number[] } | ProtocolError {
  const bad = (d: string): ProtocolError => new ProtocolError('bad-length', 'fail-request', 'option(INFO/GO).data', d);
  if (data.length < 6) return bad(`must be ≥ 6 bytes, got ${data.length}`);
  const nameLen = get32(data, 0);
  if (nameLen > data.length - 6) return bad(`name length ${nameLen} exceeds ${data.length - 6}`);
  const name = utf8String(data.subarray(4, 4 + nameLen));
  const n = get16(data, 4 + nameLen);
  if (data.length !== 6 + nameLen + 2 * n) return bad(`${n} info requests do not fill ${data.length - 6 - nameLen} bytes`);
  const infoRequests: number[] = [];
  for (let i = 0; i < n; i++) infoRequests.push(get16(data, 6 + nameLen + 2 * i));
  return { name, infoRequests };
}

/** NBD_OPT_LIST_META_CONTEXT / NBD_OPT_SET_META_CONTEXT data. */
export function parseMetaContextOptionData(data: Uint8Array): { exportName: string; queries: string[] } | ProtocolError {
  const bad = (d: string): ProtocolError => new ProtocolError('bad-length', 'fail-request', 'option(META_CONTEXT).data', d);
  if (data.length < 8) return bad(`must be ≥ 8 bytes, got ${data.length}`);
  const nameLen = get32(data, 0);
  if (nameLen > data.length - 8) return bad(`name length ${nameLen} exceeds ${data.length - 8}`);
  const exportName = utf8String(data.subarray(4, 4 + nameLen));
  let p = 4 + nameLen;
  const n = get32(data, p);
  p += 4;
  const queries: string[] = [];
  for (let i = 0; i < n; i++) {
    if (p + 4 > data.length) return bad(`query ${i} header past the end`);
    const ql = get32(data, p);
    if (p + 4 + ql > data.length) return bad(`query ${i} length ${ql} past the end`);
    queries.push(utf8String(data.subarray(p + 4, p + 4 + ql)));
    p += 4 + ql;
  }
  if (p !== data.length) return bad(`${data.length - p} trailing bytes`);
  return { exportName, queries };
}

const EMPTY = new Uint8Array(0);

/** Data of an Orion private option: 16-bit count n (1..16), then n 16-bit algorithm ids. */
export function parseAlgorithmList(data: Uint8Array): number[] | ProtocolError {
  const bad = (d: string): ProtocolError => new ProtocolError('bad-length', 'fail-request', 'option(ORION).data', d);
  if (data.length < 2) return bad(`must be ≥ 2 bytes, got ${data.length}`);
  const n = get16(data, 0);
  if (n === 0 || n > NBD_ORION_MAX_ALGORITHMS) return bad(`${n} algorithms: must be 1 to ${NBD_ORION_MAX_ALGORITHMS}`);
  if (data.length !== 2 + 2 * n) return bad(`${n} algorithms do not fill ${data.length - 2} bytes`);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(get16(data, 2 + 2 * i));
  return out;
}
