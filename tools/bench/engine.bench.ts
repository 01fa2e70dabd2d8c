import { Engine } from '../../hw-sim/engine/index.ts';
import { BareHeap } from './bare-heap.ts';
import { measure, printTable } from './table.ts';

const EVENTS = 400_000;

/** Pseudo-random delays from a fixed table, so both loops do identical work. */
function delays(n: number): Uint32Array {
  const d = new Uint32Array(n);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    d[i] = 1 + (x % 10_000);
  }
  return d;
}

function engineLoop(pending: number, d: Uint32Array): number {
  const e = new Engine({ seed: 1, trace: false });
  let k = 0;
  const tick = () => {
    e.schedule(d[k++ & (d.length - 1)]!, tick);
  };
  for (let i = 0; i < pending; i++) e.schedule(d[i]!, tick);
  e.run(EVENTS);
  return EVENTS;
}

function bareLoop(pending: number, d: Uint32Array): number {
  const h = new BareHeap();
  let k = 0;
  const tick = () => {
    h.push(h.now + d[k++ & (d.length - 1)]!, tick);
  };
  for (let i = 0; i < pending; i++) h.push(d[i]!, tick);
  for (let n = 0; n < EVENTS; n++) h.runOne();
  return EVENTS;
}

export function benchEngine(): void {
  const d = delays(1 << 16);
  const rows: (string | number)[][] = [];
  for (const pending of [64, 1024]) {
    const bare = measure(() => bareLoop(pending, d));
    const eng = measure(() => engineLoop(pending, d));
    rows.push([`${pending} pending`, bare, eng, `${(bare / eng).toFixed(2)}×`]);
  }
  printTable('Engine: events per wall second (goal: engine within 1.5× of the bare heap)', ['load', 'bare heap ev/s', 'engine ev/s', 'bare/engine'], rows);
}
