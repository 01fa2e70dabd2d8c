/** A fake connection around one ServerSession: client bytes in, server bytes collected. */
import { Engine } from '../../../hw-sim/engine/index.ts';
import { NbdServer, type ServerConfig, type ServerSession } from '../../../scenarios/hosts/nbd-server/protocol/index.ts';
import {
  encodeClientFlags, encodeExportNameOption, encodeInfoOption, encodeMetaContextOption, encodeOption,
} from '../../../drivers/nbd/protocol/encode-handshake.ts';
import { encodeRequest } from '../../../drivers/nbd/protocol/encode-transmission.ts';

export class Conn {
  readonly engine: Engine;
  readonly server: NbdServer;
  readonly session: ServerSession;
  private out: Uint8Array[] = [];
  closed = false;
  tlsStarted = false;

  constructor(cfg: ServerConfig, address = '10.0.0.2', engine = new Engine({ seed: 1 }), server?: NbdServer) {
    this.engine = engine;
    this.server = server ?? new NbdServer(cfg, { name: 'srv/nbd', rngOf: (n) => engine.rng.get(n) });
    this.session = this.server.accept({
      send: (b) => this.out.push(b.slice()),
      close: () => { this.closed = true; },
      startTls: () => { this.tlsStarted = true; },
      schedule: (ns, fn) => { engine.schedule(ns, fn); },
    }, { address });
  }

  /** Everything the server sent since the last call, as one array. */
  take(): Uint8Array {
    const n = this.out.reduce((a, b) => a + b.length, 0);
    const all = new Uint8Array(n);
    let p = 0;
    for (const b of this.out) { all.set(b, p); p += b.length; }
    this.out = [];
    return all;
  }

  send(b: Uint8Array): void {
    this.session.receive(b);
  }

  /** Greeting consumed, client flags sent (fixed newstyle + no zeroes by default). */
  handshakeStart(flags = 3): this {
    this.take();
    this.send(encodeClientFlags(flags));
    return this;
  }

  option(opt: number, data?: Uint8Array): Reader {
    this.send(encodeOption(opt, data));
    return new Reader(this.take());
  }
  go(name: string, option = 7, infos: number[] = []): Reader {
    this.send(encodeInfoOption(option, name, infos));
    return new Reader(this.take());
  }
  meta(option: number, name: string, queries: string[]): Reader {
    this.send(encodeMetaContextOption(option, name, queries));
    return new Reader(this.take());
  }
  exportName(name: string): Reader {
    this.send(encodeExportNameOption(name));
    return new Reader(this.take());
  }

  /** Sends one request (and WRITE data); returns whatever the server sent right away. */
  request(type: number, offset: number, length: number, opts: { flags?: number; cookie?: number; data?: Uint8Array } = {}): Reader {
    const h = new Uint8Array(28);
    encodeRequest(h, 0, opts.flags ?? 0, type, 0, opts.cookie ?? 1, offset, length);
    this.send(h);
    if (opts.data) this.send(opts.data);
    return new Reader(this.take());
  }
}

/** Reads big-endian fields off server output, by hand, the way proto.md lays them out. */
export class Reader {
  pos = 0;
  constructor(readonly b: Uint8Array) {}
  get left(): number {
    return this.b.length - this.pos;
  }
  u16(): number {
    const v = (this.b[this.pos]! << 8) | this.b[this.pos + 1]!;
    this.pos += 2;
    return v;
  }
  u32(): number {
    const v = ((this.b[this.pos]! << 24) | (this.b[this.pos + 1]! << 16) | (this.b[this.pos + 2]! << 8) | this.b[this.pos + 3]!) >>> 0;
    this.pos += 4;
    return v;
  }
  u64(): number {
    return this.u32() * 2 ** 32 + this.u32();
  }
  bytes(n: number): Uint8Array {
    const v = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  str(n: number): string {
    return new TextDecoder().decode(this.bytes(n));
  }
  /** One option reply: { option, type, data }. Checks the reply magic 0x0003e889045565a9. */
  optReply(): { option: number; type: number; data: Reader } {
    const m1 = this.u32();
    const m2 = this.u32();
    if (m1 !== 0x0003e889 || m2 !== 0x045565a9) throw new Error(`bad option reply magic ${m1.toString(16)}${m2.toString(16)}`);
    const option = this.u32();
    const type = this.u32();
    const len = this.u32();
    return { option, type, data: new Reader(this.bytes(len)) };
  }
  /** A simple reply: magic 0x67446698, error, cookie. */
  simple(): { error: number; cookie: number } {
    const m = this.u32();
    if (m !== 0x67446698) throw new Error(`bad simple reply magic ${m.toString(16)}`);
    const error = this.u32();
    this.u32();
    return { error, cookie: this.u32() };
  }
  /** A structured chunk header: magic 0x668e33ef, flags, type, cookie, length; then its payload. */
  chunk(): { flags: number; type: number; cookie: number; data: Reader } {
    const m = this.u32();
    if (m !== 0x668e33ef) throw new Error(`bad chunk magic ${m.toString(16)}`);
    const flags = this.u16();
    const type = this.u16();
    this.u32();
    const cookie = this.u32();
    const len = this.u32();
    return { flags, type, cookie, data: new Reader(this.bytes(len)) };
  }
}
