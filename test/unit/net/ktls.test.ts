// Kernel TLS (kernel/net/tls) on a stand-in TCP send side: records are built by push (uncork, no
// MSG_MORE), held for the CPU time their sealing costs, go into TCP as far as it has room, and are
// opened on the receive side however the stream is cut. Numbers by hand: a record is a 5-byte
// header + the plaintext + a 16-byte tag; AES-GCM costs 0.5 ns per byte, rounded up.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../hw-sim/engine/index.ts';
import { engineNetClock } from '../../../kernel/net/clock.ts';
import { tcpUlpTls, TlsSw, type TlsLower } from '../../../kernel/net/tls/index.ts';
import { ADDR_B, firstDiff, pattern as hostPattern, Sink, twoHosts } from './helpers/hosts.ts';
import type { TlsCryptoInfo } from '../../../kernel/net/tls/record.ts';

/** TCP's send side as the layer sees it: `room` bytes free, what it took, in order. */
class Tcp implements TlsLower {
  readonly out: Uint8Array[] = [];
  readonly corks: boolean[] = [];
  wants = 0;
  /** What it was given, in order: a piece's length and MSG_MORE, or a trace mark. */
  readonly log: string[] = [];
  constructor(public room: number) {}
  send(d: Uint8Array, off: number, len: number, more: boolean): number {
    const n = Math.min(len, this.room);
    this.log.push(`${n}${more ? '+more' : ''}`);
    if (n > 0) this.out.push(d.slice(off, off + n));
    this.room -= n;
    return n;
  }
  get writable(): number {
    return this.room;
  }
  setCork(on: boolean): void {
    this.corks.push(on);
  }
  wantWritable(): void {
    this.wants++;
  }
  markRequest(rid: number): void {
    this.log.push(`mark ${rid}`);
  }
  get bytes(): Uint8Array {
    return Buffer.concat(this.out);
  }
}

const keys = (): TlsCryptoInfo => ({ key: new Uint8Array(32).fill(9), salt: new Uint8Array([1, 2, 3, 4]), seq: 0 });
const pattern = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

function sender(room: number) {
  const e = new Engine({ seed: 1 });
  const tcp = new Tcp(room);
  const charged: number[] = [];
  let wakes = 0;
  const tls = new TlsSw(tcp, engineNetClock(e), { nsPerByte: 0.5, charge: (ns) => charged.push(ns) }, {
    data: () => {}, writable: () => wakes++, error: (r) => { throw new Error(r); },
  });
  tls.setTx(keys());
  return { e, tcp, tls, charged, wakes: () => wakes };
}

describe('kernel TLS: send side', () => {
  it('plaintext written corked in several sends leaves as one record on uncork, after its sealing time', () => {
    const { e, tcp, tls, charged } = sender(1 << 20);
    tls.setCork(true);
    // A 28-byte request header, a 4 KiB payload, the next request's header.
    expect([tls.send(pattern(28, 1), 0, 28), tls.send(pattern(4096, 2), 0, 4096), tls.send(pattern(28, 3), 0, 28)]).toEqual([28, 4096, 28]);
    expect(tcp.out).toEqual([]);
    tls.setCork(false);
    expect(tcp.corks).toEqual([true, false]);
    // 4152 plaintext bytes: 2076 ns of AES-GCM, charged once; the record waits for it.
    expect(charged).toEqual([2_076]);
    expect(tcp.out).toEqual([]);
    e.runUntil(2_075);
    expect(tcp.out).toEqual([]);
    e.runUntil(2_076);
    expect(tcp.out.length).toBe(1);
    // Header: APP_DATA (23), body 4152 + 16 = 4168 = 0x1048.
    expect([...tcp.out[0]!.subarray(0, 5)]).toEqual([23, 0, 0, 0x10, 0x48]);
    expect(tcp.out[0]!.length).toBe(5 + 4_152 + 16);
  });

  it('MSG_MORE keeps the record open for the payload; without it each send is a record; records leave one after another', () => {
    const { e, tcp, tls, charged } = sender(1 << 20);
    tls.send(pattern(28, 1), 0, 28, true);
    tls.send(pattern(1_000, 2), 0, 1_000);
    tls.send(pattern(2_000, 3), 0, 2_000);
    // 1028 B: 514 ns, ready at 514; 2000 B: 1000 ns more, ready at 1514 (the connection's record work is serial).
    expect(charged).toEqual([514, 1_000]);
    e.runUntil(513);
    expect(tcp.out.length).toBe(0);
    e.runUntil(514);
    expect(tcp.out.map((b) => b.length)).toEqual([5 + 1_028 + 16]);
    e.runUntil(1_513);
    expect(tcp.out.length).toBe(1);
    e.runUntil(1_514);
    expect(tcp.out.map((b) => b.length)).toEqual([1_049, 2_021]);
  });

  it('sendv is the header sent with MSG_MORE and then the payload: one record; a short header takes none of the payload', () => {
    const { e, tcp, tls, charged } = sender(1 << 20);
    const disk = pattern(8_192, 2);
    expect(tls.sendv(pattern(16, 1), disk, 100, 4_096)).toBe(4_112);
    expect(charged).toEqual([2_056]);
    e.runUntil(2_056);
    expect(tcp.out.map((b) => b.length)).toEqual([5 + 4_112 + 16]);
    const [one, two] = [sender(4_000 + 21 + 10), sender(4_000 + 21 + 10)];
    one.tls.send(pattern(4_000, 3), 0, 4_000);
    two.tls.send(pattern(4_000, 3), 0, 4_000);
    const n = one.tls.sendv(pattern(16, 1), disk, 0, 100);
    expect(n).toBeLessThan(16);
    expect(n).toBe(two.tls.send(pattern(16, 1), 0, 16, true));
    expect(one.tls.held).toBe(two.tls.held);
    expect(one.tcp.log).toEqual(two.tcp.log);
  });

  it('a record larger than the room TCP has goes partly; the rest follows on write space, then the owner hears', () => {
    const { e, tcp, tls, wakes } = sender(8_192);
    expect(tls.send(pattern(4_000, 1), 0, 4_000)).toBe(4_000);
    // Room for the owner: 8192 less the sealed record waiting for its CPU time (4000 + 21).
    expect(tls.writable).toBe(4_171);
    expect(tls.send(pattern(4_200, 2), 0, 4_200)).toBe(4_171);
    expect(tcp.wants).toBe(1);
    // Record 1 ready at 2000 ns; record 2 (4171 B, 2085.5 → 2086 ns) at 4086.
    e.runUntil(2_000);
    expect(tcp.out.map((b) => b.length)).toEqual([4_021]);
    e.runUntil(4_086);
    // TCP had 4171 bytes of room for a 4192-byte record: 21 wait in the layer.
    expect(tcp.out.map((b) => b.length)).toEqual([4_021, 4_171]);
    expect(tls.held).toBe(21);
    expect(tls.writable).toBe(0);
    expect(wakes()).toBe(0);
    // Acknowledgements free the buffer: the rest goes, and the owner may send again.
    tcp.room = 8_192;
    tls.writeSpace();
    expect(tcp.out.map((b) => b.length)).toEqual([4_021, 4_171, 21]);
    expect(tls.held).toBe(0);
    expect(wakes()).toBe(1);
    expect(tls.writable).toBe(8_171);
  });
  it('trace marks land on the bytes of their request in the record; the pieces before a mark go with MSG_MORE', () => {
    const { e, tcp, tls } = sender(1 << 20);
    tls.setCork(true);
    tls.markRequest(7);
    tls.send(pattern(28, 1), 0, 28);
    tls.markRequest(8);
    tls.send(pattern(100, 2), 0, 100);
    tls.markRequest(9);
    tls.setCork(false);
    e.run();
    // Request 7 from the record's header: 5 + 28 bytes; request 8: its 100 bytes and the tag. The
    // mark after the last byte goes to the next record.
    expect(tcp.log).toEqual(['mark 7', '33+more', 'mark 8', '116']);
    tls.send(pattern(10, 3), 0, 10);
    e.run();
    expect(tcp.log.slice(4)).toEqual(['mark 9', '31']);
  });
});

describe('kernel TLS: receive side', () => {
  function twoRecords(): Uint8Array {
    const { e, tcp, tls } = sender(1 << 20);
    tls.send(pattern(4_000, 1), 0, 4_000);
    tls.send(pattern(4_171, 2), 0, 4_171);
    e.run();
    return tcp.bytes;
  }

  function receiver() {
    const e = new Engine({ seed: 2 });
    const got: Array<[number, Uint8Array]> = [];
    const errors: string[] = [];
    const tls = new TlsSw(new Tcp(0), engineNetClock(e), { nsPerByte: 0.5, charge: () => {} }, {
      data: (b) => got.push([e.now, b]), writable: () => {}, error: (r) => errors.push(r),
    });
    tls.setRx(keys());
    return { e, tls, got, errors };
  }

  it('opens records split across segments, each handed up once its opening time has passed, in order', () => {
    const wire = twoRecords();
    expect(wire.length).toBe(4_021 + 4_192);
    const { e, tls, got } = receiver();
    // Cut inside the first header, inside the first body, across the boundary, inside the second header.
    const cuts = [0, 1, 4, 1_452, 4_030, 4_023, wire.length].sort((a, b) => a - b);
    for (let i = 1; i < cuts.length; i++) tls.input(wire.subarray(cuts[i - 1], cuts[i]));
    expect(got).toEqual([]);
    e.run();
    // Record 1: 4000 B, 2000 ns; record 2: 4171 B, 2086 ns after it.
    expect(got.map(([t, b]) => [t, b.length])).toEqual([[2_000, 4_000], [4_086, 4_171]]);
    expect(Buffer.from(got[0]![1]).equals(Buffer.from(pattern(4_000, 1)))).toBe(true);
    expect(Buffer.from(got[1]![1]).equals(Buffer.from(pattern(4_171, 2)))).toBe(true);
    expect(tls.stats.rxCpuNs).toBe(4_086);
  });

  it('a record altered on the way fails authentication: an error, nothing handed up', () => {
    const wire = twoRecords();
    wire[100]! ^= 1;
    const { e, tls, got, errors } = receiver();
    tls.input(wire);
    e.run();
    expect(got).toEqual([]);
    expect(errors).toEqual(['tls: record 0 fails authentication']);
  });
});

describe('kernel TLS on kernel TCP sockets (TCP_ULP "tls")', () => {
  it('1 MiB through a 16 KiB send buffer: short sends, write space, every byte opened in order, close after the last record', () => {
    const { engine, a, b } = twoHosts({ pipe: { rateBps: 1e9, delayNs: 10_000 } });
    const clock = engineNetClock(engine);
    const data = hostPattern(1 << 20, 5);
    const got = new Sink();
    let ended = false;
    b.listen(443).onAccept = (s) => {
      const t = tcpUlpTls(s, clock, null, { data: got.take, writable: () => {}, error: (r) => { throw new Error(r); } });
      t.setRx(keys());
      s.onEnd = () => { ended = true; };
    };
    const c = a.tcpSocket({ noDelay: true, sndBuf: 16 * 1024 });
    let off = 0;
    let wakes = 0;
    let shortSends = 0;
    const tls = tcpUlpTls(c, clock, null, {
      data: () => {}, writable: () => { wakes++; pump(); }, error: (r) => { throw new Error(r); },
    });
    const pump = (): void => {
      while (off < data.length) {
        const want = Math.min(4_000, data.length - off);
        const n = tls.send(data, off, want);
        off += n;
        if (n < want) { shortSends++; return; }
      }
      tls.close(() => c.close());
    };
    c.onConnect = () => { tls.setTx(keys()); pump(); };
    c.connect(ADDR_B, 443);
    engine.runUntil(1_000_000_000);
    expect(got.bytes).toBe(data.length);
    expect(firstDiff(got.data(), data)).toBe(-1);
    expect(ended).toBe(true);
    // The send buffer is far smaller than the data: the owner was held back and woken.
    expect(shortSends).toBeGreaterThan(10);
    expect(wakes).toBe(shortSends);
    expect(tls.stats.bytesSealed).toBe(data.length);
    expect(tls.held).toBe(0);
  });
});
