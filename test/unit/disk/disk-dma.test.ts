// The disk controller's data transfers go through its DMA engine: the same service times as the
// disk's model (access latency, then bytes at the model's bandwidth on one channel, in order),
// and a DMA fault injected there fails the request with EIO, seen by the NBD client as an error.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../hw-sim/engine/index.ts';
import { VirtualDisk, type BlockError, type ServiceTimeModel } from '../../../hw-sim/disk/index.ts';
import { REQ_OP } from '../../../kernel/block/types.ts';
import { config, rig } from '../driver/harness.ts';

/** 100 µs access, 1 byte/ns, two slots, no jitter. */
const SIMPLE: ServiceTimeModel = {
  name: 'simple', latencyNs: { read: 100_000, write: 100_000, flush: 50_000, trim: 10_000, zero: 10_000, status: 1_000 }, bandwidth: 1e9, queueDepth: 2, jitter: 0,
};

function setup() {
  const engine = new Engine({ seed: 7 });
  return { engine, disk: new VirtualDisk(engine, { name: 'srv/disk0', size: 1 << 20, model: SIMPLE }) };
}

describe('disk data through the controller DMA engine', () => {
  it('each read or write is one descriptor after its access latency; flushes move nothing', () => {
    const { engine, disk } = setup();
    const at: number[] = [];
    disk.write(0, new Uint8Array(2000).fill(3), false, () => at.push(engine.now));
    disk.read(4096, 500, () => at.push(engine.now));
    disk.flush(() => at.push(engine.now));
    engine.run();
    // write: 100 µs + 2000 ns; read: access overlaps, transfer waits for the write's: 102 000 + 500;
    // flush (in the slot the write frees at 102 µs): 102 000 + 50 000.
    expect(at).toEqual([102_000, 102_500, 152_000]);
    expect(disk.dma.stats(0)).toMatchObject({ submitted: 2, completed: 2, bytes: 2500, errors: 0 });
  });

  it('a failed descriptor fails its request with EIO and moves nothing; the next is fine', () => {
    const { engine, disk } = setup();
    const errs: Array<BlockError | null> = [];
    disk.dma.failNext(1);
    disk.write(0, new Uint8Array(512).fill(9), false, (e) => errs.push(e));
    disk.write(512, new Uint8Array(512).fill(8), false, (e) => errs.push(e));
    engine.run();
    expect(errs).toEqual(['EIO', null]);
    expect(disk.peek(0, 1)[0]).toBe(0);
    expect(disk.peek(512, 1)[0]).toBe(8);
    expect(disk.stats).toMatchObject({ errors: 1, writes: 1 });
  });

  it('a crash drops the transfers in flight: nothing completes, the channel is free at once', () => {
    const { engine, disk } = setup();
    let done = 0;
    disk.read(0, 4096, () => done++);
    engine.runUntil(100_500);
    disk.crash();
    let at = -1;
    disk.read(0, 1000, () => { at = engine.now; });
    engine.run();
    expect(done).toBe(0);
    // From the crash at 100.5 µs: 100 µs access + 1000 ns.
    expect(at).toBe(100_500 + 101_000);
  });

  it('a DMA fault on the server\'s disk reaches the NBD client as a failed read', () => {
    const r = rig(5, config({
      connectionPoolSize: 1, connectionMaxCount: 1, connectionTimeoutNs: 50_000_000,
      servers: [{ name: 'srv', address: undefined, port: 10809, export: 'disk' }],
      exports: [{ name: 'disk', device: undefined, access: 'rw' }],
    }), (n) => n.addServer('srv', { size: 1 << 20 }));
    r.engine.runUntil(10_000_000);
    r.net.servers.get('srv')!.disk.dma.failNext(1);
    const bad = r.blk.submit(REQ_OP.READ, 0, 4096, new Uint8Array(4096));
    r.engine.runUntil(20_000_000);
    const good = r.blk.submit(REQ_OP.READ, 4096, 4096, new Uint8Array(4096));
    r.engine.runUntil(30_000_000);
    expect(r.blk.done.get(bad)).not.toBe(0);
    expect(r.blk.done.get(good)).toBe(0);
    expect(r.dev.state).toBe('ready');
  });
});
