/**
 * The server side of one UDP transport session (docs/nbd-extensions.md, "UDP transport"): WRITE
 * payloads reassembled by fragment offset, requests run on the TCP session's export, replies split
 * into datagrams. The replay cache (by cookie) makes a retransmitted write run at most once, and
 * the client's acked-below marks every older cookie as a stale duplicate that never runs.
 */
import type { UdpDatagram } from '../../../drivers/nbd/protocol/udp-datagram.ts';
import { encodeUdpHeader, fragmentCount } from '../../../drivers/nbd/protocol/udp-datagram.ts';
import {
  NBD_CMD_CACHE, NBD_CMD_FLAG_FUA, NBD_CMD_FLAG_NO_HOLE, NBD_CMD_FLUSH, NBD_CMD_READ, NBD_CMD_TRIM, NBD_CMD_WRITE, NBD_CMD_WRITE_ZEROES,
  NBD_EINVAL, NBD_ORION_UDP_HEADER_SIZE,
} from '../../../drivers/nbd/protocol/uapi.ts';
import type { BlockError } from './store/block-store.ts';
import { precheck } from './protocol/commands.ts';
import { nbdErrno } from './protocol/replies.ts';
import type { Session } from './protocol/types.ts';

/** Server-wide UDP counters (the listener's). */
export interface UdpServerCounters {
  datagramsIn: number;
  datagramsOut: number;
  /** Retransmitted writes answered from the replay cache (not run again). */
  replayed: number;
  /** Requests below the client's acked-below: dropped unanswered. */
  stale: number;
  malformed: number;
  unknownToken: number;
  /** Reply datagrams the full send buffer refused (the client's retransmission recovers them). */
  sendRefused: number;
}

interface Cached {
  done: boolean;
  error: number;
}

interface Assembly {
  buf: Uint8Array;
  got: Uint8Array;
  count: number;
}

const isWrite = (t: number): boolean => t === NBD_CMD_WRITE || t === NBD_CMD_WRITE_ZEROES || t === NBD_CMD_TRIM;

export class UdpServerSession {
  private readonly maxData: number;
  private readonly scratch: Uint8Array;
  private readonly cache = new Map<number, Cached>();
  private readonly partial = new Map<number, Assembly>();
  private ackedBelow = 0;
  private peerAddr = 0;
  private peerPort = 0;

  constructor(
    readonly session: Session,
    datagram: number,
    private readonly send: (addr: number, port: number, bytes: Uint8Array, len: number) => void,
    private readonly counters: UdpServerCounters,
    /** Injected bug udp-replay-cache-off: no replay cache, no stale check. */
    private readonly replayCacheOff: boolean,
  ) {
    this.maxData = datagram - NBD_ORION_UDP_HEADER_SIZE;
    this.scratch = new Uint8Array(datagram);
  }

  /** Entries in the replay cache (bounded by the client's writes in flight). */
  get cached(): number {
    return this.cache.size;
  }

  handle(d: UdpDatagram, fromAddr: number, fromPort: number): void {
    this.peerAddr = fromAddr;
    this.peerPort = fromPort;
    if (d.ackedBelow > this.ackedBelow) {
      this.ackedBelow = d.ackedBelow;
      for (const k of this.cache.keys()) if (k < this.ackedBelow) this.cache.delete(k);
      for (const k of this.partial.keys()) if (k < this.ackedBelow) this.partial.delete(k);
    }
    if (!this.replayCacheOff && d.cookie < this.ackedBelow) {
      this.counters.stale++;
      return;
    }
    if (!isWrite(d.type)) return this.run(d, null);
    const seen = this.replayCacheOff ? undefined : this.cache.get(d.cookie);
    if (seen) {
      this.counters.replayed++;
      if (seen.done) this.reply(d, seen.error, null);
      return;
    }
    let data: Uint8Array | null = null;
    if (d.type === NBD_CMD_WRITE) {
      data = this.assemble(d);
      if (!data) return;
    }
    if (!this.replayCacheOff) this.cache.set(d.cookie, { done: false, error: 0 });
    this.run(d, data);
  }

  /** The whole payload once its last fragment is in, else null. */
  private assemble(d: UdpDatagram): Uint8Array | null {
    const n = fragmentCount(d.length, this.maxData);
    if (d.fragCount !== n || d.fragOffset % this.maxData !== 0 || d.data.length !== Math.min(this.maxData, d.length - d.fragOffset)) {
      this.counters.malformed++;
      return null;
    }
    if (n === 1) return d.data.slice();
    let a = this.partial.get(d.cookie);
    if (!a) {
      a = { buf: new Uint8Array(d.length), got: new Uint8Array(n), count: 0 };
      this.partial.set(d.cookie, a);
    }
    const i = d.fragOffset / this.maxData;
    if (a.got[i]) return null;
    a.got[i] = 1;
    a.buf.set(d.data, d.fragOffset);
    if (++a.count < n) return null;
    this.partial.delete(d.cookie);
    return a.buf;
  }

  private run(d: UdpDatagram, data: Uint8Array | null): void {
    const s = this.session;
    const { type, offset, length, flags, cookie } = d;
    const req = { type, offset, length, cookie, generation: d.generation };
    const bad = type === NBD_CMD_READ || type === NBD_CMD_FLUSH || type === NBD_CMD_CACHE || isWrite(type) ? precheck(s, type, flags, offset, length) : NBD_EINVAL;
    if (bad !== 0 || type === NBD_CMD_CACHE) return this.done(req, bad); // CACHE is advisory: answered at once
    const store = s.export!.store;
    const fua = (flags & NBD_CMD_FLAG_FUA) !== 0;
    const cb = (e: BlockError | null) => this.done(req, e === null ? 0 : nbdErrno(e));
    s.inFlight++;
    switch (type) {
      case NBD_CMD_READ:
        return store.read(offset, length, (e, buf) => {
          s.requestDone();
          if (s.phase === 'closed') return;
          this.reply(req, e === null && buf ? 0 : nbdErrno(e ?? 'EINVAL'), e === null ? buf : null);
        });
      case NBD_CMD_WRITE: return store.write(offset, data!, fua, (e) => { s.requestDone(); cb(e); });
      case NBD_CMD_FLUSH: return store.flush((e) => { s.requestDone(); cb(e); });
      case NBD_CMD_TRIM: return store.trim(offset, length, fua, (e) => { s.requestDone(); cb(e); });
      default: return store.zero(offset, length, (flags & NBD_CMD_FLAG_NO_HOLE) === 0, fua, (e) => { s.requestDone(); cb(e); });
    }
  }

  private done(req: ReplyTo, error: number): void {
    if (this.session.phase === 'closed') return;
    const c = this.cache.get(req.cookie);
    if (c) {
      c.done = true;
      c.error = error;
    }
    this.reply(req, error, null);
  }

  /** Sends the reply: one datagram, or a READ's data in fragments of the granted size. */
  private reply(req: ReplyTo, error: number, data: Uint8Array | null): void {
    const n = data ? fragmentCount(req.length, this.maxData) : 1;
    const h = {
      reply: true, flags: 0, type: req.type, tokenHi: 0, tokenLo: 0, cookie: req.cookie, offset: req.offset, length: req.length,
      error, fragOffset: 0, fragCount: n, generation: req.generation, ackedBelow: 0,
    };
    const g = this.session.udp!;
    h.tokenHi = g.tokenHi;
    h.tokenLo = g.tokenLo;
    for (let i = 0; i < n; i++) {
      h.fragOffset = i * this.maxData;
      encodeUdpHeader(this.scratch, 0, h);
      let len = NBD_ORION_UDP_HEADER_SIZE;
      if (data && req.length > 0) {
        const piece = data.subarray(h.fragOffset, Math.min(req.length, h.fragOffset + this.maxData));
        this.scratch.set(piece, len);
        len += piece.length;
      }
      this.send(this.peerAddr, this.peerPort, this.scratch, len);
      this.counters.datagramsOut++;
    }
  }
}

interface ReplyTo {
  type: number;
  offset: number;
  length: number;
  cookie: number;
  generation: number;
}
