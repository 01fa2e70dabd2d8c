import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BLK_STS, REQ_FUA, REQ_OP } from '../../../kernel/block/types.ts';
import { ManualDriver, addDisk, makeKernel, submit, type BioResult } from './helpers.ts';
import { blkMqComplete } from '../../../kernel/block/api.ts';
import { rqCopyIn, rqCopyOut, type Request } from '../../../kernel/block/request.ts';

const KiB4 = 4096; // 8 sectors

describe('blk-mq merging', () => {
  it('back-merges adjacent bios in a plug into one request', () => {
    const { engine, kernel } = makeKernel();
    const drv = new ManualDriver();
    const disk = addDisk(kernel, drv);
    const res = new Map<string, BioResult>();
    const plug = disk.startPlug();
    submit(disk, res, 'a', REQ_OP.WRITE, 0, KiB4, 0, { plug });
    submit(disk, res, 'b', REQ_OP.WRITE, 8, KiB4, 0, { plug });
    submit(disk, res, 'c', REQ_OP.WRITE, 16, KiB4, 0, { plug });
    expect(drv.seen).toHaveLength(0); // plugged
    disk.finishPlug(plug);
    expect(drv.seen).toHaveLength(1);
    expect(drv.seen[0]).toMatchObject({ op: 'write', sector: 0, sectors: 24, bios: 3 });
    expect(kernel.stats.num('block/vda/merges/back')).toBe(2);
    blkMqComplete(drv.held[0]!, 0);
    engine.run();
    expect([...res.values()].map((r) => r.status)).toEqual([0, 0, 0]);
  });

  it('front-merges a bio that ends where a waiting request starts', () => {
    const { kernel } = makeKernel();
    const drv = new ManualDriver();
    const disk = addDisk(kernel, drv);
    const res = new Map<string, BioResult>();
    const plug = disk.startPlug();
    submit(disk, res, 'c', REQ_OP.READ, 16, KiB4, 0, { plug });
    submit(disk, res, 'b', REQ_OP.READ, 8, KiB4, 0, { plug });
    submit(disk, res, 'a', REQ_OP.READ, 0, KiB4, 0, { plug });
    disk.finishPlug(plug);
    expect(drv.seen).toEqual([expect.objectContaining({ op: 'read', sector: 0, sectors: 24, bios: 3 })]);
    expect(kernel.stats.num('block/vda/merges/front')).toBe(2);
    // bios are kept in sector order inside the request
    expect(drv.held[0]!.bios.slice(0, 3).map((b) => b!.sector)).toEqual([0, 8, 16]);
  });

  it('does not merge non-adjacent bios, different ops, or FUA writes', () => {
    const { kernel } = makeKernel();
    const drv = new ManualDriver();
    const disk = addDisk(kernel, drv, { limits: { writeCache: true, fua: true } });
    const res = new Map<string, BioResult>();
    const plug = disk.startPlug();
    submit(disk, res, 'a', REQ_OP.WRITE, 0, KiB4, 0, { plug });
    submit(disk, res, 'gap', REQ_OP.WRITE, 16, KiB4, 0, { plug }); // hole at 8..16
    submit(disk, res, 'read', REQ_OP.READ, 8, KiB4, 0, { plug }); // adjacent but a read
    submit(disk, res, 'fua', REQ_OP.WRITE, 24, KiB4, REQ_FUA, { plug }); // adjacent to 'gap' but FUA
    disk.finishPlug(plug);
    expect(drv.seen.map((s) => [s.op, s.sector, s.sectors])).toEqual([
      ['write', 0, 8],
      ['write', 16, 8],
      ['read', 8, 8],
      ['write', 24, 8],
    ]);
  });

  it('respects max_sectors and max_segments', () => {
    for (const limits of [{ maxSectors: 16 }, { maxSegments: 2 }]) {
      const { kernel } = makeKernel();
      const drv = new ManualDriver();
      const disk = addDisk(kernel, drv, { limits });
      const res = new Map<string, BioResult>();
      const plug = disk.startPlug();
      for (let i = 0; i < 3; i++) submit(disk, res, `b${i}`, REQ_OP.WRITE, i * 8, KiB4, 0, { plug });
      disk.finishPlug(plug);
      expect(drv.seen.map((s) => [s.sector, s.sectors, s.bios])).toEqual([
        [0, 16, 2],
        [16, 8, 1],
      ]);
    }
  });

  it('merges into requests waiting in the scheduler while the driver is full (no plug)', () => {
    const { engine, kernel } = makeKernel();
    const drv = new ManualDriver();
    const disk = addDisk(kernel, drv, { queueDepth: 1, scheduler: 'mq-deadline' });
    const res = new Map<string, BioResult>();
    submit(disk, res, 'first', REQ_OP.WRITE, 1000, KiB4); // takes the only driver tag
    submit(disk, res, 'a', REQ_OP.WRITE, 0, KiB4);
    submit(disk, res, 'b', REQ_OP.WRITE, 8, KiB4);
    expect(drv.seen).toHaveLength(1);
    blkMqComplete(drv.take(drv.held[0]!), 0);
    engine.run();
    expect(drv.seen[1]).toMatchObject({ sector: 0, sectors: 16, bios: 2 });
    expect(res.get('first')?.status).toBe(0);
  });
});

describe('blk-mq merging (property)', () => {
  it('requests are contiguous runs of whole bios within the limits, and cover every bio once', () => {
    fc.assert(
      fc.property(
        fc.record({
          maxSectors: fc.integer({ min: 8, max: 64 }),
          maxSegments: fc.integer({ min: 1, max: 6 }),
          bios: fc.array(fc.record({ block: fc.integer({ min: 0, max: 20 }), write: fc.boolean() }), { minLength: 1, maxLength: 40 }),
        }),
        ({ maxSectors, maxSegments, bios }) => {
          const { kernel } = makeKernel();
          const reqs: Array<{ op: number; sector: number; sectors: number; parts: Array<[number, number]> }> = [];
          const disk = addDisk(kernel, {
            queueRq(_h, rq) {
              const parts: Array<[number, number]> = [];
              for (let i = 0; i < rq.nrBios; i++) parts.push([rq.bios[i]!.sector, rq.bios[i]!.sectors]);
              reqs.push({ op: rq.op, sector: rq.sector, sectors: rq.nrSectors, parts });
              return BLK_STS.OK;
            },
          }, { queueDepth: 64, limits: { maxSectors, maxSegments } });
          const res = new Map<string, BioResult>();
          const plug = disk.startPlug();
          bios.forEach((b, i) => submit(disk, res, `b${i}`, b.write ? REQ_OP.WRITE : REQ_OP.READ, b.block * 8, 4096, 0, { plug }));
          disk.finishPlug(plug);
          const seen: string[] = [];
          for (const r of reqs) {
            expect(r.sectors).toBeLessThanOrEqual(Math.max(8, maxSectors));
            expect(r.parts.length).toBeLessThanOrEqual(maxSegments);
            let at = r.sector;
            for (const [s, n] of r.parts) {
              expect(s).toBe(at); // bios in order, no gap, no overlap
              at += n;
              seen.push(`${r.op}:${s}`);
            }
            expect(at).toBe(r.sector + r.sectors);
          }
          const want = bios.map((b) => `${b.write ? REQ_OP.WRITE : REQ_OP.READ}:${b.block * 8}`);
          expect(seen.sort()).toEqual(want.sort());
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('request data helpers', () => {
  it('rqCopyOut gathers a merged write bio by bio; rqCopyIn scatters a read', () => {
    const { kernel } = makeKernel();
    const drv = new ManualDriver();
    const disk = addDisk(kernel, drv);
    const res = new Map<string, BioResult>();
    const plug = disk.startPlug();
    const a = new Uint8Array(512).fill(1);
    const b = new Uint8Array(1024).fill(2);
    submit(disk, res, 'a', REQ_OP.WRITE, 0, 512, 0, { plug, data: a });
    submit(disk, res, 'b', REQ_OP.WRITE, 1, 1024, 0, { plug, data: b });
    const ra = new Uint8Array(512);
    const rb = new Uint8Array(1024);
    submit(disk, res, 'ra', REQ_OP.READ, 100, 512, 0, { plug, data: ra });
    submit(disk, res, 'rb', REQ_OP.READ, 101, 1024, 0, { plug, data: rb });
    disk.finishPlug(plug);
    const [w, r] = drv.held as [Request, Request];
    const out = new Uint8Array(1536 + 4);
    expect(rqCopyOut(w, out, 4)).toBe(1536);
    expect(Array.from(out.subarray(0, 6))).toEqual([0, 0, 0, 0, 1, 1]);
    expect(out[4 + 511]).toBe(1);
    expect(out[4 + 512]).toBe(2);
    expect(out[4 + 1535]).toBe(2);
    const src = new Uint8Array(1536).map((_, i) => i & 255);
    expect(rqCopyIn(r, src)).toBe(1536);
    expect(ra[5]).toBe(5);
    expect(rb[0]).toBe(512 & 255);
    expect(rb[1023]).toBe(1535 & 255);
  });
});
