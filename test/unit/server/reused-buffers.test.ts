// The server's no-copy paths: receive views reused by the host after each call, WRITE payloads
// streamed into store pages, reply headers and disk read buffers reused between replies.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../hw-sim/engine/index.ts';
import { VirtualDisk, type ServiceTimeModel } from '../../../hw-sim/disk/index.ts';
import { MemoryStore, type BlockStore } from '../../../scenarios/hosts/nbd-server/store/index.ts';
import { encodeRequest } from '../../../drivers/nbd/protocol/encode-transmission.ts';
import { Conn, Reader } from './harness.ts';

// proto.md values, by hand.
const READ = 0;
const WRITE = 1;
const OFFSET_DATA = 1;
const MiB = 1 << 20;

const model: ServiceTimeModel = {
  name: 't', latencyNs: { read: 10_000, write: 10_000, flush: 10_000, trim: 1000, zero: 1000, status: 1000 },
  bandwidth: 1e9, queueDepth: 8, jitter: 0,
};

/** Byte `i` of the payload written at `offset`: differs per position, so misplaced bytes show. */
const byteAt = (pos: number): number => (pos * 13 + (pos >> 9)) & 0xff;
const payload = (offset: number, n: number) => Uint8Array.from({ length: n }, (_, i) => byteAt(offset + i));

function open(store: BlockStore, structured: boolean, engine = new Engine({ seed: 1 })): Conn {
  const c = new Conn({ exports: [{ name: 'd', store }] }, '10.0.0.2', engine);
  c.handshakeStart();
  if (structured) {
    c.option(8);
    c.meta(10, 'd', ['base:allocation']);
  }
  c.go('d');
  return c;
}

/** The whole client stream for `writes`, cut into `piece`-byte views of ONE buffer reused (and scribbled over) after every receive. */
function sendThroughReusedBuffer(c: Conn, writes: { offset: number; length: number; cookie: number }[], piece: number): void {
  const parts: Uint8Array[] = [];
  for (const w of writes) {
    const h = new Uint8Array(28);
    encodeRequest(h, 0, 0, WRITE, 0, w.cookie, w.offset, w.length);
    parts.push(h, payload(w.offset, w.length));
  }
  const stream = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    stream.set(p, at);
    at += p.length;
  }
  const ring = new Uint8Array(piece);
  for (let p = 0; p < stream.length; p += piece) {
    const n = Math.min(piece, stream.length - p);
    ring.set(stream.subarray(p, p + n));
    c.session.receive(ring.subarray(0, n), true);
    ring.fill(0xee);
  }
}

function readBack(c: Conn, engine: Engine, offset: number, length: number): Uint8Array {
  // A memory store answers at once (inside request()), the disk after its service time.
  const now = c.request(READ, offset, length, { cookie: 99 });
  engine.run();
  const r = now.left > 0 ? now : new Reader(c.take());
  expect(r.simple()).toEqual({ error: 0, cookie: 99 });
  return r.bytes(length).slice();
}

describe('transient receive views (a host that reuses its buffer after each call)', () => {
  for (const [name, make] of [
    ['memory store (payload streamed into its pages)', () => new MemoryStore(MiB, 4096)],
    ['virtual disk (payload kept until the disk completes)', (e: Engine) => new VirtualDisk(e, { name: 'srv/disk0', size: MiB, model })],
  ] as const) {
    it(`WRITEs split at odd places land intact: ${name}`, () => {
      const engine = new Engine({ seed: 1 });
      const c = open(make(engine), false, engine);
      // 7-byte pieces split headers and payloads everywhere; writes straddle 4 KiB pages.
      const writes = [{ offset: 4000, length: 300, cookie: 1 }, { offset: 8190, length: 5000, cookie: 2 }, { offset: 0, length: 9, cookie: 3 }];
      sendThroughReusedBuffer(c, writes, 7);
      engine.run();
      const r = new Reader(c.take());
      const cookies = [r.simple(), r.simple(), r.simple()].map((x) => (expect(x.error).toBe(0), x.cookie)).sort();
      expect(cookies).toEqual([1, 2, 3]);
      for (const w of writes) expect([...readBack(c, engine, w.offset, w.length)]).toEqual([...payload(w.offset, w.length)]);
    });
  }

  it('a request header cut by the end of a view survives the buffer being overwritten', () => {
    const c = open(new MemoryStore(MiB, 4096), false);
    sendThroughReusedBuffer(c, [{ offset: 512, length: 64, cookie: 7 }], 20);
    expect(new Reader(c.take()).simple()).toEqual({ error: 0, cookie: 7 });
  });
});

describe('reused WRITE payload buffers', () => {
  it('writes of one length, two in flight at a time, each land their own bytes on the virtual disk', () => {
    const engine = new Engine({ seed: 4 });
    const disk = new VirtualDisk(engine, { name: 'srv/disk0', size: MiB, model });
    const c = open(disk, false, engine);
    // The second pair reuses the first pair's buffers (same length): neither may carry the other's bytes.
    for (const pair of [[0, 4096], [8192, 12288]]) {
      for (const off of pair) c.request(WRITE, off, 4096, { cookie: off, data: payload(off, 4096) });
      engine.run();
      const r = new Reader(c.take());
      expect([r.simple(), r.simple()].map((x) => x.cookie).sort((a, b) => a - b)).toEqual(pair);
    }
    for (const off of [0, 4096, 8192, 12288]) expect([...readBack(c, engine, off, 4096)]).toEqual([...payload(off, 4096)]);
  });
});

describe('reused reply buffers', () => {
  it('structured READs from the virtual disk each carry their own data (pooled read buffer, reused headers)', () => {
    const engine = new Engine({ seed: 2 });
    const disk = new VirtualDisk(engine, { name: 'srv/disk0', size: MiB, model });
    const c = open(disk, true, engine);
    c.request(WRITE, 0, 3 * 4096, { cookie: 1, data: payload(0, 3 * 4096) });
    engine.run();
    c.take();
    // Three reads in flight: the disk completes them one after another into the same buffer.
    for (let i = 0; i < 3; i++) c.request(READ, i * 4096 + 100, 1000, { cookie: 10 + i });
    engine.run();
    const r = new Reader(c.take());
    for (let i = 0; i < 3; i++) {
      const ch = r.chunk();
      expect(ch.type).toBe(OFFSET_DATA);
      expect(ch.cookie).toBe(10 + i);
      expect(ch.data.u64()).toBe(i * 4096 + 100);
      expect([...ch.data.bytes(1000)]).toEqual([...payload(i * 4096 + 100, 1000)]);
    }
  });

  it('delayed replies keep their own bytes although later reads reuse the buffers meanwhile', () => {
    const engine = new Engine({ seed: 3 });
    const disk = new VirtualDisk(engine, { name: 'srv/disk0', size: MiB, model });
    const c = open(disk, false, engine);
    c.request(WRITE, 0, 8192, { cookie: 1, data: payload(0, 8192) });
    engine.run();
    c.take();
    c.server.faults.delayNs = 1_000_000;
    c.request(READ, 0, 4096, { cookie: 2 });
    c.request(READ, 4096, 4096, { cookie: 3 });
    engine.run();
    const r = new Reader(c.take());
    expect(r.simple()).toEqual({ error: 0, cookie: 2 });
    expect([...r.bytes(4096)]).toEqual([...payload(0, 4096)]);
    expect(r.simple()).toEqual({ error: 0, cookie: 3 });
    expect([...r.bytes(4096)]).toEqual([...payload(4096, 4096)]);
  });
});
