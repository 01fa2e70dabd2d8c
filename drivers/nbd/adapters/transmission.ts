import { REPLY_EVENT, ReplyDecoder } from '../protocol/decode-replies.ts';
import { encodeRequest } from '../protocol/encode-transmission.ts';
import { NBD_CMD_DISC, NBD_CMD_READ, NBD_ESHUTDOWN, NBD_EIO } from '../protocol/uapi.ts';
import { tagOfCookie, type ExportInfo, type ReplySink, type Transmission } from '../protocol-port.ts';

const TWO32 = 0x1_0000_0000;

/**
 * Client transmission over E4's ReplyDecoder: checks each reply against the request its cookie
 * names (known cookie, read bounds, no simple reply to a structured READ) and reassembles read
 * data into the request's buffer through the sink. Outstanding requests are kept in arrays
 * indexed by tag, so nothing is allocated per request.
 */
export class DecoderTransmission implements Transmission {
  private readonly dec: ReplyDecoder;
  private expCookie: number[] = [];
  private expCmd: number[] = [];
  private expLen: number[] = [];
  private expOff: number[] = [];
  /** First error of a structured reply in progress, per tag. */
  private expErr: number[] = [];
  private failed = false;
  /** Cookie whose simple-reply data is arriving (-1: none). */
  private simpleData = -1;
  /** Cookie and request-relative start of the OFFSET_DATA chunk whose data is arriving. */
  private chunkCookie = -1;
  private chunkAt = 0;
  private chunkDone = false;

  constructor(private readonly info: ExportInfo, private readonly sink: ReplySink) {
    this.dec = new ReplyDecoder(info.structuredReplies);
  }

  encodeRequest(out: Uint8Array, at: number, cmd: number, flags: number, cookie: number, offset: number, length: number): number {
    return encodeRequest(out, at, flags, cmd, Math.floor(cookie / TWO32), cookie % TWO32, offset, length);
  }

  encodeDisconnect(out: Uint8Array, at: number): number {
    return encodeRequest(out, at, 0, NBD_CMD_DISC, 0, 0, 0, 0);
  }

  expect(cookie: number, cmd: number, offset: number, length: number): void {
    const tag = tagOfCookie(cookie);
    this.expCookie[tag] = cookie;
    this.expOff[tag] = offset;
    this.expCmd[tag] = cmd;
    this.expLen[tag] = length;
    this.expErr[tag] = 0;
  }

  forget(cookie: number): void {
    const tag = tagOfCookie(cookie);
    if (this.expCookie[tag] === cookie) this.expCookie[tag] = -1;
  }

  feed(bytes: Uint8Array): void {
    if (this.failed) return;
    const d = this.dec;
    d.feed(bytes);
    for (;;) {
      const ev = d.next();
      if (ev === REPLY_EVENT.NEED_MORE) return;
      if (ev === REPLY_EVENT.ERROR) return this.fatal(d.protocolError?.message ?? 'reply stream broken');
      if (ev === REPLY_EVENT.DATA) { this.onData(); continue; }
      const cookie = d.cookieHi * TWO32 + d.cookieLo;
      const tag = d.cookieLo;
      if (this.expCookie[tag] !== cookie) return this.fatal(`reply for cookie ${cookie} that is not in flight`);
      if (ev === REPLY_EVENT.SIMPLE) {
        const isRead = this.expCmd[tag] === NBD_CMD_READ;
        if (isRead && d.error === 0 && this.info.structuredReplies) return this.fatal(`simple reply to structured READ cookie ${cookie}`);
        if (isRead && d.error === 0 && this.expLen[tag]! > 0) {
          this.simpleData = cookie;
          d.expectData(this.expLen[tag]!);
          continue;
        }
        this.finish(tag, cookie, d.error);
        continue;
      }
      if (!this.chunk(ev, tag, cookie)) return;
    }
  }

  /** A structured chunk header; answers false when the stream is broken. */
  private chunk(ev: number, tag: number, cookie: number): boolean {
    const d = this.dec;
    const len = this.expLen[tag]!;
    const start = d.offset - this.offsetOf(tag);
    switch (ev) {
      case REPLY_EVENT.CHUNK_OFFSET_DATA:
        if (start < 0 || start + d.length > len) { this.fatal(`OFFSET_DATA outside the read of cookie ${cookie}`); return false; }
        this.chunkCookie = cookie;
        this.chunkAt = start;
        this.chunkDone = d.done;
        if (d.length === 0 && d.done) this.finish(tag, cookie, this.expErr[tag]!);
        return true;
      case REPLY_EVENT.CHUNK_OFFSET_HOLE:
        if (start < 0 || start + d.length > len) { this.fatal(`OFFSET_HOLE outside the read of cookie ${cookie}`); return false; }
        this.sink.hole(cookie, start, d.length);
        break;
      case REPLY_EVENT.CHUNK_ERROR:
        if (this.expErr[tag] === 0) this.expErr[tag] = d.knownType ? d.error : NBD_EIO;
        break;
      default:
        break;
    }
    if (d.done) this.finish(tag, cookie, this.expErr[tag]!);
    return true;
  }

  private onData(): void {
    const d = this.dec;
    if (this.simpleData >= 0) {
      const cookie = this.simpleData;
      this.sink.data(cookie, d.dataPos, d.data);
      if (d.dataRemaining === 0) { this.simpleData = -1; this.finish(tagOfCookie(cookie), cookie, 0); }
      return;
    }
    const cookie = this.chunkCookie;
    this.sink.data(cookie, this.chunkAt + d.dataPos, d.data);
    if (d.dataRemaining === 0) {
      this.chunkCookie = -1;
      const tag = tagOfCookie(cookie);
      if (this.chunkDone) this.finish(tag, cookie, this.expErr[tag]!);
    }
  }

  /** Device offset of the request (structured chunks address data by device offset). */
  private offsetOf(tag: number): number {
    return this.expOff[tag] ?? 0;
  }

  private finish(tag: number, cookie: number, errno: number): void {
    this.expCookie[tag] = -1;
    if (errno === NBD_ESHUTDOWN) this.sink.shutdown();
    this.sink.done(cookie, errno);
  }

  private fatal(reason: string): void {
    this.failed = true;
    this.sink.fatal(reason);
  }
}
