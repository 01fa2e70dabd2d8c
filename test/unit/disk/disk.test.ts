import { describe, expect, it } from 'vitest';
import { Engine } from '../../../hw-sim/engine/index.ts';
import { DISK_PRESETS, VirtualDisk, type BlockError, type Extent, type ServiceTimeModel } from '../../../hw-sim/disk/index.ts';
import { MemoryStore } from '../../../scenarios/hosts/nbd-server/store/index.ts';

/** 100 µs per op, 1 byte/ns channel, two slots, no jitter: times are easy to derive by hand. */
const SIMPLE: ServiceTimeModel = {
  name: 'simple',
  latencyNs: { read: 100_000, write: 100_000, flush: 50_000, trim: 10_000, zero: 10_000, status: 1_000 },
  bandwidth: 1e9,
  queueDepth: 2,
  jitter: 0,
};

function setup(model: ServiceTimeModel | string = SIMPLE, size = 1 << 20) {
  const engine = new Engine({ seed: 7 });
  const disk = new VirtualDisk(engine, { name: 'srv/disk0', size, model });
  return { engine, disk };
}

const fill = (n: number, byte: number) => new Uint8Array(n).fill(byte);

describe('VirtualDisk service time', () => {
  it('charges op latency plus transfer time on a shared channel, and queues beyond the depth', () => {
    const { engine, disk } = setup();
    const doneAt: number[] = [];
    for (let i = 0; i < 3; i++) disk.read(i * 1000, 1000, () => doneAt.push(engine.now));
    expect(disk.inFlight).toBe(2);
    expect(disk.queued).toBe(1);
    engine.run();
    // r0: 100 µs access, then 1000 ns transfer. r1: access overlaps, waits for the channel.
    // r2: waits for a slot until r0 completes at 101 µs, then its own 100 µs + 1 µs.
    expect(doneAt).toEqual([101_000, 102_000, 202_000]);
  });

  it('presets are ordered by speed: ram < nvme < ssd < hdd for a 4 KiB read', () => {
    const t = (name: string) => {
      const { engine, disk } = setup(name);
      let at = -1;
      disk.read(0, 4096, () => { at = engine.now; });
      engine.run();
      return at;
    };
    const [ram, nvme, ssd, hdd] = ['ram', 'nvme', 'ssd', 'hdd'].map(t) as [number, number, number, number];
    expect(ram).toBeLessThan(2_000);
    expect(nvme).toBeGreaterThan(ram);
    expect(ssd).toBeGreaterThan(nvme);
    expect(hdd).toBeGreaterThan(1_000_000);
    expect(DISK_PRESETS.hdd.queueDepth).toBe(1);
  });

  it('a bulk transfer is capped by the bandwidth', () => {
    const { engine, disk } = setup();
    for (let i = 0; i < 10; i++) disk.write(i * 65536, fill(65536, 1), false, () => {});
    engine.run();
    // 640 KiB at 1 byte/ns is at least 655 360 ns however many slots there are.
    expect(engine.now).toBeGreaterThanOrEqual(655_360);
    expect(engine.now).toBeLessThan(655_360 + 6 * 100_000);
  });

  it('rejects an unknown preset with its name', () => {
    expect(() => setup('floppy')).toThrow(/unknown disk preset 'floppy'/);
  });
});

describe('VirtualDisk data and write cache', () => {
  it('reads back what was written, zeroes where nothing was', () => {
    const { engine, disk } = setup();
    disk.write(10, Uint8Array.of(1, 2, 3), false, () => {});
    let got: Uint8Array | null = null;
    engine.run();
    disk.read(8, 7, (err, data) => { expect(err).toBeNull(); got = data; });
    engine.run();
    expect([...got!]).toEqual([0, 0, 1, 2, 3, 0, 0]);
  });

  it('a crash loses exactly the writes completed since the last flush, keeping FUA writes', () => {
    const { engine, disk } = setup();
    disk.write(0, fill(100, 0xaa), false, () => {});
    engine.run();
    disk.flush(() => {});
    engine.run();
    disk.write(50, fill(10, 0xbb), false, () => {}); // same page as the flushed write, unflushed
    disk.write(8192, fill(4096, 0xcc), false, () => {}); // unflushed page
    disk.write(16384, fill(8, 0xdd), true, () => {}); // FUA
    engine.run();
    expect(disk.dirtyPages).toBe(3);
    disk.crash();
    expect([...disk.peek(0, 100)]).toEqual([...fill(100, 0xaa)]);
    expect(disk.peek(8192, 4096).every((b) => b === 0)).toBe(true);
    expect([...disk.peek(16384, 8)]).toEqual([...fill(8, 0xdd)]);
    expect(disk.dirtyPages).toBe(0);
  });

  it('a crash drops in-flight requests without completing them', () => {
    const { engine, disk } = setup();
    let called = 0;
    disk.write(0, fill(10, 1), false, () => called++);
    disk.read(0, 10, () => called++);
    disk.read(0, 10, () => called++);
    engine.runUntil(50_000);
    disk.crash();
    engine.run();
    expect(called).toBe(0);
    expect(disk.inFlight + disk.queued).toBe(0);
  });

  it('an unflushed trim is undone by a crash; a flushed one deallocates', () => {
    const { engine, disk } = setup();
    disk.write(0, fill(8192, 7), true, () => {});
    engine.run();
    expect(disk.allocatedBytes).toBe(8192);
    disk.trim(0, 4096, false, () => {});
    engine.run();
    expect(disk.peek(0, 4).every((b) => b === 0)).toBe(true);
    disk.crash();
    expect([...disk.peek(0, 4)]).toEqual([7, 7, 7, 7]);
    disk.trim(0, 4096, false, () => {});
    disk.flush(() => {});
    engine.run();
    expect(disk.allocatedBytes).toBe(4096);
  });

  it('block status reports holes and data by page, merged', () => {
    const { engine, disk } = setup();
    disk.write(4096, fill(5000, 1), false, () => {}); // pages 1 and 2
    disk.zero(3 * 4096, 4096, false, false, () => {}); // page 3 allocated, zero
    let ext: readonly Extent[] | null = null;
    engine.run();
    disk.blockStatus(0, 5 * 4096, (_e, x) => { ext = x; });
    engine.run();
    expect(ext).toEqual([
      { length: 4096, hole: true, zero: true },
      { length: 3 * 4096, hole: false, zero: false },
      { length: 4096, hole: true, zero: true },
    ]);
  });

  it('requests beyond the end fail with ENOSPC, negative ones with EINVAL', () => {
    const { engine, disk } = setup(SIMPLE, 8192);
    const errs: (BlockError | null)[] = [];
    disk.write(8190, fill(4, 1), false, (e) => errs.push(e));
    disk.read(-1, 4, (e) => errs.push(e));
    engine.run();
    expect(errs).toEqual(['ENOSPC', 'EINVAL']);
  });
});

describe('VirtualDisk faults', () => {
  it('fails requests touching a faulty range and leaves the rest alone', () => {
    const { engine, disk } = setup();
    const id = disk.faults.add({ error: 'EIO', ops: ['read'], from: 4096, to: 8192 });
    const errs: (BlockError | null)[] = [];
    disk.read(0, 4096, (e) => { errs[0] = e; });
    disk.read(4000, 200, (e) => { errs[1] = e; });
    disk.write(4096, fill(1, 1), false, (e) => { errs[2] = e; });
    engine.run();
    expect(errs).toEqual([null, 'EIO', null]);
    disk.faults.remove(id);
    disk.read(4096, 1, (e) => { errs[3] = e; });
    engine.run();
    expect(errs[3]).toBeNull();
  });

  it('a rate fault fires about that often and replays exactly from the seed', () => {
    const run = () => {
      const { engine, disk } = setup(DISK_PRESETS.ram);
      disk.faults.add({ error: 'ENOSPC', ops: ['write'], rate: 0.25, stream: 'srv/disk0/enospc' });
      const out: boolean[] = [];
      for (let i = 0; i < 2000; i++) disk.write(i * 512, fill(512, 1), false, (e) => out.push(e === 'ENOSPC'));
      engine.run();
      return out;
    };
    const a = run();
    const n = a.filter(Boolean).length;
    // Binomial(2000, 0.25): mean 500, sd ≈ 19.4; ±5 sd.
    expect(n).toBeGreaterThan(403);
    expect(n).toBeLessThan(597);
    expect(run()).toEqual(a);
  });

  it('flush fails only for rules that name it or cover the whole device', () => {
    const { engine, disk } = setup();
    const errs: (BlockError | null)[] = [];
    const ranged = disk.faults.add({ error: 'EIO', from: 0, to: 4096 });
    disk.flush((e) => errs.push(e));
    engine.run();
    disk.faults.remove(ranged);
    disk.faults.add({ error: 'EIO', ops: ['flush'], from: 0, to: 4096 });
    disk.flush((e) => errs.push(e));
    engine.run();
    disk.faults.clear();
    disk.faults.add({ error: 'ENOSPC' });
    disk.flush((e) => errs.push(e));
    engine.run();
    expect(errs).toEqual([null, 'EIO', 'ENOSPC']);
  });

  it('a failed write changes nothing', () => {
    const { engine, disk } = setup();
    disk.faults.add({ error: 'EIO' });
    disk.write(0, fill(4, 9), false, () => {});
    engine.run();
    expect(disk.peek(0, 4).every((b) => b === 0)).toBe(true);
  });
});

describe('VirtualDisk stats', () => {
  it('counts completed ops, bytes and errors', () => {
    const { engine, disk } = setup();
    disk.write(0, fill(1000, 1), false, () => {});
    disk.read(0, 300, () => {});
    disk.read(2 << 20, 1, () => {}); // past the end: an error
    disk.flush(() => {});
    engine.run();
    const s = disk.stats;
    expect([s.writes, s.bytesWritten, s.reads, s.bytesRead, s.flushes, s.errors]).toEqual([1, 1000, 1, 300, 1, 1]);
  });
});

describe('VirtualDisk trace', () => {
  it('records submit and done with the service time', () => {
    const { engine, disk } = setup();
    const kinds: string[] = [];
    let ns = -1;
    engine.trace.subscribe((r) => {
      kinds.push(`${r.src} ${r.kind}`);
      if (r.kind === 'disk.done') ns = (r.data as { ns: number }).ns;
    });
    disk.flush(() => {});
    engine.run();
    expect(kinds).toEqual(['srv/disk0 disk.submit', 'srv/disk0 disk.done']);
    expect(ns).toBe(50_000);
  });
});

describe('MemoryStore', () => {
  it('completes synchronously, sparse, with extents on read', () => {
    const m = new MemoryStore(1 << 20, 4096);
    let ok = false;
    m.write(4096, fill(4096, 3), false, (e) => { ok = e === null; });
    expect(ok).toBe(true);
    m.read(0, 8192, (e, data, ext) => {
      expect(e).toBeNull();
      expect(data![0]).toBe(0);
      expect(data![4096]).toBe(3);
      expect(ext).toEqual([{ length: 4096, hole: true, zero: true }, { length: 4096, hole: false, zero: false }]);
    });
    m.trim(4096, 4096, false, () => {});
    expect(m.allocatedBytes).toBe(0);
    m.write(1 << 20, fill(1, 1), false, (e) => expect(e).toBe('ENOSPC'));
  });
});
