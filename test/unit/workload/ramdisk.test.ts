import { describe, expect, it } from 'vitest';
import { Engine } from '../../../hw-sim/engine/engine.ts';
import { Kernel, createHostHardware } from '../../../kernel/core/kernel.ts';
import { createRamdisk, type RamdiskResources } from '../../../drivers/ramdisk/driver.ts';
import { Workload } from '../../../scenarios/workload/workload.ts';
import type { JobSpec } from '../../../scenarios/workload/spec.ts';
import type { OpRecord } from '../../../scenarios/workload/history.ts';
import { Bio } from '../../../kernel/block/bio.ts';
import { REQ_OP } from '../../../kernel/block/types.ts';

function host(seed: number | string, res: Partial<RamdiskResources> = {}) {
  const engine = new Engine({ seed });
  const kernel = new Kernel(engine, 'client', createHostHardware(engine, 'client', { cores: 2 }));
  const rd = createRamdisk(kernel, 'ram0', { irq: 9, sizeBytes: 1 << 20, ...res });
  return { engine, kernel, rd };
}

function run(k: ReturnType<typeof host>, jobs: JobSpec[], onOp?: (r: OpRecord) => void) {
  const w = new Workload(k.kernel, k.rd.disk, jobs, onOp ? { onOp } : {});
  w.start();
  k.engine.run();
  expect(w.done).toBe(true);
  return w.report();
}

// Service model of the IOPS tests: 20 µs fixed + 0.5 ns/byte; 4 KiB → 20 000 + 2 048 = 22 048 ns,
// served 4 at a time. Saturated (iodepth 32 > 4): 4 / 22.048 µs = 181 422.35 IOPS.
const MODEL = { latencyNs: 20_000, perByteNs: 0.5, queues: 4 };
const EXPECTED_IOPS = 4 / 22_048e-9;

describe('RAM disk', () => {
  it('reads back zeros, then exactly what was written, through the block layer', () => {
    const k = host(1);
    const data = new Uint8Array(8192).map((_, i) => (i * 7) & 255);
    const got = new Uint8Array(8192).fill(0xee);
    const log: string[] = [];
    let writeDone = -1;
    const w = new Bio().set(REQ_OP.WRITE, 16, 8192, data);
    const r0 = new Bio().set(REQ_OP.READ, 100, 512, new Uint8Array(512).fill(1));
    w.endIo = (b) => {
      log.push(`write ${b.status}`);
      writeDone = b.doneNs;
      const r = new Bio().set(REQ_OP.READ, 16, 8192, got);
      r.endIo = (rb) => log.push(`read ${rb.status}`);
      k.rd.disk.submitBio(r);
    };
    r0.endIo = (b) => log.push(`zeros ${b.status} ${b.data!.every((x) => x === 0)}`);
    k.rd.disk.submitBio(w);
    k.rd.disk.submitBio(r0);
    k.engine.run();
    expect(log.sort()).toEqual(['read 0', 'write 0', 'zeros 0 true']);
    expect(got).toEqual(data);
    // default model: 5 µs + 8192 × 0.1 ns = 5 819 ns of service before the write can complete
    expect(writeDone).toBeGreaterThanOrEqual(5_819);
    expect(k.kernel.stats.num('irq/9/ram0/count')).toBeGreaterThan(0);
  });

  it('randread at iodepth 32 runs at queues / service time (within 1 %)', () => {
    const k = host(1, { model: MODEL });
    const r = run(k, [{ name: 'rr', rw: 'randread', bs: '4k', iodepth: 32, ios: 20_000 }]);
    const iops = r.jobs[0]!.read.iops;
    expect(Math.abs(iops - EXPECTED_IOPS) / EXPECTED_IOPS).toBeLessThan(0.01);
    // a request waits behind 28 others: latency ≈ 32 / 4 × 22.048 µs
    expect(r.jobs[0]!.read.lat.p50).toBeGreaterThan(8 * 22_048 * 0.95);
    expect(k.kernel.stats.num('block/ram0/hctx/0/max_tags_in_use')).toBeLessThanOrEqual(32);
  });

  it('randwrite then randread with verify (iodepth 32) return exactly the written data', () => {
    const r = run(host(3, { model: MODEL }), [
      { name: 'w', rw: 'randwrite', bs: '4k', size: '512k', iodepth: 32, ios: 3_000, verify: true },
      { name: 'r', rw: 'randread', bs: '4k', size: '512k', iodepth: 32, ios: 3_000, verify: true, after: 'w' },
    ]);
    for (const [name, op] of [['w', 'write'], ['r', 'read']] as const) {
      const iops = r.jobs.find((j) => j.name === name)![op].iops;
      expect(Math.abs(iops - EXPECTED_IOPS) / EXPECTED_IOPS).toBeLessThan(0.01);
    }
    expect(r.verify.violations).toBe(0);
    expect(r.verify.chunksChecked).toBe(3_000 * 8);
    expect(r.verify.messages).toEqual([]);
  });

  it('randwrite and randread running together with verify see only acceptable data', () => {
    const both = run(host(3, { model: MODEL }), [
      { name: 'w', rw: 'randwrite', bs: '4k', size: '256k', iodepth: 32, ios: 2_000, verify: true },
      { name: 'r', rw: 'randread', bs: '4k', size: '256k', iodepth: 32, ios: 4_000, verify: true },
    ]);
    expect(both.verify.violations).toBe(0);
    expect(both.verify.chunksChecked).toBe(4_000 * 8);
  });

  it('randrw with verify on overlapping offsets stays consistent', () => {
    const r = run(host(5, { model: { latencyNs: 3_000, perByteNs: 0, queues: 8 } }), [
      { name: 'mix', rw: 'randrw', rwmixread: 60, bs: 4096, size: 64 * 4096, iodepth: 32, numjobs: 2, ios: 3_000, verify: true },
    ]);
    expect(r.verify.violations).toBe(0);
    expect(r.jobs[0]!.read.ios + r.jobs[0]!.write.ios).toBe(6_000);
    expect(r.jobs[0]!.read.ios / 6_000).toBeGreaterThan(0.55);
    expect(r.jobs[0]!.read.ios / 6_000).toBeLessThan(0.65);
  });

  it('verify catches corrupted and lost data', () => {
    const k = host(2, { model: MODEL });
    const wl = new Workload(k.kernel, k.rd.disk, [
      { name: 'w', rw: 'write', bs: '4k', size: '64k', iodepth: 4, verify: true },
      { name: 'r', rw: 'read', bs: '4k', size: '64k', iodepth: 1, verify: true, after: 'w' },
    ]);
    // between the phases: flip bytes in block 15 and drop block 14, as a broken device would
    k.engine.trace.subscribe((rec) => {
      if (rec.kind === 'workload.job.start' && (rec.data as { job: string }).job === 'r') {
        k.rd.pages.write(4096 * 15 + 100, new Uint8Array([1, 2, 3]), 0, 3);
        k.rd.pages.zero(4096 * 14, 4096, true);
      }
    });
    wl.start();
    k.engine.run();
    const r = wl.report();
    expect(r.verify.violations).toBe(1 + 8); // one chunk of block 15, all 8 chunks of block 14
    expect(r.verify.messages.join('\n')).toMatch(/CRC mismatch/);
    expect(r.verify.messages.join('\n')).toMatch(/zeros, but a write/);
  });

  it('issues a flush after every N writes and the flushes reach a cached device', () => {
    const k = host(1, { writeCache: true });
    const r = run(k, [{ name: 'f', rw: 'randwrite', bs: '4k', iodepth: 4, ios: 100, fsyncEvery: 10 }]);
    expect(r.jobs[0]!.write.ios).toBe(100);
    expect(r.jobs[0]!.flush.ios).toBe(10);
    expect(k.kernel.stats.num('block/ram0/flush/ios')).toBe(10);
  });

  it('reports every operation to the history hook', () => {
    const ops: OpRecord[] = [];
    run(host(1), [{ name: 'h', rw: 'randrw', bs: '4k', iodepth: 8, ios: 200, verify: true, size: '64k' }], (o) => ops.push(o));
    expect(ops).toHaveLength(200);
    const writes = ops.filter((o) => o.kind === 'write');
    expect(new Set(writes.map((o) => o.contentId)).size).toBe(writes.length);
    for (const o of ops) {
      expect(o.completeNs).toBeGreaterThan(o.issueNs);
      expect(o.errno).toBe(0);
      expect(o.length).toBe(4096);
      if (o.kind === 'read') expect(o.observed).toHaveLength(8);
    }
  });

  it('sequential jobs walk their range in order and wrap', () => {
    const ops: OpRecord[] = [];
    run(host(1), [{ name: 's', rw: 'write', bs: '4k', offset: '8k', size: '16k', iodepth: 1, ios: 6 }], (o) => ops.push(o));
    expect(ops.map((o) => o.offset / 4096)).toEqual([2, 3, 4, 5, 2, 3]);
  });

  it('numjobs × several hardware queues × mq-deadline keeps data exact', () => {
    const k = host(9, { nrHwQueues: 2, scheduler: 'mq-deadline', queueDepth: 8, model: { latencyNs: 2_000, perByteNs: 0.25, queues: 3 } });
    const r = run(k, [{ name: 'm', rw: 'randrw', bs: '8k', size: '128k', iodepth: 6, numjobs: 4, ios: 500, verify: true }]);
    expect(r.verify.violations).toBe(0);
    expect(r.jobs[0]!.read.ios + r.jobs[0]!.write.ios).toBe(2_000);
    for (const h of [0, 1]) {
      expect(k.kernel.stats.num(`block/ram0/hctx/${h}/max_tags_in_use`)).toBeLessThanOrEqual(8);
      expect(k.kernel.stats.num(`block/ram0/hctx/${h}/dispatched`)).toBeGreaterThan(0);
    }
    expect(k.kernel.stats.num('block/ram0/latency/read/total/p99')).toBeGreaterThan(0);
  });

  it('same seed gives the same trace digest; a different seed a different one', () => {
    const digest = (seed: number) => {
      const k = host(seed, { model: MODEL });
      run(k, [{ name: 'd', rw: 'randrw', bs: '4k', iodepth: 16, ios: 500, verify: true }]);
      return k.engine.trace.digest();
    };
    const a = digest(11);
    expect(digest(11)).toBe(a);
    expect(digest(12)).not.toBe(a);
  });
});

describe('RAM disk: mixed sequential and trim jobs', () => {
  it('rw mixes reads and writes over a sequential walk', () => {
    const ops: OpRecord[] = [];
    const k = host(4);
    run(k, [{ name: 'rw', rw: 'rw', rwmixread: 25, bs: '4k', size: '32k', iodepth: 1, ios: 400, verify: true }], (o) => ops.push(o));
    expect(ops.slice(0, 10).map((o) => o.offset / 4096)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 0, 1]);
    const reads = ops.filter((o) => o.kind === 'read').length;
    expect(reads / 400).toBeGreaterThan(0.18);
    expect(reads / 400).toBeLessThan(0.32);
  });

  it('trims reach the device as discards; reads of trimmed chunks are not judged', () => {
    const k = host(6, { model: { latencyNs: 1_000, perByteNs: 0, queues: 2 } });
    const r = run(k, [
      { name: 'w', rw: 'randwrite', bs: '4k', size: '64k', iodepth: 4, ios: 300, verify: true },
      { name: 't', rw: 'randtrim', bs: '4k', size: '64k', iodepth: 2, ios: 100 },
      { name: 'r', rw: 'randread', bs: '4k', size: '64k', iodepth: 4, ios: 300, verify: true },
    ]);
    expect(r.jobs.find((j) => j.name === 't')!.trim.ios).toBe(100);
    expect(k.kernel.stats.num('block/ram0/discard/ios')).toBe(100);
    expect(r.verify.violations).toBe(0);
    expect(r.verify.chunksUnchecked).toBeGreaterThan(0);
    expect(r.verify.chunksChecked + r.verify.chunksUnchecked).toBe(300 * 8);
  });
});
