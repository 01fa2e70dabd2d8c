// The disk's reused per-request state: read buffer and extent records valid during the callback,
// request records reused after completion and after a crash, page walks without callbacks.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../hw-sim/engine/index.ts';
import { PageRun, VirtualDisk, type Extent, type ServiceTimeModel } from '../../../hw-sim/disk/index.ts';

const model: ServiceTimeModel = {
  name: 't', latencyNs: { read: 1000, write: 1000, flush: 1000, trim: 100, zero: 100, status: 100 },
  bandwidth: 1e9, queueDepth: 4, jitter: 0,
};

function setup() {
  const engine = new Engine({ seed: 1, trace: false });
  const disk = new VirtualDisk(engine, { name: 'srv/disk0', size: 1 << 20, model, pageSize: 4096 });
  return { engine, disk };
}

const bytes = (n: number, v: number) => new Uint8Array(n).fill(v);

describe('reads with the pooled buffer', () => {
  it('every callback sees its own bytes and extents, for reads of any size completing back to back', () => {
    const { engine, disk } = setup();
    disk.write(4096, bytes(4096, 0x11), false, () => {});
    disk.write(12288, bytes(4096, 0x22), false, () => {});
    engine.run();
    const seen: { first: number; last: number; len: number; extents: Extent[] }[] = [];
    const keep = (_e: unknown, data: Uint8Array | null, ext: readonly Extent[] | null) => {
      seen.push({ first: data![0]!, last: data![data!.length - 1]!, len: data!.length, extents: ext!.map((x) => ({ ...x })) });
    };
    // Pages: 0 hole, 1 = 0x11, 2 hole, 3 = 0x22.
    disk.read(4096, 4096, keep);
    disk.read(0, 16384, keep);
    disk.read(8192 + 4000, 200, keep);
    disk.read(12288, 10, keep);
    engine.run();
    expect(seen).toEqual([
      { first: 0x11, last: 0x11, len: 4096, extents: [{ length: 4096, hole: false, zero: false }] },
      {
        first: 0, last: 0x22, len: 16384, extents: [
          { length: 4096, hole: true, zero: true }, { length: 4096, hole: false, zero: false },
          { length: 4096, hole: true, zero: true }, { length: 4096, hole: false, zero: false },
        ],
      },
      { first: 0, last: 0x22, len: 200, extents: [{ length: 96, hole: true, zero: true }, { length: 104, hole: false, zero: false }] },
      { first: 0x22, last: 0x22, len: 10, extents: [{ length: 10, hole: false, zero: false }] },
    ]);
  });

  it('neighbouring pages (carved from one slab) keep their own contents through cache, flush and crash', () => {
    const { engine, disk } = setup();
    for (let p = 0; p < 8; p++) disk.write(p * 4096, bytes(4096, p + 1), false, () => {});
    engine.run();
    disk.flush(() => {});
    engine.run();
    disk.write(4096, bytes(4096, 0x99), false, () => {});
    engine.run();
    disk.crash();
    for (let p = 0; p < 8; p++) expect(disk.peek(p * 4096, 4096)).toEqual(bytes(4096, p + 1));
  });
});

describe('whole-page reads (the page is lent, not copied)', () => {
  it('see the cached page, then the flushed one, and a later write does not reach bytes already seen', () => {
    const { engine, disk } = setup();
    disk.write(8192, bytes(4096, 0x33), false, () => {});
    engine.run();
    const firsts: number[] = [];
    const seen = (_e: unknown, d: Uint8Array | null) => {
      expect(d!.length).toBe(4096);
      firsts.push(d![0]!, d![4095]!);
    };
    disk.read(8192, 4096, seen); // from the write cache
    engine.run();
    disk.flush(() => {});
    engine.run();
    disk.read(8192, 4096, seen); // from the media
    disk.write(8192, bytes(4096, 0x44), false, () => {}); // completes after the read
    engine.run();
    disk.read(8192, 4096, seen);
    disk.read(0, 4096, seen); // a hole: the pooled buffer, zeroes
    engine.run();
    expect(firsts).toEqual([0x33, 0x33, 0x33, 0x33, 0x44, 0x44, 0, 0]);
    // What the callbacks saw was never written through: the contents are the writes' own.
    expect(disk.peek(8192, 4096)).toEqual(bytes(4096, 0x44));
    disk.crash(); // the unflushed 0x44 is lost, the flushed 0x33 stays
    expect(disk.peek(8192, 4096)).toEqual(bytes(4096, 0x33));
  });
});

describe('request records', () => {
  it('requests dropped by a crash never call back; the disk serves new requests correctly afterwards', () => {
    const { engine, disk } = setup();
    let late = 0;
    for (let i = 0; i < 10; i++) disk.write(i * 4096, bytes(4096, 0xaa), false, () => late++);
    engine.schedule(500, () => disk.crash());
    engine.run();
    expect(late).toBe(0);
    const done: number[] = [];
    for (let i = 0; i < 10; i++) disk.write(i * 4096, bytes(4096, i + 1), false, (e) => done.push(e === null ? i : -1));
    engine.run();
    expect(done.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const got: number[] = [];
    for (let i = 0; i < 10; i++) disk.read(i * 4096, 1, (_e, d) => got.push(d![0]!));
    engine.run();
    expect(got).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(disk.stats.crashes).toBe(1);
    expect(disk.stats.writes).toBe(10);
  });
});

describe('PageRun', () => {
  it('walks a range page by page: index, offset in page, bytes, bytes before', () => {
    const c = new PageRun(4096);
    const runs: number[][] = [];
    for (c.start(4000, 8300); c.next();) runs.push([c.idx, c.inPage, c.n, c.done]);
    // [4000, 12300): 96 bytes of page 0, pages 1 and 2 whole, 12 bytes of page 3.
    expect(runs).toEqual([[0, 4000, 96, 0], [1, 0, 4096, 96], [2, 0, 4096, 4192], [3, 0, 12, 8288]]);
    const none: number[] = [];
    for (c.start(100, 0); c.next();) none.push(c.idx);
    expect(none).toEqual([]);
  });
});
