import { describe, expect, it } from 'vitest';
import { Engine } from '../../../hw-sim/engine/index.ts';
import { InterruptController } from '../../../hw-sim/irq/index.ts';
import { DmaEngine, transferNs, type DmaStatus } from '../../../hw-sim/dma/index.ts';

function setup(extra: { errorRate?: number; ringSize?: number } = {}) {
  const e = new Engine({ seed: 7 });
  const irq = new InterruptController(e, 'h');
  const irqs: number[] = [];
  irq.requestLine(9, () => irqs.push(e.now));
  // 2 GB/s: 1 byte = 0.5 ns.
  const dma = new DmaEngine(e, 'h', irq, { channels: 2, ringSize: extra.ringSize ?? 4, setupNs: 300, bytesPerSecond: 2e9, irqLine: 9, errorRate: extra.errorRate ?? 0 });
  return { e, irq, dma, irqs };
}

const fill = (n: number, v: number) => new Uint8Array(n).map((_, i) => (v + i) & 255);

describe('DMA engine', () => {
  it('completes at setup + bytes / bandwidth, copies every segment, raises the IRQ', () => {
    const { e, dma, irqs } = setup();
    const a = fill(1000, 1), b = fill(3, 50);
    const mem = new Uint8Array(2000);
    let doneAt = -1;
    let st: DmaStatus | undefined;
    // 1003 bytes at 2 GB/s = 501.5 ns → ceil 502; + 300 setup.
    dma.submit(0, { segments: [{ src: a, dst: mem.subarray(0, 1000) }, { src: b, dst: mem.subarray(1500, 1503) }], onComplete: (s) => { doneAt = e.now; st = s; } });
    e.runUntil(801);
    expect(doneAt).toBe(-1);
    expect(mem[0]).toBe(0);
    e.run();
    expect(doneAt).toBe(802);
    expect(st).toBe('ok');
    expect(Array.from(mem.subarray(0, 1000))).toEqual(Array.from(a));
    expect(Array.from(mem.subarray(1500, 1503))).toEqual([50, 51, 52]);
    expect(mem[1000]).toBe(0);
    expect(irqs).toEqual([802]);
    expect(dma.stats(0)).toMatchObject({ completed: 1, bytes: 1003 });
  });

  it('serialises descriptors per channel and runs channels in parallel', () => {
    const { e, dma } = setup();
    const at: string[] = [];
    const d = (tag: string) => ({ segments: [{ src: new Uint8Array(200), dst: new Uint8Array(200) }], onComplete: () => at.push(`${tag}@${e.now}`) });
    dma.submit(0, d('a'));
    dma.submit(0, d('b'));
    dma.submit(1, d('c'));
    e.run();
    // each: 300 + 100 = 400 ns
    expect(at).toEqual(['a@400', 'c@400', 'b@800']);
  });

  it('refuses a descriptor when the ring is full and frees the slot at completion', () => {
    const { e, dma } = setup({ ringSize: 2 });
    const d = () => ({ segments: [] });
    expect(dma.submit(0, d())).toBe(true);
    expect(dma.submit(0, d())).toBe(true);
    expect(dma.submit(0, d())).toBe(false);
    expect(dma.stats(0).ringFull).toBe(1);
    e.runUntil(300);
    expect(dma.ringFree(0)).toBe(1);
  });

  it('fail-next-N fails exactly N descriptors and copies nothing for them', () => {
    const { e, dma } = setup();
    dma.failNext(2);
    const dsts = [new Uint8Array(4), new Uint8Array(4), new Uint8Array(4)];
    const sts: DmaStatus[] = [];
    for (const dst of dsts) dma.submit(0, { segments: [{ src: fill(4, 9), dst }], onComplete: (s) => sts.push(s) });
    e.run();
    expect(sts).toEqual(['error', 'error', 'ok']);
    expect(Array.from(dsts[0]!)).toEqual([0, 0, 0, 0]);
    expect(Array.from(dsts[2]!)).toEqual([9, 10, 11, 12]);
    expect(dma.stats(0).errors).toBe(2);
  });

  it('an error rate fails about that fraction of descriptors', () => {
    const { e, dma } = setup({ errorRate: 0.2, ringSize: 1 });
    const n = 5000;
    let i = 0;
    const next = () => {
      if (i++ < n) dma.submit(0, { segments: [], onComplete: next });
    };
    next();
    e.run();
    const p = 0.2, sd = Math.sqrt(n * p * (1 - p));
    expect(Math.abs(dma.stats(0).errors - n * p)).toBeLessThan(4 * sd);
  });

  it('rejects mismatched segment lengths', () => {
    const { dma } = setup();
    expect(() => dma.submit(0, { segments: [{ src: new Uint8Array(3), dst: new Uint8Array(4) }] })).toThrow(/segment 0/);
  });

  it('transferNs is exact ceil for small and huge transfers', () => {
    expect(transferNs(3, 1e9)).toBe(3);
    expect(transferNs(1, 3e9)).toBe(1); // 0.333 → 1
    expect(transferNs(3, 3e9)).toBe(1);
    expect(transferNs(0, 1e9)).toBe(0);
    // 10 GiB at 3 GB/s: 10737418240e9 / 3e9 = 3579139413.33 → 3579139414
    expect(transferNs(10 * 2 ** 30, 3e9)).toBe(3_579_139_414);
  });
});
