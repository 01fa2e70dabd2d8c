import { describe, expect, it } from 'vitest';
import { Engine } from '../../../hw-sim/engine/engine.ts';
import { StatsTree } from '../../../kernel/core/stats.ts';
import { KernelLog } from '../../../kernel/core/klog.ts';
import type { Device } from '../../../kernel/core/driver-model.ts';
import { makeKernel } from '../block/helpers.ts';

describe('stats tree', () => {
  it('reads counters, gauges and provider leaves by path and lists by prefix', () => {
    const s = new StatsTree();
    const c = s.counter('block/nbd0/requeues');
    c.value += 3;
    let inflight = 7;
    s.gauge('block/nbd0/inflight', () => inflight);
    s.gauge('block/nbd1/inflight', () => 1);
    s.provider('block/nbd0/latency', { list: () => ['read/p99'], read: (l) => (l === 'read/p99' ? 1234 : undefined) });
    inflight = 9;
    expect(s.read('block/nbd0/inflight')).toBe(9);
    expect(s.num('block/nbd0/requeues')).toBe(3);
    expect(s.read('block/nbd0/latency/read/p99')).toBe(1234);
    expect(s.read('block/nbd0/latency/write/p99')).toBeUndefined();
    expect(s.list('block/nbd0')).toEqual(['block/nbd0/inflight', 'block/nbd0/latency/read/p99', 'block/nbd0/requeues']);
    expect(s.list('block/nbd')).toEqual([]); // prefixes are whole segments
    expect(s.snapshot('block/nbd1')).toEqual({ 'block/nbd1/inflight': 1 });
    expect(s.counter('block/nbd0/requeues')).toBe(c);
    s.remove('block/nbd0');
    expect(s.list()).toEqual(['block/nbd1/inflight']);
    expect(() => s.num('block/nbd0/requeues')).toThrow(/block\/nbd0\/requeues/);
    expect(() => s.counter('/bad')).toThrow(/bad path/);
  });
});

describe('kernel log', () => {
  it('keeps the newest entries with virtual timestamps and emits them to the trace', () => {
    const engine = new Engine({ seed: 1 });
    const log = new KernelLog(() => engine.now, engine.trace, 'h/klog', 3);
    const kinds: string[] = [];
    engine.trace.subscribe((r) => kinds.push(r.kind));
    for (let i = 0; i < 5; i++) {
      engine.runUntil(i * 1000);
      log.info('nbd0', `m${i}`);
    }
    expect(log.entries().map((e) => [e.t, e.msg])).toEqual([[2000, 'm2'], [3000, 'm3'], [4000, 'm4']]);
    expect(log.total).toBe(5);
    expect(kinds).toEqual(['klog', 'klog', 'klog', 'klog', 'klog']);
    log.err('nbd0', 'bad');
    expect(log.entries('err').map((e) => e.msg)).toEqual(['bad']);
    expect(log.format()).toContain('nbd0: bad');
  });

  it('rate-limits per key and reports how many were suppressed', () => {
    const engine = new Engine({ seed: 1 });
    const log = new KernelLog(() => engine.now, engine.trace, 'h/klog');
    const lim = { intervalNs: 1_000_000, burst: 2 };
    const printed = [0, 1, 2, 3, 4].map((i) => log.ratelimited('k', 'warning', 'blk', `x${i}`, lim));
    expect(printed).toEqual([true, true, false, false, false]);
    engine.runUntil(1_000_000);
    expect(log.ratelimited('k', 'warning', 'blk', 'again', lim)).toBe(true);
    expect(log.entries().map((e) => e.msg)).toEqual(['x0', 'x1', 'k: 3 callbacks suppressed', 'again']);
    expect(log.suppressed).toBe(3);
  });
});

describe('driver model', () => {
  it('probes matching devices in either order, exposes parameters, and unbinds on removal', () => {
    const { kernel } = makeKernel();
    const probed: string[] = [];
    const removed: string[] = [];
    kernel.drivers.addDevice('ram0', 'ramdisk', { irq: 5 });
    kernel.drivers.setParam('ramdisk.rd_nr', 2); // modprobe option before load
    kernel.drivers.registerDriver({
      name: 'ramdisk',
      params: { rd_nr: { type: 'int', default: 1, min: 0, max: 16 }, verbose: { type: 'bool', default: false } },
      probe(dev: Device) {
        probed.push(`${dev.name}:${String(dev.resources['irq'])}`);
        return 0;
      },
      remove(dev: Device) {
        removed.push(dev.name);
      },
    });
    kernel.drivers.addDevice('ram1', 'ramdisk', { irq: 6 });
    kernel.drivers.addDevice('other', 'nic', {});
    expect(probed).toEqual(['ram0:5', 'ram1:6']);
    expect(kernel.drivers.device('other')!.driver).toBeNull();
    expect(kernel.drivers.param('ramdisk.rd_nr')).toBe(2);
    expect(kernel.stats.read('module/ramdisk/parameters/rd_nr')).toBe(2);
    expect(kernel.stats.read('module/ramdisk/parameters/verbose')).toBe(0);
    expect(() => kernel.drivers.setParam('ramdisk.rd_nr', 99)).toThrow(/ramdisk.rd_nr.*outside/);
    expect(() => kernel.drivers.setParam('ramdisk.verbose', 1)).toThrow(/boolean/);
    kernel.drivers.removeDevice('ram0');
    expect(removed).toEqual(['ram0']);
  });

  it('leaves a device unbound when probe fails and logs it', () => {
    const { kernel } = makeKernel();
    kernel.drivers.registerDriver({ name: 'bad', probe: () => 19 });
    const dev = kernel.drivers.addDevice('x', 'bad');
    expect(dev.driver).toBeNull();
    expect(kernel.log.entries('err').at(-1)!.msg).toMatch(/probe of x failed with error -19/);
  });
});

describe('IRQ and timers', () => {
  it('runs the top half on its core after the entry cost, folding raises that arrive meanwhile', () => {
    const { engine, kernel } = makeKernel(1, 2);
    const calls: Array<[number, number, number]> = [];
    kernel.irq.request(3, 'dev3', (events) => calls.push([engine.now, events, kernel.ctx.cpu]), { cpu: 1, costNs: 400 });
    kernel.hw.irq.raise(3);
    engine.runUntil(100);
    kernel.hw.irq.raise(3); // handler still queued on the core: folded into the same run
    engine.run();
    expect(calls).toEqual([[400, 2, 1]]);
    expect(kernel.stats.num('irq/3/dev3/count')).toBe(2);
    expect(() => kernel.irq.request(3, 'again', () => {})).toThrow(/line 3 is already taken by dev3/);
  });

  it('kernel timers fire once at their expiry and can be re-armed or deleted', () => {
    const { engine, kernel } = makeKernel();
    const fired: number[] = [];
    const t = kernel.timer(() => fired.push(engine.now), 'watchdog');
    t.mod(1_000);
    t.mod(5_000); // re-arm replaces the first expiry
    expect(t.expires).toBe(5_000);
    engine.run();
    expect(fired).toEqual([5_000]);
    expect(t.pending).toBe(false);
    t.mod(10);
    expect(t.del()).toBe(true);
    engine.run();
    expect(fired).toEqual([5_000]);
  });
});
