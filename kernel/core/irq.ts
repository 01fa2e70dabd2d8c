/**
 * request_irq: top halves on interrupt controller lines. A delivered interrupt runs its handler
 * on the line's core through the CPU model (entry cost), so interrupt load shows up as CPU time
 * and as latency for the work queued behind it. Deliveries that arrive while the handler is
 * still queued on the core fold into that run (the handler gets the summed event count).
 */
import type { Cpu } from '../../hw-sim/cpu/cpu.ts';
import type { InterruptController, IrqCoalescing } from '../../hw-sim/irq/controller.ts';
import type { Ns } from '../../hw-sim/engine/time.ts';
import type { CpuContext } from './cpu-context.ts';
import type { StatsTree, Counter } from './stats.ts';

/** A top half: `events` interrupts are covered by this run (≥ 1). */
export type IrqHandler = (events: number) => void;

export interface RequestIrqOptions {
  /** Core the handler runs on (IRQ affinity). Default 0. */
  cpu?: number;
  /** CPU cost of one handler run. Default 500 ns. */
  costNs?: Ns;
  priority?: number;
  coalesce?: IrqCoalescing | null;
}

interface IrqLine {
  readonly name: string;
  readonly handler: IrqHandler;
  cpu: number;
  readonly costNs: Ns;
  events: number;
  queued: boolean;
  readonly count: Counter;
  readonly run: () => void;
}

export class IrqManager {
  private readonly lines = new Map<number, IrqLine>();

  constructor(
    private readonly ctl: InterruptController,
    private readonly cpuModel: Cpu,
    private readonly ctx: CpuContext,
    private readonly stats: StatsTree,
  ) {}

  /** Installs `handler` on `line`. Throws naming the line when it is taken or out of range. */
  request(line: number, name: string, handler: IrqHandler, opts: RequestIrqOptions = {}): void {
    if (this.lines.has(line)) throw new Error(`request_irq: line ${line} is already taken by ${this.lines.get(line)!.name}`);
    const cpu = opts.cpu ?? 0;
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.cpuModel.cores) {
      throw new RangeError(`request_irq ${name}: no cpu ${cpu} (cores 0..${this.cpuModel.cores - 1})`);
    }
    const l: IrqLine = {
      name, handler, cpu, costNs: opts.costNs ?? 500, events: 0, queued: false,
      count: this.stats.counter(`irq/${line}/${name}/count`),
      run: () => {
        l.queued = false;
        const events = l.events;
        l.events = 0;
        const prev = this.ctx.cpu;
        this.ctx.cpu = l.cpu;
        l.handler(events);
        this.ctx.cpu = prev;
      },
    };
    this.ctl.requestLine(line, (_line, events) => this.deliver(l, events), {
      name, priority: opts.priority ?? 0, coalesce: opts.coalesce ?? null,
    });
    this.lines.set(line, l);
  }

  /** free_irq. */
  free(line: number): void {
    if (!this.lines.delete(line)) return;
    this.ctl.freeLine(line);
  }

  /** Moves the line's handler to another core. */
  setAffinity(line: number, cpu: number): void {
    const l = this.lines.get(line);
    if (!l) throw new Error(`irq_set_affinity: line ${line} has no handler`);
    l.cpu = cpu;
  }

  private deliver(l: IrqLine, events: number): void {
    l.count.value += events;
    l.events += events;
    if (l.queued) return;
    l.queued = true;
    this.cpuModel.run(l.cpu, l.costNs, l.run, l.name);
  }
}
