import { describe, expect, it } from 'vitest';
import { Engine } from '../../../hw-sim/engine/index.ts';
import { InterruptController } from '../../../hw-sim/irq/index.ts';

function setup() {
  const e = new Engine({ seed: 1 });
  const irq = new InterruptController(e, 'h', { lines: 8 });
  const log: Array<{ line: number; events: number; t: number }> = [];
  const handler = (line: number, events: number) => log.push({ line, events, t: e.now });
  return { e, irq, log, handler };
}

describe('interrupt controller', () => {
  it('delivers an uncoalesced raise at the same instant, after the raising event', () => {
    const { e, irq, log, handler } = setup();
    irq.requestLine(3, handler);
    let raised = false;
    e.schedule(100, () => {
      irq.raise(3);
      raised = true;
      expect(log).toEqual([]);
    });
    e.run();
    expect(raised).toBe(true);
    expect(log).toEqual([{ line: 3, events: 1, t: 100 }]);
    expect(irq.stats(3)).toMatchObject({ raised: 1, delivered: 1, coalesced: 0 });
  });

  it('delivers lines due at one instant in priority order', () => {
    const { e, irq, log, handler } = setup();
    irq.requestLine(1, handler, { priority: 1 });
    irq.requestLine(2, handler, { priority: 5 });
    irq.requestLine(5, handler, { priority: 3 });
    irq.requestLine(4, handler, { priority: 3 });
    e.schedule(10, () => {
      irq.raise(1);
      irq.raise(5);
      irq.raise(2);
      irq.raise(4);
    });
    e.run();
    expect(log.map((l) => l.line)).toEqual([2, 4, 5, 1]);
  });

  it('coalescing fires at the count threshold when it comes first', () => {
    const { e, irq, log, handler } = setup();
    irq.requestLine(0, handler, { coalesce: { maxEvents: 4, maxDelayNs: 10_000 } });
    for (let i = 0; i < 4; i++) e.schedule(100 * i, () => irq.raise(0));
    e.run();
    // 4th raise at 300 ns reaches the count long before 0 + 10 µs.
    expect(log).toEqual([{ line: 0, events: 4, t: 300 }]);
    expect(irq.stats(0)).toMatchObject({ raised: 4, delivered: 1, coalesced: 3 });
  });

  it('coalescing fires at the time threshold when it comes first', () => {
    const { e, irq, log, handler } = setup();
    irq.requestLine(0, handler, { coalesce: { maxEvents: 16, maxDelayNs: 1_000 } });
    for (let i = 0; i < 3; i++) e.schedule(50 + 200 * i, () => irq.raise(0));
    e.schedule(5_000, () => irq.raise(0));
    e.run();
    // first raise at 50 → delivery at 1050 with 3 events; the 4th starts a new window → 6000.
    expect(log).toEqual([
      { line: 0, events: 3, t: 1_050 },
      { line: 0, events: 1, t: 6_000 },
    ]);
    expect(irq.stats(0)).toMatchObject({ raised: 4, delivered: 2, coalesced: 2 });
  });

  it('masking latches one pending interrupt, counts later raises as lost, delivers on unmask', () => {
    const { e, irq, log, handler } = setup();
    irq.requestLine(6, handler);
    irq.mask(6);
    e.schedule(10, () => irq.raise(6));
    e.schedule(20, () => irq.raise(6));
    e.schedule(30, () => irq.raise(6));
    e.schedule(100, () => irq.unmask(6));
    e.run();
    expect(log).toEqual([{ line: 6, events: 1, t: 100 }]);
    const s = irq.stats(6);
    expect(s).toMatchObject({ raised: 3, pendingWhileMasked: 1, lost: 2, delivered: 1, coalesced: 0 });
    expect(s.raised).toBe(s.delivered + s.coalesced + s.lost + irq.pendingEvents(6));
  });

  it('a coalescing window that expires while masked is held until unmask', () => {
    const { e, irq, log, handler } = setup();
    irq.requestLine(2, handler, { coalesce: { maxEvents: 8, maxDelayNs: 100 } });
    e.schedule(0, () => irq.raise(2));
    e.schedule(10, () => irq.raise(2));
    e.schedule(20, () => irq.mask(2));
    e.schedule(30, () => irq.raise(2)); // pending already → lost
    e.schedule(500, () => irq.unmask(2));
    e.run();
    expect(log).toEqual([{ line: 2, events: 2, t: 500 }]);
    expect(irq.stats(2)).toMatchObject({ raised: 3, lost: 1, delivered: 1, coalesced: 1 });
  });

  it('counts a delivery on a line without handler as spurious and rejects unknown lines', () => {
    const { e, irq } = setup();
    irq.raise(7);
    e.run();
    expect(irq.stats(7).spurious).toBe(1);
    expect(() => irq.raise(8)).toThrow(/no interrupt line 8/);
    expect(() => irq.setCoalescing(1, { maxEvents: 0, maxDelayNs: 1 })).toThrow(/maxEvents/);
  });
});
