/**
 * The client's transmission phase on one connection, sans-I/O: submit() encodes a request into
 * its tag's header slot and hands it to `send`; feed() takes the server's bytes, reassembles
 * simple and structured replies (read data lands directly in the request's buffer, holes are
 * zero-filled there) and completes requests. A reply from another generation or for a tag not in
 * flight is a protocol violation. A plain class, not an actor: a request is data. The session's
 * state lives in SessionCore (transmission-core.ts).
 */
import { hard, ProtocolError } from './errors.ts';
import { applyChunk, matchReply } from './reply-chunks.ts';
import { REPLY_EVENT } from './decode-replies.ts';
import { SessionCore } from './transmission-core.ts';
import { resetSlot, type Slot } from './transmission-types.ts';
import { RequestCheck, type NbdRequest, type SubmitError } from './request-check.ts';
import { NBD_CMD_READ, NBD_CMD_WRITE, NBD_EIO, NBD_CMD_FLAG_PAYLOAD_LEN } from './uapi.ts';

export type { SessionState, TransmissionHost, TransmissionOptions } from './transmission-types.ts';

export class TransmissionSession extends SessionCore {
  private readonly requestCheck = new RequestCheck(this.x);

  /**
   * Sends `req`. Null, or why not. A FLUSH goes at once: it covers the writes already answered;
   * holding it for writes still in flight is the caller's (the driver's FlushBarrier, over every connection).
   */
  submit(req: NbdRequest): SubmitError | null {
    if (this.sessionState !== 'open') return { errno: 'ESHUTDOWN', reason: `session is ${this.sessionState}` };
    const bad = this.requestCheck.check(req);
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
    resetSlot(s);
    s.retries = 0;
    req.tag = tag;
    req.error = 0;
    req.message = '';
    req.protocolError = null;
    this.inFlightCount++;
    this.encodeRequestOn(tag, req.type === NBD_CMD_WRITE && this.ext ? req.flags | NBD_CMD_FLAG_PAYLOAD_LEN : req.flags, req.type, req.offset, req.length);
    const payload = req.type === NBD_CMD_WRITE && req.length > 0;
    if (this.sealed) this.frames!.chargeHeaders(tag, this.ext ? 32 : 28, this.ext ? 32 : this.x.structuredReplies ? 20 : 16);
    this.host.send(this.headers[tag]!, payload);
    if (payload) {
      const data = req.data!.length === req.length ? req.data! : req.data!.subarray(0, req.length);
      if (this.frames) this.frames.sendWrite(tag, req.offset, data, this.sendBytes);
      else this.host.send(data);
    }
    return null;
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
    const s = matchReply(d, this.generation, this.slots, this.ext, this.acceptStaleGeneration);
    if (s instanceof ProtocolError) return s;
    const tag = d.cookieLo;
    const req = s.req!;
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

  /** applyChunk's error sink, made once (a closure per chunk was an allocation per READ reply). */
  private readonly chunkError = (req: NbdRequest, error: number, message: string): void => this.setError(req, error, message);

  private onChunk(ev: number, tag: number, s: Slot, req: NbdRequest): ProtocolError | null {
    const problem = applyChunk(ev, this.decoder, s, req, this.x.metaContexts, this.chunkError);
    if (problem || ev === REPLY_EVENT.CHUNK_OFFSET_DATA) return problem; // OFFSET_DATA completes after its last DATA event
    if (this.decoder.done) this.endStructured(tag, s, req);
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
    const r = this.frames!.receive(tag, req.offset + at, d.frame, d.data, req.data!.subarray(at, at + d.frame.raw));
    if (r === 'corrupt') s.corrupt = true;
    else if (r !== '') return hard('bad-value', 'frame', r);
    if (d.chunkType === -1) this.finish(tag);
    else if (d.done) this.endStructured(tag, s, req);
    return null;
  }

  /** A checksum failure (read data, or a write the server rejected): sent again as it was, or failed with EIO. */
  private retried(tag: number, s: Slot, req: NbdRequest): boolean {
    const v = this.frames!.verdict(s);
    if (v === 'give-up') this.setError(req, NBD_EIO, `payload checksum failed ${s.retries + 1} times`);
    if (v !== 'retry') return false;
    req.error = 0;
    req.message = '';
    const payload = req.type === NBD_CMD_WRITE && req.length > 0;
    this.host.send(this.headers[tag]!, payload);
    if (payload) this.frames!.resendWrite(tag, this.sendBytes);
    return true;
  }

  /** DONE seen: a read that is neither complete nor errored fails with EIO. */
  private endStructured(tag: number, s: Slot, req: NbdRequest): void {
    if (req.type === NBD_CMD_READ && !s.errored && s.covered !== req.length) {
      this.setError(req, NBD_EIO, `structured reply covered ${s.covered} of ${req.length} bytes`);
    }
    this.finish(tag);
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

}
