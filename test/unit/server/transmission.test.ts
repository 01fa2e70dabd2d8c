import { describe, expect, it } from 'vitest';
import { Engine } from '../../../hw-sim/engine/index.ts';
import { VirtualDisk, type ServiceTimeModel } from '../../../hw-sim/disk/index.ts';
import { MemoryStore, type BlockStore } from '../../../scenarios/hosts/nbd-server/store/index.ts';
import type { ServerConfig } from '../../../scenarios/hosts/nbd-server/protocol/index.ts';
import { Conn, Reader } from './harness.ts';

// Values from proto.md, written out by hand.
const CMD = { READ: 0, WRITE: 1, DISC: 2, FLUSH: 3, TRIM: 4, CACHE: 5, WRITE_ZEROES: 6, BLOCK_STATUS: 7 };
const FLAG = { FUA: 1, NO_HOLE: 2, DF: 4, REQ_ONE: 8 };
const CHUNK = { NONE: 0, OFFSET_DATA: 1, OFFSET_HOLE: 2, BLOCK_STATUS: 5, ERROR: 32769 };
const E = { EPERM: 1, EIO: 5, EINVAL: 22, ENOSPC: 28 };
const DONE = 1;

const MiB = 1 << 20;
const cfg = (store: BlockStore = new MemoryStore(MiB, 4096)): ServerConfig => ({
  exports: [
    { name: 'disk', store },
    { name: 'ro', store: new MemoryStore(8192), readOnly: true },
    { name: 'aligned', store: new MemoryStore(MiB), blockSize: { min: 512, pref: 4096, max: 65536 } },
  ],
});

/** A session in transmission: simple replies, or structured + base:allocation. */
function open(structured: boolean, name = 'disk', c = new Conn(cfg())): Conn {
  c.handshakeStart();
  if (structured) {
    c.option(8);
    c.meta(10, name, ['base:allocation']);
  }
  c.go(name);
  return c;
}

const pattern = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

describe('server transmission, simple replies', () => {
  it('WRITE then READ returns the bytes under the same cookie', () => {
    const c = open(false);
    const w = c.request(CMD.WRITE, 4096, 100, { cookie: 11, data: pattern(100, 3) }).simple();
    expect(w).toEqual({ error: 0, cookie: 11 });
    const r = c.request(CMD.READ, 4096, 100, { cookie: 12 });
    expect(r.simple()).toEqual({ error: 0, cookie: 12 });
    expect([...r.bytes(100)]).toEqual([...pattern(100, 3)]);
    expect(r.left).toBe(0);
  });

  it('a WRITE whose data arrives in pieces is assembled', () => {
    const c = open(false);
    const h = c.request(CMD.WRITE, 0, 10, { cookie: 5 });
    expect(h.left).toBe(0);
    c.send(Uint8Array.of(1, 2, 3));
    c.send(Uint8Array.of(4, 5, 6, 7, 8, 9, 10));
    expect(new Reader(c.take()).simple().error).toBe(0);
    const r = c.request(CMD.READ, 0, 10);
    r.simple();
    expect([...r.bytes(10)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('FLUSH, TRIM, WRITE_ZEROES and CACHE succeed; zeroes read back', () => {
    const c = open(false);
    c.request(CMD.WRITE, 0, 8192, { data: new Uint8Array(8192).fill(9) });
    for (const [t, flags] of [[CMD.FLUSH, 0], [CMD.TRIM, FLAG.FUA], [CMD.WRITE_ZEROES, FLAG.NO_HOLE], [CMD.CACHE, 0]] as const) {
      const len = t === CMD.FLUSH ? 0 : 4096;
      expect(c.request(t, 0, len, { flags }).simple().error).toBe(0);
    }
    const r = c.request(CMD.READ, 0, 8192);
    r.simple();
    const d = r.bytes(8192);
    expect(d.subarray(0, 4096).every((b) => b === 0)).toBe(true);
    expect(d.subarray(4096).every((b) => b === 9)).toBe(true);
  });

  it('errors: read past the end EINVAL, write past the end ENOSPC, write to read-only EPERM, unknown command EINVAL', () => {
    const c = open(false);
    expect(c.request(CMD.READ, MiB - 1, 2).simple().error).toBe(E.EINVAL);
    expect(c.request(CMD.WRITE, MiB - 1, 2, { data: Uint8Array.of(1, 2) }).simple().error).toBe(E.ENOSPC);
    expect(c.request(42, 0, 0).simple().error).toBe(E.EINVAL);
    expect(c.request(CMD.BLOCK_STATUS, 0, 512).simple().error).toBe(E.EINVAL); // no meta context
    // the connection survives: a read still works (the failed write's payload was consumed)
    expect(c.request(CMD.READ, 0, 1).simple().error).toBe(0);
    const ro = open(false, 'ro');
    expect(ro.request(CMD.WRITE, 0, 1, { data: Uint8Array.of(1) }).simple().error).toBe(E.EPERM);
    expect(ro.request(CMD.TRIM, 0, 512).simple().error).toBe(E.EPERM);
  });

  it('enforces advertised block sizes', () => {
    const c = open(false, 'aligned');
    expect(c.request(CMD.READ, 100, 512).simple().error).toBe(E.EINVAL);
    expect(c.request(CMD.READ, 512, 131072).simple().error).toBe(E.EINVAL);
    expect(c.request(CMD.READ, 512, 512).simple().error).toBe(0);
  });

  it('DISC closes once the replies in flight are out; bad request magic closes at once', () => {
    const c = open(false);
    c.request(CMD.DISC, 0, 0);
    expect(c.closed).toBe(true);
    const d = open(false);
    d.send(new Uint8Array(28).fill(0x55));
    expect(d.closed).toBe(true);
  });
});

describe('server transmission, structured replies', () => {
  it('a sparse READ comes back as HOLE and DATA chunks, DONE on the last', () => {
    const c = open(true);
    c.request(CMD.WRITE, 8192, 4096, { data: new Uint8Array(4096).fill(7) });
    const r = c.request(CMD.READ, 0, 12288, { cookie: 3 });
    const hole = r.chunk();
    expect([hole.type, hole.flags, hole.cookie]).toEqual([CHUNK.OFFSET_HOLE, 0, 3]);
    expect([hole.data.u64(), hole.data.u32()]).toEqual([0, 8192]);
    const data = r.chunk();
    expect([data.type, data.flags]).toEqual([CHUNK.OFFSET_DATA, DONE]);
    expect(data.data.u64()).toBe(8192);
    expect(data.data.bytes(4096).every((b) => b === 7)).toBe(true);
    expect(r.left).toBe(0);
  });

  it('DF gives one OFFSET_DATA chunk with the holes as zeroes', () => {
    const c = open(true);
    const r = c.request(CMD.READ, 0, 8192, { flags: FLAG.DF });
    const ch = r.chunk();
    expect([ch.type, ch.flags]).toEqual([CHUNK.OFFSET_DATA, DONE]);
    expect(ch.data.u64()).toBe(0);
    expect(ch.data.left).toBe(8192);
  });

  it('BLOCK_STATUS describes base:allocation; REQ_ONE gives one extent', () => {
    const c = open(true);
    c.request(CMD.WRITE, 4096, 4096, { data: new Uint8Array(4096).fill(1) });
    const r = c.request(CMD.BLOCK_STATUS, 0, 16384, { cookie: 9 });
    const ch = r.chunk();
    expect([ch.type, ch.flags, ch.cookie]).toEqual([CHUNK.BLOCK_STATUS, DONE, 9]);
    expect(ch.data.u32()).toBe(1); // context id given at SET_META_CONTEXT
    const ext: number[] = [];
    while (ch.data.left > 0) ext.push(ch.data.u32());
    // hole+zero (3), data (0), hole+zero (3)
    expect(ext).toEqual([4096, 3, 4096, 0, 8192, 3]);
    const one = c.request(CMD.BLOCK_STATUS, 0, 16384, { flags: FLAG.REQ_ONE }).chunk();
    one.data.u32();
    expect([one.data.u32(), one.data.u32(), one.data.left]).toEqual([4096, 3, 0]);
  });

  it('errors come as an ERROR chunk with DONE; success without data as NONE', () => {
    const c = open(true);
    const err = c.request(CMD.READ, MiB, 1).chunk();
    expect([err.type, err.flags]).toEqual([CHUNK.ERROR, DONE]);
    expect(err.data.u32()).toBe(E.EINVAL);
    const ok = c.request(CMD.FLUSH, 0, 0).chunk();
    expect([ok.type, ok.flags, ok.data.left]).toEqual([CHUNK.NONE, DONE, 0]);
  });
});

describe('server fault knobs', () => {
  it('EIO on a range fails only requests touching it', () => {
    const c = open(false);
    c.server.faults.io.add({ error: 'EIO', ops: ['read'], from: 4096, to: 8192 });
    expect(c.request(CMD.READ, 0, 4096).simple().error).toBe(0);
    c.take();
    expect(c.request(CMD.READ, 8000, 200).simple().error).toBe(E.EIO);
    expect(c.request(CMD.WRITE, 4096, 1, { data: Uint8Array.of(1) }).simple().error).toBe(0);
  });

  it('slow responses: replies leave after delayNs of virtual time', () => {
    const c = open(false);
    c.server.faults.delayNs = 5_000_000;
    expect(c.request(CMD.FLUSH, 0, 0).left).toBe(0);
    c.engine.runUntil(4_999_999);
    expect(c.take().length).toBe(0);
    c.engine.runUntil(5_000_000);
    expect(new Reader(c.take()).simple().error).toBe(0);
  });

  it('hang: nothing is answered until the knob is cleared', () => {
    const c = open(false);
    c.server.setHang(true);
    expect(c.request(CMD.FLUSH, 0, 0, { cookie: 4 }).left).toBe(0);
    c.server.setHang(false);
    expect(new Reader(c.take()).simple().cookie).toBe(4);
  });

  it('misbehaviour: bad magic, wrong cookie, unknown chunk, unsolicited reply, truncated reply', () => {
    const c = open(true);
    const f = c.server.faults;
    f.misbehave('bad-magic');
    const bad = c.request(CMD.FLUSH, 0, 0).b;
    expect(bad[0]).toBe(0x66 ^ 0xff);
    f.misbehave('wrong-cookie');
    const wc = c.request(CMD.FLUSH, 0, 0, { cookie: 0x77 }).chunk();
    expect(wc.cookie).toBe(0x77); // lo half intact, hi half flipped
    f.misbehave('unknown-chunk');
    const uc = c.request(CMD.FLUSH, 0, 0, { cookie: 2 });
    const first = uc.chunk();
    expect([first.type, first.cookie]).toEqual([0x7ff0, 2]);
    expect(uc.chunk().type).toBe(CHUNK.NONE);
    f.misbehave('unsolicited-reply');
    const us = c.request(CMD.FLUSH, 0, 0, { cookie: 3 });
    expect(us.chunk().cookie).toBe(0xfffffff0);
    expect(us.chunk().cookie).toBe(3);
    f.misbehave('truncated-reply');
    const tr = c.request(CMD.FLUSH, 0, 0);
    expect(tr.b.length).toBe(10);
    expect(c.closed).toBe(true);
  });
});

describe('server on the virtual disk', () => {
  it('reply time is the disk service time', () => {
    const engine = new Engine({ seed: 3 });
    const model: ServiceTimeModel = {
      name: 't', latencyNs: { read: 50_000, write: 20_000, flush: 1_000_000, trim: 1000, zero: 1000, status: 1000 },
      bandwidth: 1e9, queueDepth: 4, jitter: 0,
    };
    const disk = new VirtualDisk(engine, { name: 'srv/disk0', size: MiB, model });
    const c = open(false, 'disk', new Conn(cfg(disk), '10.0.0.2', engine));
    expect(c.request(CMD.READ, 0, 4096, { cookie: 1 }).left).toBe(0);
    engine.run();
    // 50 µs access + 4096 B at 1 B/ns
    expect(engine.now).toBe(54_096);
    const r = new Reader(c.take());
    expect(r.simple()).toEqual({ error: 0, cookie: 1 });
  });
});
