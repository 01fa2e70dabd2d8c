/**
 * NAPI: a device's interrupt schedules its poll function on the NET_RX softirq; each poll may
 * handle up to `weight` packets. A poll that uses its whole weight stays scheduled (moved to the
 * tail of the poll list); one that handles fewer is complete and the driver re-enables its
 * interrupt inside poll. The round budget is shared by every instance on the core.
 */
import { SOFTIRQ, type Softirq } from './softirq.ts';

export interface Napi {
  readonly name: string;
  /** Packets per poll (NAPI weight). */
  readonly weight: number;
  /** Handles up to `budget` packets; returns how many it handled. */
  poll(budget: number): number;
  /** Set by the NAPI layer while the instance is on a poll list. */
  scheduled: boolean;
}

export class NapiLayer {
  private readonly lists: Napi[][] = [];

  constructor(private readonly softirq: Softirq, cores: number) {
    for (let c = 0; c < cores; c++) this.lists.push([]);
    softirq.open(SOFTIRQ.NET_RX, 'NET_RX', (cpu, budget) => this.netRxAction(cpu, budget));
  }

  /** napi_schedule: queue the instance's poll on `cpu` unless it is already scheduled. */
  schedule(napi: Napi, cpu: number): void {
    if (napi.scheduled) return;
    const list = this.lists[cpu];
    if (!list) throw new RangeError(`napi ${napi.name}: no cpu ${cpu}`);
    napi.scheduled = true;
    list.push(napi);
    this.softirq.raise(SOFTIRQ.NET_RX, cpu);
  }

  private netRxAction(cpu: number, budget: number): boolean {
    const list = this.lists[cpu]!;
    let left = budget;
    // Each instance present at round start gets at most one poll per round.
    let n = list.length;
    while (n-- > 0 && left > 0) {
      const napi = list.shift()!;
      const quota = napi.weight < left ? napi.weight : left;
      const done = napi.poll(quota);
      left -= done;
      if (done >= quota) list.push(napi);
      else napi.scheduled = false;
    }
    return list.length > 0;
  }
}
