import { describe, expect, it } from 'vitest';
import { Engine } from '../../../hw-sim/engine/engine.ts';
import { Cpu } from '../../../hw-sim/cpu/cpu.ts';
import { Softirq, SOFTIRQ } from '../../../kernel/core/softirq.ts';
import { NapiLayer, type Napi } from '../../../kernel/core/napi.ts';
import { blkMqComplete } from '../../../kernel/block/api.ts';
import { REQ_OP } from '../../../kernel/block/types.ts';
import { ManualDriver, addDisk, makeKernel, submit, type BioResult } from '../block/helpers.ts';

function bare(budget: number, cores = 1) {
  const engine = new Engine({ seed: 1 });
  const cpu = new Cpu(engine, 'h', { cores });
  const ctx = { cpu: 0 };
  const sirq = new Softirq(cpu, ctx, engine.trace, 'h/softirq', { budget, entryCostNs: 100 });
  return { engine, cpu, ctx, sirq };
}

describe('softirq', () => {
  it('defers work beyond the budget to later rounds and drops none', () => {
    const { engine, sirq } = bare(4);
    let backlog = 10;
    const rounds: number[] = [];
    sirq.open(SOFTIRQ.TASKLET, 'TASKLET', (_cpu, budget) => {
      const n = Math.min(budget, backlog);
      backlog -= n;
      rounds.push(n);
      return backlog > 0;
    });
    sirq.raise(SOFTIRQ.TASKLET, 0);
    engine.run();
    expect(rounds).toEqual([4, 4, 2]);
    expect(backlog).toBe(0);
    expect(sirq.stats.deferred).toBe(2);
  });

  it('charges the entry cost and the work done to the core', () => {
    const { engine, cpu, sirq } = bare(100);
    const ranAt: number[] = [];
    sirq.open(SOFTIRQ.HI, 'HI', (c) => {
      ranAt.push(engine.now);
      sirq.charge(c, 1_000);
      return false;
    });
    sirq.raise(SOFTIRQ.HI, 0);
    engine.run();
    expect(ranAt).toEqual([100]); // runs after the 100 ns entry cost
    expect(cpu.busyNs(0)).toBe(1_100);
  });

  it('runs on the core it was raised on and sets the cpu context', () => {
    const { engine, ctx, sirq } = bare(10, 2);
    const seen: number[] = [];
    sirq.open(SOFTIRQ.HI, 'HI', (c) => {
      seen.push(c, ctx.cpu);
      return false;
    });
    sirq.raise(SOFTIRQ.HI, 1);
    engine.run();
    expect(seen).toEqual([1, 1]);
    expect(ctx.cpu).toBe(0);
  });

  it('BLOCK softirq ends at most `budget` requests per round and defers the rest', () => {
    const { engine, kernel } = makeKernel(1, 1, { softirq: { budget: 4 } });
    const drv = new ManualDriver();
    const disk = addDisk(kernel, drv, { queueDepth: 16 });
    const res = new Map<string, BioResult>();
    for (let i = 0; i < 10; i++) submit(disk, res, `b${i}`, REQ_OP.READ, i * 64, 4096);
    expect(drv.held).toHaveLength(10);
    const rounds0 = kernel.softirq.stats.rounds;
    for (const rq of drv.held.splice(0)) blkMqComplete(rq, 0);
    engine.run();
    expect(res.size).toBe(10);
    expect(kernel.softirq.stats.rounds - rounds0).toBe(3); // 4 + 4 + 2
    expect(kernel.softirq.stats.deferred).toBeGreaterThanOrEqual(2);
  });
});

describe('NAPI', () => {
  it('polls up to weight, keeps a busy instance scheduled, completes an idle one', () => {
    const { engine, sirq } = bare(300);
    const napiLayer = new NapiLayer(sirq, 1);
    let queued = 150;
    const polls: number[] = [];
    const napi: Napi = {
      name: 'eth0', weight: 64, scheduled: false,
      poll(budget) {
        const n = Math.min(budget, queued);
        queued -= n;
        polls.push(n);
        return n;
      },
    };
    napiLayer.schedule(napi, 0);
    engine.run();
    // one poll per round: 64, 64, then 22 < weight completes it
    expect(polls).toEqual([64, 64, 22]);
    expect(napi.scheduled).toBe(false);
  });

  it('shares the round budget across instances', () => {
    const { engine, sirq } = bare(100);
    const napiLayer = new NapiLayer(sirq, 1);
    const log: string[] = [];
    const mk = (name: string, backlog: { n: number }): Napi => ({
      name, weight: 64, scheduled: false,
      poll(budget) {
        const n = Math.min(budget, backlog.n);
        backlog.n -= n;
        log.push(`${name}:${budget}:${n}`);
        return n;
      },
    });
    napiLayer.schedule(mk('a', { n: 200 }), 0);
    napiLayer.schedule(mk('b', { n: 200 }), 0);
    engine.runUntil(engine.nextEventTime()!);
    expect(log).toEqual(['a:64:64', 'b:36:36']);
  });
});
