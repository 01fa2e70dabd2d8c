/**
 * Softirqs: deferred work raised by top halves and run later on the same core, in rounds.
 * Each round runs every pending vector once with a budget; an action that has more work than
 * its budget returns true and stays pending for the next round (deferred, never dropped), as
 * net_rx_action re-raises NET_RX.
 *
 * CPU accounting: a round is entered through the CPU model (`entryCostNs`); work done inside
 * charges its cost with `charge(cpu, ns)`, and the accumulated debt occupies the core before
 * the next round (or as a plain busy stretch when nothing is pending).
 */
import type { Cpu } from '../../hw-sim/cpu/cpu.ts';
import type { TraceBus } from '../../hw-sim/engine/trace.ts';
import type { Ns } from '../../hw-sim/engine/time.ts';
import type { CpuContext } from './cpu-context.ts';
import { traceShape, traceSource, type TraceSource } from '../../hw-sim/engine/trace.ts';

const TRACE_ROUND = traceShape('softirq.round', ['cpu', 'pending']);

export const SOFTIRQ = { HI: 0, TIMER: 1, NET_TX: 2, NET_RX: 3, BLOCK: 4, TASKLET: 5, SCHED: 6 } as const;
export type SoftirqVector = (typeof SOFTIRQ)[keyof typeof SOFTIRQ];
const NR_VECTORS = 7;

/** Runs up to `budget` items of work on `cpu`; returns true when work remains. */
export type SoftirqAction = (cpu: number, budget: number) => boolean;

export interface SoftirqOptions {
  /** Items each action may handle per round (netdev_budget). Default 300. */
  budget?: number;
  /** CPU cost of entering a round. Default 200 ns. */
  entryCostNs?: Ns;
}

interface PerCpu {
  pending: number;
  scheduled: boolean;
  debt: Ns;
  readonly round: () => void;
}

export interface SoftirqStats {
  rounds: number;
  /** Times an action left work for a later round. */
  deferred: number;
  raised: number;
}

export class Softirq {
  readonly budget: number;
  readonly entryCostNs: Ns;
  readonly stats: SoftirqStats = { rounds: 0, deferred: 0, raised: 0 };
  private readonly actions: (SoftirqAction | null)[] = new Array<SoftirqAction | null>(NR_VECTORS).fill(null);
  private readonly names: string[] = new Array<string>(NR_VECTORS).fill('');
  private readonly perCpu: PerCpu[] = [];
  private readonly idle = (): void => {};

  /** This emitter as the source of its shaped trace records. */
  private readonly traceSrc: TraceSource;

  constructor(
    private readonly cpu: Cpu,
    private readonly ctx: CpuContext,
    private readonly trace: TraceBus,
    private readonly src: string,
    opts: SoftirqOptions = {},
  ) {
    this.budget = opts.budget ?? 300;
    this.entryCostNs = opts.entryCostNs ?? 200;
    this.traceSrc = traceSource(src);
    if (!Number.isInteger(this.budget) || this.budget < 1) throw new RangeError(`${src}: softirq budget must be a positive integer, got ${this.budget}`);
    for (let c = 0; c < cpu.cores; c++) {
      const pc: PerCpu = { pending: 0, scheduled: false, debt: 0, round: () => this.runRound(c, pc) };
      this.perCpu.push(pc);
    }
  }

  /** open_softirq: installs the action of a vector (one per vector). */
  open(vec: SoftirqVector, name: string, action: SoftirqAction): void {
    if (this.actions[vec]) throw new Error(`${this.src}: softirq vector ${vec} is already open (${this.names[vec]})`);
    this.actions[vec] = action;
    this.names[vec] = name;
  }

  /** raise_softirq on `cpu` (default: the core now running). */
  raise(vec: SoftirqVector, cpu: number = this.ctx.cpu): void {
    const pc = this.perCpu[cpu];
    if (!pc) throw new RangeError(`${this.src}: no cpu ${cpu} to raise softirq ${vec} on`);
    this.stats.raised++;
    pc.pending |= 1 << vec;
    this.schedule(cpu, pc);
  }

  /** Charges CPU time for work done in the current round on `cpu`. */
  charge(cpu: number, ns: Ns): void {
    const pc = this.perCpu[cpu];
    if (pc) pc.debt += ns;
  }

  isPending(vec: SoftirqVector, cpu: number): boolean {
    return ((this.perCpu[cpu]?.pending ?? 0) & (1 << vec)) !== 0;
  }

  private schedule(cpu: number, pc: PerCpu): void {
    if (pc.scheduled) return;
    pc.scheduled = true;
    const cost = this.entryCostNs + pc.debt;
    pc.debt = 0;
    this.cpu.run(cpu, cost, pc.round, 'softirq');
  }

  private runRound(cpu: number, pc: PerCpu): void {
    pc.scheduled = false;
    const pending = pc.pending;
    pc.pending = 0;
    const prevCpu = this.ctx.cpu;
    this.ctx.cpu = cpu;
    this.stats.rounds++;
    TRACE_ROUND.emit(this.trace, this.traceSrc, cpu, pending);
    for (let v = 0; v < NR_VECTORS; v++) {
      if ((pending & (1 << v)) === 0) continue;
      const action = this.actions[v];
      if (!action) continue;
      if (action(cpu, this.budget)) {
        pc.pending |= 1 << v;
        this.stats.deferred++;
      }
    }
    this.ctx.cpu = prevCpu;
    if (pc.pending !== 0) this.schedule(cpu, pc);
    else if (pc.debt > 0) {
      const d = pc.debt;
      pc.debt = 0;
      this.cpu.run(cpu, d, this.idle, 'softirq.work');
    }
  }
}
