import { describe, expect, it } from 'vitest';
import { Engine } from '../../../hw-sim/engine/index.ts';
import { fillPrefill, isPrefillChunk, VirtualDisk, type Extent, type ServiceTimeModel } from '../../../hw-sim/disk/index.ts';

const FAST: ServiceTimeModel = {
  name: 'fast', latencyNs: { read: 1000, write: 1000, flush: 1000, trim: 1000, zero: 1000, status: 1000 }, bandwidth: 1e9, queueDepth: 4, jitter: 0,
};

function prefilled(writeCache = true) {
  const engine = new Engine({ seed: 1 });
  const disk = new VirtualDisk(engine, { name: 'srv/disk0', size: 1 << 20, model: FAST, writeCache, prefill: 'pattern' });
  return { engine, disk };
}

function readNow(engine: Engine, disk: VirtualDisk, off: number, len: number): { data: Uint8Array; extents: Extent[] } {
  let out: { data: Uint8Array; extents: Extent[] } | undefined;
  disk.read(off, len, (err, data, extents) => {
    expect(err).toBeNull();
    out = { data: data!.slice(), extents: extents!.map((e) => ({ ...e })) };
  });
  engine.run();
  return out!;
}

describe('prefill pattern', () => {
  it('names its chunk: magic ORPF, the offset, then bytes (offset/512·7 + i·31) mod 256', () => {
    const b = new Uint8Array(512);
    fillPrefill(b, 0, 4096, 512);
    expect([...b.subarray(0, 12)]).toEqual([0x46, 0x50, 0x52, 0x4f, 0x00, 0x10, 0, 0, 0, 0, 0, 0]);
    // chunk 8: 8·7 + 12·31 = 428 → 172; i = 511: 56 + 15841 = 15897 → 25
    expect(b[12]).toBe(172);
    expect(b[511]).toBe(25);
    expect(isPrefillChunk(b, 0, 4096)).toBe(true);
    expect(isPrefillChunk(b, 0, 4608)).toBe(false);
    b[300] = b[300]! ^ 1;
    expect(isPrefillChunk(b, 0, 4096)).toBe(false);
  });

  it('an offset above 4 GiB is written as two 32-bit halves', () => {
    const b = new Uint8Array(512);
    fillPrefill(b, 0, 5 * 2 ** 32 + 512, 512);
    expect([...b.subarray(4, 12)]).toEqual([0x00, 0x02, 0, 0, 5, 0, 0, 0]);
  });

  it('a never-written export reads as the pattern and reports data, not holes, with nothing allocated', () => {
    const { engine, disk } = prefilled();
    const { data, extents } = readNow(engine, disk, 8192, 8192);
    for (let c = 0; c < 8192; c += 512) expect(isPrefillChunk(data, c, 8192 + c)).toBe(true);
    expect(extents).toEqual([{ length: 8192, hole: false, zero: false }]);
    expect(disk.allocatedBytes).toBe(0);
  });

  it('a partial write keeps the pattern around it; a crash before the flush brings the pattern back', () => {
    const { engine, disk } = prefilled();
    disk.write(4096 + 1024, new Uint8Array(512).fill(0xee), false, () => {});
    engine.run();
    const after = readNow(engine, disk, 4096, 4096).data;
    expect(isPrefillChunk(after, 512, 4096 + 512)).toBe(true);
    expect(after.subarray(1024, 1536).every((x) => x === 0xee)).toBe(true);
    expect(isPrefillChunk(after, 1536, 4096 + 1536)).toBe(true);
    disk.crash();
    const back = readNow(engine, disk, 4096, 4096).data;
    for (let c = 0; c < 4096; c += 512) expect(isPrefillChunk(back, c, 4096 + c)).toBe(true);
  });

  it('a FUA write on a never-written page lands on the media with the pattern around it', () => {
    const { engine, disk } = prefilled();
    disk.write(0, new Uint8Array(512).fill(0xab), true, () => {});
    engine.run();
    const durable = disk.peekDurable(0, 4096);
    expect(durable.subarray(0, 512).every((x) => x === 0xab)).toBe(true);
    expect(isPrefillChunk(durable, 512, 512)).toBe(true);
  });

  it('a trimmed page reads as zeros and is a hole, before and after the flush and a crash', () => {
    const { engine, disk } = prefilled();
    disk.trim(0, 4096, false, () => {});
    engine.run();
    expect(readNow(engine, disk, 0, 4096).data.every((x) => x === 0)).toBe(true);
    disk.flush(() => {});
    engine.run();
    disk.crash();
    const { data, extents } = readNow(engine, disk, 0, 8192);
    expect(data.subarray(0, 4096).every((x) => x === 0)).toBe(true);
    expect(isPrefillChunk(data, 4096, 4096)).toBe(true);
    expect(extents).toEqual([{ length: 4096, hole: true, zero: true }, { length: 4096, hole: false, zero: false }]);
  });

  it('write-through: a trim reaches the media at once', () => {
    const { engine, disk } = prefilled(false);
    disk.trim(0, 4096, false, () => {});
    engine.run();
    expect(disk.peekDurable(0, 4096).every((x) => x === 0)).toBe(true);
    expect(isPrefillChunk(disk.peekDurable(4096, 512), 0, 4096)).toBe(true);
  });
});
