/**
 * One host's kernel: given the host's hardware (timer, interrupt controller, CPU), it provides
 * the log, the stats tree, IRQ top halves, softirqs and NAPI, kernel timers, the driver model
 * and the block layer. Kernel code reads time from the timer device and draws randomness from
 * streams named `<host>/<purpose>`.
 */
import { Cpu } from '../../hw-sim/cpu/cpu.ts';
import type { Engine } from '../../hw-sim/engine/engine.ts';
import type { Rng } from '../../hw-sim/engine/rng.ts';
import type { Ns } from '../../hw-sim/engine/time.ts';
import type { TraceBus, TraceData } from '../../hw-sim/engine/trace.ts';
import { InterruptController } from '../../hw-sim/irq/controller.ts';
import { TimerDevice } from '../../hw-sim/timer/timer.ts';
import { BlockLayer } from '../block/gendisk.ts';
import type { CpuContext } from './cpu-context.ts';
import { DriverModel } from './driver-model.ts';
import { IrqManager } from './irq.ts';
import { KernelLog } from './klog.ts';
import { NapiLayer } from './napi.ts';
import { Softirq, type SoftirqOptions } from './softirq.ts';
import { StatsTree } from './stats.ts';
import { KernelTimer } from './timers.ts';

export interface KernelHardware {
  readonly timer: TimerDevice;
  readonly irq: InterruptController;
  readonly cpu: Cpu;
}

export interface KernelOptions {
  softirq?: SoftirqOptions;
  /** Kernel log ring entries. Default 1024. */
  logCapacity?: number;
  /** CPU time of entering one timer callback (hw-sim/cpu/costs.ts timerCallbackNs). Default 0. */
  timerCallbackNs?: Ns;
}

export class Kernel {
  readonly ctx: CpuContext = { cpu: 0 };
  readonly stats = new StatsTree();
  readonly log: KernelLog;
  readonly softirq: Softirq;
  readonly napi: NapiLayer;
  readonly irq: IrqManager;
  readonly drivers: DriverModel;
  readonly block: BlockLayer;
  /** Charges one timer callback's entry to the core running it (kernel timers and the net stack's). */
  readonly timerFired: () => void;

  constructor(readonly engine: Engine, readonly host: string, readonly hw: KernelHardware, opts: KernelOptions = {}) {
    this.log = new KernelLog(() => hw.timer.now(), engine.trace, `${host}/klog`, opts.logCapacity ?? 1024);
    this.softirq = new Softirq(hw.cpu, this.ctx, engine.trace, `${host}/softirq`, opts.softirq);
    this.napi = new NapiLayer(this.softirq, hw.cpu.cores);
    this.irq = new IrqManager(hw.irq, hw.cpu, this.ctx, this.stats);
    this.drivers = new DriverModel(this.stats, this.log);
    this.block = new BlockLayer(this, this.softirq);
    const timerNs = opts.timerCallbackNs ?? 0;
    this.timerFired = timerNs > 0 ? () => { hw.cpu.charge(this.ctx.cpu, timerNs, 'timer'); } : () => {};
    const sq = this.softirq.stats;
    this.stats.gauge('kernel/softirq/rounds', () => sq.rounds);
    this.stats.gauge('kernel/softirq/deferred', () => sq.deferred);
    this.stats.gauge('kernel/softirq/raised', () => sq.raised);
    this.stats.gauge('kernel/log/total', () => this.log.total);
    this.stats.gauge('kernel/log/suppressed', () => this.log.suppressed);
    for (let c = 0; c < hw.cpu.cores; c++) this.stats.gauge(`cpu/${c}/busy_ns`, () => hw.cpu.busyNs(c));
    this.log.info('kernel', `booting ${host}: ${hw.cpu.cores} cpu(s)`);
  }

  /** Virtual time, from the timer device. */
  now(): Ns {
    return this.hw.timer.now();
  }

  get cores(): number {
    return this.hw.cpu.cores;
  }

  get trace(): TraceBus {
    return this.engine.trace;
  }

  /** Emits a trace record from `<host>/<what>`. */
  emit(what: string, kind: string, data?: TraceData): void {
    this.engine.trace.emit(`${this.host}/${what}`, kind, data);
  }

  /** timer_setup: a kernel timer that calls `fn`; arm it with mod(). */
  timer(fn: () => void, label: string): KernelTimer {
    return new KernelTimer(this.hw.timer, fn, label, this.timerFired);
  }

  /** The named random stream `<host>/<name>`. */
  rng(name: string): Rng {
    return this.engine.rng.get(`${this.host}/${name}`);
  }
}

export interface HostHardwareOptions {
  cores?: number;
  irqLines?: number;
}

/** Builds the core devices of a host (timer, interrupt controller, CPU) for a kernel. */
export function createHostHardware(engine: Engine, host: string, o: HostHardwareOptions = {}): KernelHardware {
  return {
    timer: new TimerDevice(engine, host),
    irq: new InterruptController(engine, host, { lines: o.irqLines ?? 64 }),
    cpu: new Cpu(engine, host, { cores: o.cores ?? 4 }),
  };
}
