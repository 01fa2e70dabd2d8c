import { describe, expect, it } from 'vitest';
import { Engine } from '../../../hw-sim/engine/engine.ts';
import { Cpu } from '../../../hw-sim/cpu/cpu.ts';
import { DEFAULT_CPU_COSTS, type CpuCosts } from '../../../hw-sim/cpu/costs.ts';
import { CostedStore } from '../../../scenarios/hosts/nbd-server/store/costed-store.ts';
import type { BlockStore } from '../../../scenarios/hosts/nbd-server/store/block-store.ts';

/** A store that records what reaches it, and when, and answers at once. */
function recorder(engine: Engine): { store: BlockStore; calls: string[] } {
  const calls: string[] = [];
  const at = (s: string): void => { calls.push(`${engine.now} ${s}`); };
  const store: BlockStore = {
    size: 1 << 20,
    read: (o, l, cb, rid) => { at(`read ${o} ${l} rid ${rid}`); cb(null, new Uint8Array(l), null); },
    write: (o, d, fua, cb, rid) => { at(`write ${o} ${d.length} fua ${fua} rid ${rid}`); cb(null); },
    flush: (cb, rid) => { at(`flush rid ${rid}`); cb(null); },
    trim: (o, l, fua, cb, rid) => { at(`trim ${o} ${l} fua ${fua} rid ${rid}`); cb(null); },
    zero: (o, l, mayTrim, fua, cb, rid) => { at(`zero ${o} ${l} mayTrim ${mayTrim} fua ${fua} rid ${rid}`); cb(null); },
    blockStatus: (o, l, cb, rid) => { at(`status ${o} ${l} rid ${rid}`); cb(null, []); },
  };
  return { store, calls };
}

// 1000 ns per request and 1 ns per payload byte: a 4 KiB READ or WRITE costs 5096 ns, the rest 1000.
const COSTS: CpuCosts = { ...DEFAULT_CPU_COSTS, serverRequestNs: 1000, copyNsPerByte: 1 };

describe('CostedStore', () => {
  it('runs each operation after its CPU work, queued on the least loaded core, with its own arguments', () => {
    const engine = new Engine({ seed: 1 });
    const cpu = new Cpu(engine, 'srv', { cores: 1 });
    const { store, calls } = recorder(engine);
    const s = new CostedStore(store, cpu, COSTS);
    const done: string[] = [];
    s.write(8192, new Uint8Array(4096), true, () => done.push(`w ${engine.now}`), 7);
    s.trim(0, 4096, false, () => done.push(`t ${engine.now}`), 8);
    s.read(4096, 4096, (e, d) => done.push(`r ${engine.now} ${e} ${d!.length}`));
    s.zero(0, 512, true, false, () => done.push(`z ${engine.now}`), 9);
    s.flush(() => done.push(`f ${engine.now}`));
    s.blockStatus(0, 4096, () => done.push(`s ${engine.now}`), 10);
    engine.run();
    // One core: each op waits for the work before it (5096, +1000, +5096, +1000, +1000, +1000).
    expect(calls).toEqual([
      '5096 write 8192 4096 fua true rid 7',
      '6096 trim 0 4096 fua false rid 8',
      '11192 read 4096 4096 rid -1',
      '12192 zero 0 512 mayTrim true fua false rid 9',
      '13192 flush rid -1',
      '14192 status 0 4096 rid 10',
    ]);
    expect(done).toEqual(['w 5096', 't 6096', 'r 11192 null 4096', 'z 12192', 'f 13192', 's 14192']);
  });

  it('reuses its records without carrying an earlier request over (FUA, NO_HOLE, callbacks)', () => {
    const engine = new Engine({ seed: 1 });
    const cpu = new Cpu(engine, 'srv', { cores: 2 });
    const { store, calls } = recorder(engine);
    const s = new CostedStore(store, cpu, COSTS);
    let n = 0;
    s.zero(0, 4096, true, true, () => n++);
    engine.run();
    s.trim(4096, 4096, false, () => n++);
    s.write(0, new Uint8Array(16), false, () => n++);
    engine.run();
    // Two cores: the trim and the write start together on different cores.
    expect(calls).toEqual([
      '1000 zero 0 4096 mayTrim true fua true rid -1',
      '2000 trim 4096 4096 fua false rid -1',
      '2016 write 0 16 fua false rid -1',
    ]);
    expect(n).toBe(3);
  });
});
