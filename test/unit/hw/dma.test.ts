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

  it('by-reference bytes, a start no earlier than notBefore, and a later completion the device names', () => {
    const { e, dma, irqs } = setup();
    const at: string[] = [];
    // 1000 B by reference: 300 + 500 = 800 ns, nothing copied.
    dma.submit(0, { bytes: 1000, onComplete: (s) => at.push(`a ${s}@${e.now}`) });
    // Not before 2000: 2000 + 800 = 2800; the device completes it 5000 ns after its transfer.
    let seen = -1;
    dma.submit(0, { bytes: 1000, notBefore: 2_000, completesAt: (s, end) => { seen = end; return end + 5_000; }, onComplete: () => at.push(`b@${e.now}`) });
    // Behind b's transfer (ends 2800): 2800 + 800 = 3600, but completions stay in ring order: at 7800.
    dma.submit(0, { bytes: 1000, onComplete: () => at.push(`c@${e.now}`) });
    e.run();
    expect(seen).toBe(2_800);
    expect(at).toEqual(['a ok@800', 'b@7800', 'c@7800']);
    // The two raises at 7800 find the line already pending: one handler call.
    expect(irqs).toEqual([800, 7_800]);
    expect(dma.stats(0)).toMatchObject({ completed: 3, bytes: 3000 });
  });

  it('a failed descriptor is known at submission (completesAt sees it)', () => {
    const { e, dma } = setup();
    dma.failNext(1);
    const fates: string[] = [];
    dma.submit(1, { bytes: 10, completesAt: (s, end) => { fates.push(s); return end; } });
    dma.submit(1, { bytes: 10, completesAt: (s, end) => { fates.push(s); return end; } });
    e.run();
    expect(fates).toEqual(['error', 'ok']);
  });

  it('a channel bound to a device takes byte counts: same timing and fates, the device says when each completes', () => {
    const { e, dma, irqs } = setup({ ringSize: 2 });
    const seen: string[] = [];
    dma.bind(1, {
      dmaTimed: (ch, s, end) => { seen.push(`timed ${ch} ${s} ${end}@${e.now}`); return end + 1_000; },
      dmaDone: (ch, s) => seen.push(`done ${ch} ${s}@${e.now}`),
    });
    dma.failNext(1);
    // 1000 B: 300 + 500 = 800 ns (failed: timed all the same), then the next behind it: 1600.
    expect(dma.submitBytes(1, 1000)).toBe(true);
    expect(dma.submitBytes(1, 1000)).toBe(true);
    expect(dma.submitBytes(1, 1000)).toBe(false);
    expect(() => dma.submit(1, { bytes: 1 })).toThrow(/bound/);
    e.run();
    expect(seen).toEqual(['timed 1 error 800@0', 'timed 1 ok 1600@0', 'done 1 error@1800', 'done 1 ok@2600']);
    expect(irqs).toEqual([1_800, 2_600]);
    expect(dma.stats(1)).toMatchObject({ submitted: 2, completed: 1, errors: 1, bytes: 1000, ringFull: 1 });
  });

  it('abort drops every descriptor of a channel without completing it; the channel is free at once', () => {
    const { e, dma, irqs } = setup();
    const dst = new Uint8Array(4);
    let completed = 0;
    dma.submit(0, { segments: [{ src: fill(4, 1), dst }], onComplete: () => completed++ });
    dma.submit(0, { bytes: 100, onComplete: () => completed++ });
    e.runUntil(100);
    expect(dma.abort(0)).toBe(2);
    expect(dma.ringFree(0)).toBe(4);
    let t = -1;
    // 300 + 50 from now (100).
    dma.submit(0, { bytes: 100, onComplete: () => { t = e.now; } });
    e.run();
    expect(completed).toBe(0);
    expect(Array.from(dst)).toEqual([0, 0, 0, 0]);
    expect(t).toBe(450);
    expect(irqs).toEqual([450]);
  });

  it('takes a ring size per channel', () => {
    const e = new Engine({ seed: 1 });
    const dma = new DmaEngine(e, 'h', null, { channels: 2, ringSize: [2, 5], setupNs: 0, bytesPerSecond: 1e9 });
    expect([dma.ringFree(0), dma.ringFree(1)]).toEqual([2, 5]);
    expect(() => new DmaEngine(e, 'h', null, { channels: 2, ringSize: [2], setupNs: 0, bytesPerSecond: 1e9 })).toThrow(/1 ring sizes for 2 channels/);
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
